// Package iostreams carries a command's standard streams and what is known about
// them (is it a terminal? how wide?), so commands can be run in tests without
// one. ColorScheme colours ✓/✗, warnings and states on a terminal only,
// never with NO_COLOR; every command's human output goes through it, and
// cmdtest.CheckColour holds each command family to that.
package iostreams

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/term"
)

type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY  bool
	stdoutTTY bool
	stderrTTY bool
	// width and height, when set, are the terminal's size (tests).
	width, height int
}

// System returns the process's own streams.
func System() *IOStreams {
	return &IOStreams{
		In:        os.Stdin,
		Out:       os.Stdout,
		ErrOut:    os.Stderr,
		stdinTTY:  isTerminal(os.Stdin),
		stdoutTTY: isTerminal(os.Stdout),
		stderrTTY: isTerminal(os.Stderr),
	}
}

// Test returns streams backed by buffers, none of them a terminal.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

func (s *IOStreams) IsStdinTTY() bool  { return s.stdinTTY }
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether progress (written to ErrOut) can be redrawn in place.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetStderrTTY lets tests pretend progress goes to a terminal.
func (s *IOStreams) SetStderrTTY(tty bool) { s.stderrTTY = tty }

// SetTTY lets tests pretend to be interactive.
func (s *IOStreams) SetTTY(stdin, stdout bool) { s.stdinTTY, s.stdoutTTY = stdin, stdout }

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// TerminalSize is stdout's terminal size in columns and rows, read on each
// call (the terminal may have been resized); 80x24 when it cannot be read.
func (s *IOStreams) TerminalSize() (width, height int) {
	if s.width > 0 && s.height > 0 {
		return s.width, s.height
	}
	if f, ok := s.Out.(*os.File); ok && s.stdoutTTY {
		if w, h, err := term.GetSize(int(f.Fd())); err == nil && w > 0 && h > 0 {
			return w, h
		}
	}
	return 80, 24
}

// SetTerminalSize lets tests pretend the terminal has this size.
func (s *IOStreams) SetTerminalSize(width, height int) { s.width, s.height = width, height }
