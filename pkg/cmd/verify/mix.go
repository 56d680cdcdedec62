package verify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/empctl/empctl/pkg/loadtest"
)

// mix is the realistic request mix: the version endpoint, the signed-in
// user's profile, the webapp's index.html when a webapp is served, and the
// writes (sign-ups and profile updates) that the audit checks afterwards.
type mix struct {
	targets []loadtest.Target
	skipped []string
	writes  *writes
	// readerToken is the signed-in reader's: the audit reads profiles with it.
	readerToken string
}

func (m mix) names() []string {
	out := make([]string, len(m.targets))
	for i, t := range m.targets {
		out[i] = t.Name
	}
	return out
}

// Out of every 100 requests: the weights of the mix. The sign-ups' turns
// come often, so that a phase's share goes out as the phase begins, but most
// are skipped (the next target takes them): the schedule sends only
// maxSignUps in a run, each costing a replica tens of milliseconds of bcrypt.
const (
	weightVersion = 36
	weightMe      = 35
	weightIndex   = 15
	weightUpdate  = 9
	weightSignUp  = 5
)

// writers is how many users' profiles the load updates, one update of each
// at a time.
const writers = 6

// prepareMix signs up this run's users (a reader and the writers), all under
// one marker that names them, and signs them in. Their password is random
// and independent of the marker, which the report prints and the users'
// names carry.
func prepareMix(ctx context.Context, endpoint string) (mix, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return mix{}, fmt.Errorf("generating the run's marker: %w", err)
	}
	marker := "zd-" + hex.EncodeToString(b)
	password, err := secret()
	if err != nil {
		return mix{}, err
	}
	api := newAuditClient(endpoint)
	var tokens []string // the reader's, then the writers'
	for i := -1; i < writers; i++ {
		name := fmt.Sprintf("%s-w%d", marker, i)
		if i < 0 {
			name = marker + "-reader"
		}
		tok, err := api.user(ctx, name, password)
		if err != nil {
			// Those already signed up are locked, as at the end of a run.
			w := newWrites(endpoint, marker, password, tokens)
			if locked, accounts := lockUsers(ctx, mix{writes: w, readerToken: ""}, api); locked < accounts {
				err = fmt.Errorf("%w; %d of the %d users signed up so far could not be locked: find them by the marker %s in their e-mail and remove them", err, accounts-locked, accounts, marker)
			}
			return mix{}, fmt.Errorf("preparing the load test's users: %w", err)
		}
		tokens = append(tokens, tok)
	}
	reader := tokens[0]
	w := newWrites(endpoint, marker, password, tokens[1:])
	m := mix{writes: w, readerToken: reader, targets: []loadtest.Target{
		{Name: "GET /api/version", Method: http.MethodGet, URL: endpoint + "/api/version", Weight: weightVersion},
		{Name: "GET /api/me (signed in)", Method: http.MethodGet, URL: endpoint + "/api/me", Header: bearer(reader), Weight: weightMe},
	}}
	hc := &http.Client{Timeout: 15 * time.Second}
	if ok, why := servesWebapp(ctx, hc, endpoint); ok {
		m.targets = append(m.targets, loadtest.Target{Name: "GET /index.html", Method: http.MethodGet, URL: endpoint + "/index.html", Weight: weightIndex})
	} else {
		m.skipped = append(m.skipped, "GET /index.html: "+why)
	}
	m.targets = append(m.targets, w.targets(weightSignUp, weightUpdate)...)
	return m, nil
}

func servesWebapp(ctx context.Context, hc *http.Client, endpoint string) (bool, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/index.html", nil)
	if err != nil {
		return false, err.Error()
	}
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
