package server

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/empctl/empctl/pkg/testenv"
	"github.com/empctl/empctl/server/store"
)

// outageTimeout is the store's timeout in this test; a request must not hang
// past it. A 503 may take up to outageSlack longer (a busy 2-core machine
// queues requests and schedules goroutines late), never more; the load's
// client gives up (a failure) well after that.
const (
	outageTimeout = time.Second
	outageSlack   = 5 * time.Second
)

// TestDatabaseOutageUnderLoad takes MariaDB away under 100 authenticated
// requests per second, first down (refused) then unreachable (silent), and
// brings it back: /readyz stays 200 throughout, API calls answer 503
// database_unavailable with Retry-After (never 500, never a hang), the deep
// check and the metric report the database, and once it is back requests
// succeed again in the same process.
func TestDatabaseOutageUnderLoad(t *testing.T) {
	cfg, err := mysql.ParseDSN(testenv.MySQLDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := newDBProxy(t, cfg.Addr)
	cfg.Addr = proxy.addr()
	h := newHarnessOn(t, store.Target{Driver: "mysql", DSN: cfg.FormatDSN(), Timeout: outageTimeout})
	_, token := h.user("ada@example.com", "1990-12-10")

	ready := pollReadyz(h)
	load := startOutageLoad(h.http.URL+"/api/me", token)

	load.waitFor(t, "200s before the outage", func(c outageCounts) bool { return c.ok >= 50 })
	for _, m := range []struct {
		name string
		mode proxyMode
	}{{"down", proxyDown}, {"unreachable", proxyUnreachable}} {
		proxy.set(m.mode)
		before := load.counts().unavailable
		load.waitFor(t, "503s with the database "+m.name, func(c outageCounts) bool { return c.unavailable >= before+50 })
		h.expect(h.do("GET", "/healthz/deep", "", nil), http.StatusServiceUnavailable, "database_unavailable")
		if m := string(h.do("GET", "/metrics", "", nil).body); !strings.Contains(m, "\nempctl_database_up 0\n") {
			t.Errorf("database %s: empctl_database_up is not 0", m)
		}
	}
	proxy.set(proxyOpen)
	recovered := load.counts().ok
	load.waitFor(t, "200s after the database returned", func(c outageCounts) bool { return c.ok >= recovered+200 })
	c := load.stop()
	readyCodes := ready.stop()
	t.Logf("outage under load: %d requests: %d ok, %d answered 503 database_unavailable, %d other; /readyz %v; slowest 503 %s",
		c.total, c.ok, c.unavailable, c.total-c.ok-c.unavailable, readyCodes, c.slowest503)

	if limit := outageTimeout + outageSlack; c.slowest503 > limit {
		t.Errorf("the slowest 503 took %s, more than the store's %s timeout plus %s: a request hung on the database", c.slowest503, outageTimeout, outageSlack)
	}
	if c.total != c.ok+c.unavailable {
		t.Errorf("requests that were neither 200 nor 503 database_unavailable with Retry-After: %v", c.other)
	}
	if len(readyCodes) != 1 || readyCodes[http.StatusOK] == 0 {
		t.Errorf("/readyz answered %v during the outage; want only 200", readyCodes)
	}
	if c.lastRun < 100 {
		t.Errorf("only the last %d requests succeeded in a row after the database returned", c.lastRun)
	}
	h.expect(h.do("GET", "/healthz/deep", "", nil), http.StatusOK, "")
	if m := string(h.do("GET", "/metrics", "", nil).body); !strings.Contains(m, "\nempctl_database_up 1\n") {
		t.Error("empctl_database_up is not back to 1")
	}
}

type outageCounts struct {
	total, ok, unavailable int
	// lastRun is the 200s in a row at the end, in the order the requests
	// started: a 503 sent during the outage may complete after later
	// requests did, and says nothing about the recovery.
	lastRun    int
	other      map[string]int // anything else, by status and error
	slowest503 time.Duration
}

type outageLoad struct {
	atk     *vegeta.Attacker
	done    chan struct{}
	mu      sync.Mutex
	c       outageCounts
	outcome []startedOK // every request's start and whether it was a 200
}

type startedOK struct {
	at time.Time
	ok bool
}

func startOutageLoad(url, token string) *outageLoad {
	// Reaching the client's timeout means a request hung; one slower than
	// outageTimeout+outageSlack but within it fails the test as well.
	l := &outageLoad{atk: vegeta.NewAttacker(vegeta.Timeout(2*(outageTimeout+outageSlack)), vegeta.KeepAlive(true)),
		done: make(chan struct{}), c: outageCounts{other: map[string]int{}}}
	results := l.atk.Attack(vegeta.NewStaticTargeter(vegeta.Target{Method: "GET", URL: url,
		Header: http.Header{"Authorization": {"Bearer " + token}}}), vegeta.Rate{Freq: 100, Per: time.Second}, 0, "outage")
	go func() {
		defer close(l.done)
		for r := range results {
			l.mu.Lock()
			l.c.total++
			l.outcome = append(l.outcome, startedOK{r.Timestamp, r.Code == http.StatusOK})
			switch {
			case r.Code == http.StatusOK:
				l.c.ok++
			case r.Code == http.StatusServiceUnavailable && strings.Contains(string(r.Body), `"database_unavailable"`) &&
				r.Headers.Get("Retry-After") != "":
				l.c.unavailable++
				l.c.slowest503 = max(l.c.slowest503, r.Latency)
			default:
				l.c.other[fmt.Sprintf("%d %s", r.Code, r.Error)]++
			}
			l.mu.Unlock()
		}
	}()
	return l
}

func (l *outageLoad) counts() outageCounts {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.c
}

// waitFor waits until the counts satisfy cond, with a generous deadline.
func (l *outageLoad) waitFor(t *testing.T, what string, cond func(outageCounts) bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond(l.counts()) {
		if time.Now().After(deadline) {
			c := l.counts()
			t.Fatalf("no %s within 2 minutes: %d requests, %d ok, %d 503, other %v", what, c.total, c.ok, c.unavailable, c.other)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (l *outageLoad) stop() outageCounts {
	l.atk.Stop()
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	slices.SortFunc(l.outcome, func(a, b startedOK) int { return a.at.Compare(b.at) })
	for i := len(l.outcome) - 1; i >= 0 && l.outcome[i].ok; i-- {
		l.c.lastRun++
	}
	return l.c
}

// readyPoller asks /readyz every 100ms, as a load balancer does.
type readyPoller struct {
	stopc chan struct{}
	done  chan struct{}
	codes map[int]int
}

func pollReadyz(h *harness) *readyPoller {
	p := &readyPoller{stopc: make(chan struct{}), done: make(chan struct{}), codes: map[int]int{}}
	client := &http.Client{Timeout: 10 * outageTimeout}
	go func() {
		defer close(p.done)
		for {
			select {
			case <-p.stopc:
				return
			case <-time.After(100 * time.Millisecond):
			}
			res, err := client.Get(h.http.URL + "/readyz")
			if err != nil {
				p.codes[0]++
				continue
			}
			_ = res.Body.Close()
			p.codes[res.StatusCode]++
		}
	}()
	return p
}

func (p *readyPoller) stop() map[int]int {
	close(p.stopc)
	<-p.done
	return p.codes
}
