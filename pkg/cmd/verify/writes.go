package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/empctl/empctl/pkg/loadtest"
)

// writes makes the mix's writes and remembers which were acknowledged, for
// the audit: sign-ups (POST /api/users, each with its own e-mail) and profile
// updates (PATCH /api/me setting lastName to "seq-N"). Each profile's updates
// are sent one at a time, so the last acknowledged one must be the one stored.
// Every write carries an Idempotency-Key, so the load balancer may replay it
// when the replica it reached died before answering.
type writes struct {
	endpoint string
	marker   string
	password string

	mu      sync.Mutex
	signUps int
	// signUpAcks counts the acknowledgements of each sign-up's e-mail, and
	// signUpIDs remembers the user id each one answered.
	signUpAcks map[string]int
	signUpIDs  map[string]int64
	writers    []*writer
	problems   []string

	// The sign-up schedule: the phases in order, each one's share of the
	// sign-ups, the shares released and not yet sent (by phase), and how
	// many each phase sent.
	phases   []string
	quota    map[string]int
	released []string
	sentIn   map[string]int
}

// writer is a signed-in user whose profile the load updates.
type writer struct {
	token string
	busy  bool // an update is in flight
	seq   int  // the last update sent
	// acks counts the acknowledgements of each update sequence number.
	acks map[int]int
}

// The URL fragment names the update a result belongs to: the client never
// sends it, and vegeta reports it back with the result.
const updateFragment = "zd="

func newWrites(endpoint, marker, password string, tokens []string) *writes {
	w := &writes{endpoint: endpoint, marker: marker, password: password, signUpAcks: map[string]int{}, signUpIDs: map[string]int64{}, sentIn: map[string]int{}}
	for _, t := range tokens {
		w.writers = append(w.writers, &writer{token: t, acks: map[int]int{}})
	}
	return w
}

func (w *writes) targets(signUpWeight, updateWeight int) []loadtest.Target {
	return []loadtest.Target{
		{Name: "POST /api/users (sign-up)", Method: http.MethodPost, URL: w.endpoint + "/api/users", Weight: signUpWeight, Vary: w.nextSignUp},
		{Name: "PATCH /api/me (profile update)", Method: http.MethodPatch, URL: w.endpoint + "/api/me", Weight: updateWeight, Vary: w.nextUpdate},
	}
}

// maxSignUps bounds the sign-ups of one run: with the run's own users (a
// reader and the writers) they stay under the server's sign-up throttle (20
// per client address per hour, per task or replica) even if every one of
// them reaches the same task, so verifying never trips the app's abuse
// protection. The schedule spreads them over the run's phases; profile
// updates carry the rest of the write load.
const maxSignUps = 12

// nextSignUp sends a sign-up the schedule has released, and skips its turn
// when there is none.
func (w *writes) nextSignUp(r *loadtest.Request) bool {
	w.mu.Lock()
	if len(w.released) == 0 || w.signUps >= maxSignUps {
		w.mu.Unlock()
		return false
	}
	w.sentIn[w.released[0]]++
	w.released = w.released[1:]
	w.signUps++
	name := fmt.Sprintf("%s-s%d", w.marker, w.signUps)
	w.mu.Unlock()
	r.Body, _ = json.Marshal(map[string]string{"email": name + "@example.com", "password": w.password, "firstName": name, "lastName": "Verify", "birthDate": "1990-01-01"})
	r.Header = http.Header{"Content-Type": {"application/json"}, "Idempotency-Key": {signUpKey()}}
	return true
}

// nextUpdate picks a writer with no update in flight; with none free it
// skips its turn.
func (w *writes) nextUpdate(r *loadtest.Request) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, u := range w.writers {
		if u.busy {
			continue
		}
		u.busy, u.seq = true, u.seq+1
		r.URL = fmt.Sprintf("%s#%s%d.%d", r.URL, updateFragment, i, u.seq)
		r.Body = fmt.Appendf(nil, `{"lastName":"seq-%d"}`, u.seq)
		r.Header = http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + u.token},
			"Idempotency-Key": {fmt.Sprintf("%s-u%d-%d", w.marker, i, u.seq)}}
		return true
	}
	return false
}

