package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/env/envtest"
	"github.com/empctl/empctl/pkg/iostreams"
	"github.com/empctl/empctl/pkg/trafficmix/apitest"
	"github.com/empctl/empctl/server"
)

// signUpWatch is the real API behind a recorder of the sign-ups it stored,
// with the password each was made with: the test's own view of the users a
// run created, whatever the run reports.
type signUpWatch struct {
	URL string

	mu      sync.Mutex
	users   map[string]string // e-mail → password
	refuse  int               // refuse the sign-ups after this many (0: none)
	patched chan struct{}     // closed at the load's first profile update
	signed  chan struct{}     // closed at the load's first sign-up
	once    sync.Once
	sonce   sync.Once
}

func newSignUpWatch(t *testing.T, refuseAfter int) *signUpWatch {
	w := &signUpWatch{users: map[string]string{}, refuse: refuseAfter, patched: make(chan struct{}), signed: make(chan struct{})}
	api := apitest.Handler(t, server.Deps{})
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPatch && r.URL.Path == "/api/me":
			w.once.Do(func() { close(w.patched) })
		case r.Method == http.MethodPost && r.URL.Path == "/api/users":
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			var u struct{ Email, Password string }
			_ = json.Unmarshal(body, &u)
			w.mu.Lock()
			full := w.refuse > 0 && len(w.users) >= w.refuse
			w.mu.Unlock()
			if full {
				http.Error(rw, `{"error":"refused by the test"}`, http.StatusBadRequest)
				return
			}
			rec := httptest.NewRecorder()
			api.ServeHTTP(rec, r)
			if rec.Code == http.StatusCreated {
				w.mu.Lock()
				w.users[u.Email] = u.Password
				w.mu.Unlock()
				if r.Header.Get("Authorization") == "" && strings.Contains(u.Email, "-s") { // the load's, not the preparation's
					w.sonce.Do(func() { close(w.signed) })
				}
			}
			for k, v := range rec.Header() {
				rw.Header()[k] = v
			}
			rw.WriteHeader(rec.Code)
			_, _ = rw.Write(rec.Body.Bytes())
			return
		}
		api.ServeHTTP(rw, r)
	}))
	t.Cleanup(srv.Close)
	w.URL = srv.URL
	return w
}

// assertLocked checks that no user the run created signs in with the
// password it was created with, and that there were want of them at least.
func (w *signUpWatch) assertLocked(t *testing.T, want int) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.users) < want {
		t.Fatalf("%d users signed up, want at least %d", len(w.users), want)
	}
	for email, password := range w.users {
		if code := apitest.Login(t, w.URL, email, password); code != http.StatusUnauthorized {
			t.Errorf("%s still signs in with the run's password (HTTP %d): not locked", email, code)
		}
	}
}

// failAfterASignUp is an environment whose deploy fails once the load has
// signed a user up.
type failAfterASignUp struct {
	*envtest.Fake
	signed <-chan struct{}
}

func (e failAfterASignUp) DeployBackend(ctx context.Context, rel env.Release, opts env.DeployOptions, progress func(env.Event)) (env.Rollout, error) {
	select {
	case <-e.signed:
	case <-time.After(2 * time.Minute):
		return env.Rollout{}, errors.New("the test waited 2 minutes for the load's first sign-up")
	}
	return e.Fake.DeployBackend(ctx, rel, opts, progress)
}

// runDirect runs the verification against fake with ctx, without the
// command's flag parsing.
func runDirect(ctx context.Context, t *testing.T, e env.Environment) (string, error) {
	ios, _, _, errOut := iostreams.Test()
	err := Run(ctx, &Options{IO: ios, Env: func() (env.Environment, error) { return e, nil }, Dir: t.TempDir(), ReportDir: t.TempDir(),
		Rate: 50, Warmup: 500 * time.Millisecond, Cooldown: time.Second, Timeout: 10 * time.Second, Rollouts: 1})
	t.Logf("stderr:\n%s", errOut)
	return errOut.String(), err
}

// Whatever ends a run early, the users it created are locked: a deploy that
// fails with an error (not a verdict), Ctrl-C during the load, a sign-up
// refused while preparing them.
func TestTheRunsUsersAreLockedOnEveryExitPath(t *testing.T) {
	t.Run("FailedDeploy", func(t *testing.T) {
		w := newSignUpWatch(t, 0)
		fake := &envtest.Fake{EnvName: "prod", EndpointURL: w.URL, DeployErr: errors.New("AccessDeniedException: not authorized to perform ecs:UpdateService")}
		errOut, err := runDirect(t.Context(), t, failAfterASignUp{fake, w.signed})
		if err == nil || !strings.Contains(err.Error(), "AccessDenied") {
			t.Fatalf("a failed deploy: %v, want its error", err)
		}
		if !strings.Contains(errOut, "Locking the run's test users") {
			t.Fatalf("no lock after the failed deploy:\n%s", errOut)
		}
		w.assertLocked(t, 1+mixOptions.Writers+1) // a reader, the writers, the load's sign-ups
	})

	t.Run("CtrlC", func(t *testing.T) {
		w := newSignUpWatch(t, 0)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go func() {
			<-w.patched // the load is on
			cancel()
		}()
		fake := &envtest.Fake{EnvName: "prod", EndpointURL: w.URL}
		_, err := runDirect(ctx, t, fake)
		if cmdutil.ExitCode(err) != cmdutil.ExitCancel {
			t.Fatalf("Ctrl-C: %v (exit %d), want exit %d", err, cmdutil.ExitCode(err), cmdutil.ExitCancel)
		}
		w.assertLocked(t, 1+mixOptions.Writers)
	})

	t.Run("ASignUpRefusedWhilePreparing", func(t *testing.T) {
		w := newSignUpWatch(t, 3)
		fake := &envtest.Fake{EnvName: "prod", EndpointURL: w.URL}
		_, err := runDirect(t.Context(), t, fake)
		if err == nil || !strings.Contains(err.Error(), "preparing the load test's users") {
			t.Fatalf("a refused sign-up: %v, want the preparation's error", err)
		}
		if _, deployed := fake.Called("DeployBackend"); deployed {
			t.Fatal("deployed although the users could not be prepared")
		}
		w.assertLocked(t, 3)
	})
}
