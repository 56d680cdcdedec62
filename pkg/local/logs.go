package local

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/empctl/empctl/pkg/env"
)

// logPollInterval is how often `logs --follow` looks for new lines.
const logPollInterval = 250 * time.Millisecond

// Logs reads the replicas' log files (StateDir/logs/<replica>.log, which the
// replicas write themselves), merged in time order, and with opts.Follow
// reads what they, and replicas started later, append.
func (e *Env) Logs(ctx context.Context, opts env.LogOptions, emit func(env.LogLine)) error {
	t := &logTail{dir: filepath.Join(e.StateDir, "logs"), target: opts.Target, since: opts.Since, files: map[string]*logFile{}}
	lines, err := t.read()
	if err != nil {
		return err
	}
	if opts.Target != "" && t.files[opts.Target] == nil {
		return fmt.Errorf("no log of replica %s in %s; replicas with logs: %s (see `empctl status`)", opts.Target, t.dir, orNone(strings.Join(t.names(), ", ")))
	}
	if len(t.files) == 0 && !opts.Follow {
		return fmt.Errorf("no replica logs in %s: start the local stack with `empctl up`", t.dir)
	}
	for _, l := range lines {
		emit(l)
	}
	if !opts.Follow {
		return nil
	}
	every := opts.PollInterval
	if every <= 0 {
		every = logPollInterval
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(every):
		}
		lines, err := t.read()
		if err != nil {
			return err
		}
		for _, l := range lines {
			emit(l)
		}
	}
}

// logTail reads the log files of a directory from where it last stopped.
type logTail struct {
	dir    string
	target string
	since  time.Time
	files  map[string]*logFile
}

type logFile struct {
	offset int64
	// last is the time of the file's last timed line, which lines without
	// one (a panic's stack trace) take.
	last time.Time
}

// names are the replicas that have a log file.
func (t *logTail) names() []string {
	paths, _ := filepath.Glob(filepath.Join(t.dir, "*.log"))
	names := make([]string, 0, len(paths))
	for _, p := range paths {
		names = append(names, strings.TrimSuffix(filepath.Base(p), ".log"))
	}
	return names
}

// read returns the complete lines appended since the last read, in time order.
func (t *logTail) read() ([]env.LogLine, error) {
	paths, err := filepath.Glob(filepath.Join(t.dir, "*.log"))
	if err != nil {
		return nil, err
	}
	var lines []env.LogLine
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".log")
		if t.target != "" && name != t.target {
			continue
		}
		f := t.files[name]
		if f == nil {
			f = &logFile{}
			t.files[name] = f
		}
		got, err := f.readFrom(p, name)
		if err != nil {
			return nil, err
		}
		for _, l := range got {
			if t.since.IsZero() || !l.Time.Before(t.since) {
				lines = append(lines, l)
			}
		}
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].Time.Before(lines[j].Time) })
	return lines, nil
}

func (f *logFile) readFrom(path, target string) ([]env.LogLine, error) {
	file, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	defer func() { _ = file.Close() }()
	if _, err := file.Seek(f.offset, io.SeekStart); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(file)
	if err != nil {
		return nil, fmt.Errorf("reading the log of replica %s: %w", target, err)
	}
	// A line still being written is read once it is complete.
	end := bytes.LastIndexByte(data, '\n') + 1
	f.offset += int64(end)
	var lines []env.LogLine
	for _, raw := range bytes.Split(data[:end], []byte("\n")) {
		if len(raw) == 0 {
			continue
		}
		if ts, ok := lineTime(raw); ok {
			f.last = ts
		}
		lines = append(lines, env.LogLine{Time: f.last, Target: target, Message: string(raw)})
	}
	return lines, nil
}

// lineTime is the time of one of the server's JSON log lines.
func lineTime(line []byte) (time.Time, bool) {
	if line[0] != '{' {
		return time.Time{}, false
	}
	var v struct {
		Time time.Time `json:"time"`
	}
	if json.Unmarshal(line, &v) != nil || v.Time.IsZero() {
		return time.Time{}, false
	}
	return v.Time, true
}
