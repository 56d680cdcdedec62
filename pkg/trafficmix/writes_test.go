package trafficmix

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/empctl/empctl/pkg/loadtest"
	"github.com/empctl/empctl/pkg/trafficmix/apitest"
	"github.com/empctl/empctl/server"
)

// The audit checks the acknowledgements against what the API stores: writes
// that were made pass; an acknowledgement the store lacks is lost; one
// acknowledged twice is duplicated.
func TestWriteAudit(t *testing.T) {
	endpoint := apitest.Server(t, server.Deps{})
	ctx := context.Background()
	m, err := Prepare(ctx, endpoint, verifyLike)
	if err != nil {
		t.Fatal(err)
	}
	w := m.writes
	m.Schedule([]string{"test"}, nil)
	m.Enter("test")
	hc := &http.Client{}
	// send makes one write of the mix and records its answer, as the load does.
	send := func(target int) {
		tg := m.Targets[len(m.Targets)-2+target] // the sign-up, then the update target
		req := loadtest.Request{URL: tg.URL}
		if !tg.Vary(&req) {
			t.Fatal("no writer free")
		}
		hr, err := http.NewRequest(tg.Method, req.URL, bytesReader(req.Body))
		if err != nil {
			t.Fatal(err)
		}
		hr.Header = req.Header
		resp, err := hc.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		m.Record(loadtest.Result{Method: tg.Method, URL: req.URL, Code: resp.StatusCode, Body: body})
	}
	for range 3 {
		send(0)
		send(1)
	}
	api := m.api
	clean := m.Audit(ctx)
	if clean.Acknowledged != 6 || clean.Verified != 6 || clean.Lost != 0 || clean.Duplicated != 0 || clean.Error != "" {
		t.Fatalf("audit of 3 sign-ups and 3 updates: %+v", clean)
	}

	// An acknowledged update the store never got, and a sign-up answered
	// with a user that does not exist: both lost. An update acknowledged
	// twice: duplicated.
	w.mu.Lock()
	w.writers[0].acks[w.writers[0].seq+1] = 1
	w.writers[0].acks[1] = 2
	w.signUpAcks[w.marker+"-ghost@example.com"] = 1
	w.signUpIDs[w.marker+"-ghost@example.com"] = 99999
	w.mu.Unlock()
	bad := m.Audit(ctx)
	if bad.Lost != 2 || bad.Duplicated != 1 || len(bad.Problems) != 3 {
		t.Fatalf("audit with a lost update, a lost sign-up and a duplicate: %+v", bad)
	}
	t.Logf("problems: %q", bad.Problems)
	if bad.Marker != w.marker {
		t.Fatalf("marker %q, want %q", bad.Marker, w.marker)
	}

	// The marker is public (the report prints it, the users' names carry
	// it): the password must owe nothing to it.
	reader := w.marker + "-reader@example.com"
	if code := apitest.Login(t, endpoint, reader, w.marker+"-pw"); code != http.StatusUnauthorized {
		t.Fatalf("signing in with the marker's password answered %d, want 401", code)
	}
	if strings.Contains(w.password, w.marker) || strings.Contains(w.password, strings.TrimPrefix(w.marker, "zd-")) {
		t.Fatalf("the password contains the marker %s", w.marker)
	}

	// After the run every user is locked: the run's own tokens are revoked
	// and even the password the run used no longer signs in.
	locked, accounts := m.Lock(ctx)
	if want := 1 + verifyLike.Writers + 3; locked != want || accounts != want {
		t.Fatalf("locked %d of %d accounts, want %d of %d (a reader, %d writers, 3 sign-ups)", locked, accounts, want, want, verifyLike.Writers)
	}
	for _, tok := range append([]string{m.readerToken}, w.writers[0].token) {
		if code, err := api.get(ctx, "/api/me", tok, nil); err != nil || code != http.StatusUnauthorized {
			t.Fatalf("GET /api/me with the run's token after the lock: %d %v, want 401", code, err)
		}
	}
	for _, email := range []string{reader, w.marker + "-w0@example.com", w.marker + "-s1@example.com"} {
		if code := apitest.Login(t, endpoint, email, w.password); code != http.StatusUnauthorized {
			t.Fatalf("signing in as %s with the run's password after the lock answered %d, want 401", email, code)
		}
	}
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// verifyLike is verify-zero-downtime's mix.
var verifyLike = Options{Prefix: "zd", Writers: 6, SignUps: 12}

// The app's sign-up throttle refusing the run's users is named as such, with
// what to do: wait, or let empctl send the operator key.
func TestSignUpThrottleSaysWhatToDo(t *testing.T) {
	_, err := Prepare(t.Context(), apitest.Server(t, server.Deps{SignUpsPerHour: 3}), verifyLike)
	if err == nil {
		t.Fatal("prepared 7 users past a throttle of 3 sign-ups an hour")
	}
	for _, want := range []string{"HTTP 429", "sign-up throttle", "Wait ", "seconds (Retry-After)", "operator key"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q: %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "<nil>") {
		t.Errorf("the error shows a nil error: %v", err)
	}
	t.Log(err)
}

// With the environment's operator key on every request (Options.Header),
// the run's sign-ups, sign-ins and locks count against the operator
// allowance: a server allowing 3 sign-ups an hour per address prepares,
// audits and locks a verify run's users.
func TestOperatorKeyOnEveryRequest(t *testing.T) {
	const key = "0123456789abcdef0123456789abcdef-test"
	endpoint := apitest.Server(t, server.Deps{SignUpsPerHour: 3, OperatorKey: key})
	o := verifyLike
	o.Header = http.Header{server.OperatorHeader: {key}}
	mix, err := Prepare(t.Context(), endpoint, o)
	if err != nil {
		t.Fatalf("preparing %d users with the operator key: %v", o.Users(), err)
	}
	if locked, accounts := mix.Lock(t.Context()); locked != accounts || accounts != o.Users() {
		t.Fatalf("locked %d of %d, want all %d", locked, accounts, o.Users())
	}
	o.Header = http.Header{server.OperatorHeader: {"not the key"}}
	if _, err := Prepare(t.Context(), endpoint, o); err == nil || !strings.Contains(err.Error(), "HTTP 429") {
		t.Fatalf("a wrong key: %v, want the address's throttle", err)
	}
}
