// Package trafficmix is the realistic request mix that
// `empctl verify-zero-downtime` and the rollout gate send: reads, a signed-in
// GET /api/me, the webapp's index.html where one is served, sign-ups and
// profile updates. It prepares signed-in test users, keeps the books of every
// acknowledged write, audits them through the API afterwards, and locks the
// users it created.
package trafficmix

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"time"

	"github.com/empctl/empctl/pkg/loadtest"
)

// Options size a mix.
type Options struct {
	// Prefix starts the run's marker (Prefix-<hex>), which names its users.
	Prefix string
	// Writers is how many users' profiles the load updates, one update of
	// each at a time.
	Writers int
	// SharedReader makes the first writer the signed-in reader too: one
	// sign-up fewer, for a run that must spend few.
	SharedReader bool
	// SignUps bounds the sign-ups the load sends (besides the users
	// prepared); a schedule releases them (Schedule, Enter).
	SignUps int
	// Header goes on every request, the load's and the audit's (a test
	// route's header).
	Header http.Header
}

// Users is how many users Prepare signs up.
func (o Options) Users() int {
	if o.SharedReader {
		return max(o.Writers, 1)
	}
	return 1 + o.Writers
}

// Mix is a prepared mix: its targets for loadtest, and the books of its writes.
type Mix struct {
	Targets []loadtest.Target
	// Skipped names the targets left out and why.
	Skipped []string
	writes  *writes
	api     *client
	// readerToken is the signed-in reader's: the audit reads profiles with it.
	readerToken string
}

// Names are the targets' names, for the report.
func (m *Mix) Names() []string {
	out := make([]string, len(m.Targets))
	for i, t := range m.Targets {
		out[i] = t.Name
	}
	return out
}

// Marker names the run's users: their e-mails are <marker>-...@example.com.
func (m *Mix) Marker() string { return m.writes.marker }

// Record notes a finished request of the load; it is loadtest's OnResult.
func (m *Mix) Record(res loadtest.Result) { m.writes.record(res) }

// Audit checks every acknowledged write through the API.
func (m *Mix) Audit(ctx context.Context) *loadtest.Writes {
	return m.writes.audit(ctx, m.api, m.readerToken)
}

// Out of every 100 requests: the weights of the mix. The sign-ups' turns
// come often, so that a phase's share goes out as the phase begins, but most
// are skipped (the next target takes them): the schedule sends only
// Options.SignUps in a run, each costing a replica tens of milliseconds of
// bcrypt.
const (
	weightVersion = 36
	weightMe      = 35
	weightIndex   = 15
	weightUpdate  = 9
	weightSignUp  = 5
)

// Prepare signs up the run's users (a reader and the writers), all under
// one marker that names them, and signs them in. Their password is random
// and independent of the marker, which the report prints and the users'
// names carry. If a sign-up fails, those already made are locked.
func Prepare(ctx context.Context, endpoint string, o Options) (*Mix, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("generating the run's marker: %w", err)
	}
	marker := o.Prefix + "-" + hex.EncodeToString(b)
	password, err := secret()
	if err != nil {
		return nil, err
	}
	api := newClient(endpoint, o.Header, o.Users()+o.SignUps)
	var tokens []string // the reader's (unless shared), then the writers'
	for i := range o.Users() {
		name := fmt.Sprintf("%s-w%d", marker, i-1)
		switch {
		case o.SharedReader:
			name = fmt.Sprintf("%s-w%d", marker, i)
		case i == 0:
			name = marker + "-reader"
		}
		tok, err := api.user(ctx, name, password)
		if err != nil {
			// Those already signed up are locked, as at the end of a run.
			m := &Mix{writes: newWrites(endpoint, marker, password, tokens, 0), api: api}
			if locked, accounts := m.Lock(ctx); locked < accounts {
				err = fmt.Errorf("%w; %d of the %d users signed up so far could not be locked: find them by the marker %s in their e-mail and remove them", err, accounts-locked, accounts, marker)
			}
			return nil, fmt.Errorf("preparing the load test's users: %w", err)
		}
		tokens = append(tokens, tok)
	}
	reader, writerTokens := tokens[0], tokens
	if !o.SharedReader {
		writerTokens = tokens[1:]
	}
	w := newWrites(endpoint, marker, password, writerTokens, o.SignUps)
	m := &Mix{writes: w, api: api, readerToken: reader, Targets: []loadtest.Target{
		{Name: "GET /api/version", Method: http.MethodGet, URL: endpoint + "/api/version", Weight: weightVersion},
		{Name: "GET /api/me (signed in)", Method: http.MethodGet, URL: endpoint + "/api/me", Header: bearer(reader), Weight: weightMe},
	}}
	hc := &http.Client{Timeout: 15 * time.Second}
	if ok, why := servesWebapp(ctx, hc, endpoint, o.Header); ok {
		m.Targets = append(m.Targets, loadtest.Target{Name: "GET /index.html", Method: http.MethodGet, URL: endpoint + "/index.html", Weight: weightIndex})
	} else {
		m.Skipped = append(m.Skipped, "GET /index.html: "+why)
	}
	m.Targets = append(m.Targets, w.targets(weightSignUp, weightUpdate)...)
	if len(o.Header) > 0 {
		for i := range m.Targets {
			m.Targets[i] = withHeader(m.Targets[i], o.Header)
		}
	}
	return m, nil
}

// withHeader adds h to every request of the target, after Vary made it.
func withHeader(t loadtest.Target, h http.Header) loadtest.Target {
	merge := func(into http.Header) http.Header {
		out := maps.Clone(into)
		if out == nil {
			out = http.Header{}
		}
		maps.Copy(out, h)
		return out
	}
	t.Header = merge(t.Header)
	if vary := t.Vary; vary != nil {
		t.Vary = func(r *loadtest.Request) bool {
			if !vary(r) {
				return false
			}
			r.Header = merge(r.Header)
			return true
		}
	}
	return t
}

func servesWebapp(ctx context.Context, hc *http.Client, endpoint string, header http.Header) (bool, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/index.html", nil)
	if err != nil {
		return false, err.Error()
	}
	maps.Copy(req.Header, header)
	resp, err := hc.Do(req)
	if err != nil {
		return false, err.Error()
	}
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.Copy(io.Discard, resp.Body)
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != http.StatusOK || ct != "text/html" {
		return false, fmt.Sprintf("no webapp is served (%s, %s)", resp.Status, resp.Header.Get("Content-Type"))
	}
	return true, ""
}
