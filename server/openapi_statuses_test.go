package server

import (
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/empctl/empctl/pkg/testenv"
)

// statusSet counts responses by operation and status: "GET /api/me 200".
type statusSet struct {
	mu sync.Mutex
	n  map[string]int
}

func newStatusSet() *statusSet { return &statusSet{n: map[string]int{}} }

func (s *statusSet) add(method, path string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n[method+" "+path+" "+strconv.Itoa(status)]++
}

func (s *statusSet) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n[key]
}

// String lists the counts: "GET /api/me 200: 12, ...".
func (s *statusSet) String() string {
	var b strings.Builder
	for i, k := range s.keys() {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s: %d", k, s.count(k))
	}
	return b.String()
}

func (s *statusSet) keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.n))
}

// handlerTestStatuses are the statuses the handler tests' responses had
// (every harness records into it, but the Schemathesis run's own).
var handlerTestStatuses = newStatusSet()

// documentedStatuses lists every operation's documented statuses, in the
// form statusSet uses.
func documentedStatuses() ([]string, error) {
	doc, err := apiDoc()
	if err != nil {
		return nil, err
	}
	var all []string
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for status := range op.Responses.Map() {
				all = append(all, method+" "+path+" "+status)
			}
		}
	}
	slices.Sort(all)
	return all, nil
}

// TestMain runs the tests, then, when all of them ran, reports every status
// the document gives an operation that no test produced: a documented answer
// no test produces is either untested or not one the server gives. Under CI,
// where no test may skip, that fails the run; elsewhere the tests that need
// MariaDB may have skipped, so it is only reported.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 && ranEveryTest() {
		if missing := unproducedStatuses(); len(missing) > 0 {
			verdict := "note"
			if testenv.InCI() {
				verdict, code = "FAIL", 1
			}
			fmt.Fprintf(os.Stderr, "%s: server/openapi.json documents %d statuses that no test produced (write a test that does, or take the status out of the document if the server cannot give it):\n", verdict, len(missing))
			for _, m := range missing {
				fmt.Fprintln(os.Stderr, "  ", m)
			}
		}
	}
	os.Exit(code)
}

// ranEveryTest: no -run, -skip or -short narrowed the run.
func ranEveryTest() bool {
	for _, name := range []string{"test.run", "test.skip"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return false
		}
	}
	return !testing.Short()
}

func unproducedStatuses() []string {
	all, err := documentedStatuses()
	if err != nil {
		return []string{err.Error()}
	}
	var missing []string
	for _, k := range all {
		if handlerTestStatuses.count(k) == 0 {
			missing = append(missing, k)
		}
	}
	return missing
}