// record notes a finished write; it is the load's OnResult.
func (w *writes) record(res loadtest.Result) {
	ok := res.Code >= 200 && res.Code < 300
	switch res.Method {
	case http.MethodPost:
		if !ok || !strings.HasSuffix(strings.SplitN(res.URL, "#", 2)[0], "/api/users") {
			return
		}
		var p struct {
			ID    int64  `json:"id"`
			Email string `json:"email"`
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		if err := json.Unmarshal(res.Body, &p); err != nil || p.Email == "" {
			w.problems = append(w.problems, fmt.Sprintf("a sign-up was acknowledged with an unreadable answer: %.200s", res.Body))
			return
		}
		w.signUpAcks[p.Email]++
		w.signUpIDs[p.Email] = p.ID
	case http.MethodPatch:
		u, seq, err := w.update(res.URL)
		if err != nil {
			return
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		u.busy = false
		if ok {
			u.acks[seq]++
		}
	}
}

// update finds the writer and sequence number an update's URL names.
func (w *writes) update(rawURL string) (*writer, int, error) {
	pu, err := url.Parse(rawURL)
	if err != nil {
		return nil, 0, err
	}
	is, ss, ok := strings.Cut(strings.TrimPrefix(pu.Fragment, updateFragment), ".")
	i, err1 := strconv.Atoi(is)
	seq, err2 := strconv.Atoi(ss)
	if !ok || err1 != nil || err2 != nil || i < 0 || i >= len(w.writers) {
		return nil, 0, fmt.Errorf("not an update of this run: %s", rawURL)
	}
	return w.writers[i], seq, nil
}

// maxProblems bounds the lost or duplicated writes the report names.
const maxProblems = 10

// audit checks every acknowledged write through the API, outside the
// measured load and with retries: each sign-up is a user with its name, each
// writer's profile holds its last acknowledged update, and nothing was
// acknowledged twice. readerToken reads the public profiles.
func (w *writes) audit(ctx context.Context, api *auditClient, readerToken string) *loadtest.Writes {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := &loadtest.Writes{Marker: w.marker}
	problem := func(format string, a ...any) {
		if len(out.Problems) < maxProblems {
			out.Problems = append(out.Problems, fmt.Sprintf(format, a...))
		}
	}
	for _, p := range w.problems {
		problem("%s", p)
	}

	emails := make([]string, 0, len(w.signUpAcks))
	for e := range w.signUpAcks {
		emails = append(emails, e)
	}
	sort.Strings(emails)
	owner := map[int64]string{}
	for _, email := range emails {
		n, id := w.signUpAcks[email], w.signUpIDs[email]
		out.Acknowledged += n
		if n > 1 {
			out.Duplicated += n - 1
			problem("the sign-up of %s was acknowledged %d times", email, n)
		}
		if other, dup := owner[id]; dup {
			out.Duplicated++
			problem("the sign-ups of %s and %s were both answered with user %d", other, email, id)
			continue
		}
		owner[id] = email
		var pub struct {
			FirstName string `json:"firstName"`
		}
		code, err := api.get(ctx, fmt.Sprintf("/api/users/%d", id), readerToken, &pub)
		if err != nil {
			out.Error = err.Error()
			return out
		}
		want := strings.TrimSuffix(email, "@example.com")
		if code != http.StatusOK || pub.FirstName != want {
			out.Lost++
			problem("the acknowledged sign-up of %s (user %d) is not stored: GET /api/users/%d answered %d with first name %q", email, id, id, code, pub.FirstName)
			continue
		}
		out.Verified++
	}

	for i, u := range w.writers {
		last, acked := 0, 0
		for seq, n := range u.acks {
			acked += n
			last = max(last, seq)
			if n > 1 {
				out.Duplicated += n - 1
				problem("update %d of writer %d was acknowledged %d times", seq, i, n)
			}
		}
		out.Acknowledged += acked
		if acked == 0 {
			continue
		}
		var me struct {
			LastName string `json:"lastName"`
		}
		code, err := api.get(ctx, "/api/me", u.token, &me)
		if err != nil {
			out.Error = err.Error()
			return out
		}
		stored, _ := strconv.Atoi(strings.TrimPrefix(me.LastName, "seq-"))
		// A later update whose answer was lost may be stored: not a loss
		// (its request counts as failed).
		if code != http.StatusOK || stored < last {
			lost := 0
			for seq, n := range u.acks {
				if seq > stored {
					lost += n
				}
			}
			out.Lost += lost
			out.Verified += acked - lost
			problem("writer %d's profile holds %q (HTTP %d), but update seq-%d was the last acknowledged", i, me.LastName, code, last)
			continue
		}
		// The last acknowledged update is stored: it superseded the earlier ones.
		out.Verified += acked
	}
	return out
}
