package verify

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/empctl/empctl/pkg/loadtest"
	"github.com/empctl/empctl/server"
	"github.com/empctl/empctl/server/store"
)

// apiServer runs the real API in-process on a SQLite file.
func apiServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(apiHandler(t))
	t.Cleanup(srv.Close)
	return srv.URL
}

// apiHandler is the real API on a SQLite file of its own.
func apiHandler(t *testing.T) http.Handler {
	t.Helper()
	return apiHandlerWith(t, server.Deps{})
}

// apiHandlerWith is apiHandler with the settings of deps.
func apiHandlerWith(t *testing.T, deps server.Deps) http.Handler {
	t.Helper()
	st, _, err := store.Open(context.Background(), store.Target{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "api.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	deps.Store, deps.Logger, deps.BcryptCost = st, slog.New(slog.NewTextHandler(io.Discard, nil)), bcrypt.MinCost
	return server.NewServer(deps)
}

// The audit checks the acknowledgements against what the API stores: writes
// that were made pass; an acknowledgement the store lacks is lost; one
// acknowledged twice is duplicated.
func TestWriteAudit(t *testing.T) {
	endpoint := apiServer(t)
	ctx := context.Background()
	m, err := prepareMix(ctx, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	w := m.writes
	w.schedule([]string{"test"})
	w.enter("test")
	hc := &http.Client{}
	// send makes one write of the mix and records its answer, as the load does.
	send := func(target int) {
		tg := m.targets[len(m.targets)-2+target] // the sign-up, then the update target
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
		w.record(loadtest.Result{Method: tg.Method, URL: req.URL, Code: resp.StatusCode, Body: body})
	}
	for range 3 {
		send(0)
		send(1)
	}
	api := newAuditClient(endpoint)
	clean := w.audit(ctx, api, m.readerToken)
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
	bad := w.audit(ctx, api, m.readerToken)
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
	if code := login(t, endpoint, reader, w.marker+"-pw"); code != http.StatusUnauthorized {
		t.Fatalf("signing in with the marker's password answered %d, want 401", code)
	}
	if strings.Contains(w.password, w.marker) || strings.Contains(w.password, strings.TrimPrefix(w.marker, "zd-")) {
		t.Fatalf("the password contains the marker %s", w.marker)
	}

	// After the run every user is locked: the run's own tokens are revoked
	// and even the password the run used no longer signs in.
	locked, accounts := w.lockAccounts(ctx, api, m.readerToken)
	if want := 1 + writers + 3; locked != want || accounts != want {
		t.Fatalf("locked %d of %d accounts, want %d of %d (a reader, %d writers, 3 sign-ups)", locked, accounts, want, want, writers)
	}
	for _, tok := range append([]string{m.readerToken}, w.writers[0].token) {
		if code, err := api.get(ctx, "/api/me", tok, nil); err != nil || code != http.StatusUnauthorized {
			t.Fatalf("GET /api/me with the run's token after the lock: %d %v, want 401", code, err)
		}
	}
	for _, email := range []string{reader, w.marker + "-w0@example.com", w.marker + "-s1@example.com"} {
		if code := login(t, endpoint, email, w.password); code != http.StatusUnauthorized {
			t.Fatalf("signing in as %s with the run's password after the lock answered %d, want 401", email, code)
		}
	}
}

// login answers the status of POST /api/login.
func login(t *testing.T, endpoint, email, password string) int {
	t.Helper()
	code, err := newAuditClient(endpoint).do(context.Background(), http.MethodPost, "/api/login", nil, map[string]string{"email": email, "password": password}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// The app's sign-up throttle refusing the run's users is named as such, with
// what to do: wait, or raise SIGN_UPS_PER_HOUR.
func TestSignUpThrottleSaysWhatToDo(t *testing.T) {
	srv := httptest.NewServer(apiHandlerWith(t, server.Deps{SignUpsPerHour: 3}))
	t.Cleanup(srv.Close)
	_, err := prepareMix(t.Context(), srv.URL)
	if err == nil {
		t.Fatal("prepared 7 users past a throttle of 3 sign-ups an hour")
	}
	for _, want := range []string{"HTTP 429", "sign-up throttle", "Wait ", "seconds (Retry-After)", "raise SIGN_UPS_PER_HOUR"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q: %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "<nil>") {
		t.Errorf("the error shows a nil error: %v", err)
	}
	t.Log(err)
}
