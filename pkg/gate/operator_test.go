package gate

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/empctl/empctl/server"
)

// With the environment's operator key (WithHeader), the gate's sign-ups and
// sign-ins count against the operator allowance: a version allowing 2
// sign-ups an hour per address is promoted by a gate that makes 3 from one
// address; without the key the same gate fails it.
func TestTheOperatorKeyCarriesTheGatePastTheAddressLimit(t *testing.T) {
	const key = "0123456789abcdef0123456789abcdef-gate"
	for _, withKey := range []bool{true, false} {
		newH, users := recordSignUps(version(t, "v2", server.Deps{SignUpsPerHour: 2, OperatorKey: key}))
		newURL := serve(t, newH)
		p := newProxy(t, serve(t, version(t, "v1", server.Deps{})), newURL)
		opts := []Option{WithTestRate(100), WithPoll(100 * time.Millisecond)}
		if withKey {
			opts = append(opts, WithHeader(http.Header{server.OperatorHeader: {key}}))
		}
		v, err := New(cfg, opts...).Test(t.Context(), p.route(), logProgress(t))
		if err != nil {
			t.Fatal(err)
		}
		if v.Promote != withKey {
			t.Fatalf("with the key %v: verdict %+v", withKey, v)
		}
		assertLocked(t, newURL, users, 2)
	}
}

// With the key, a release that cannot sign anyone up past the address limit
// no longer fails the gate (the key bypasses that limit); one whose sessions
// are broken (they expire at once) still does, at its signed-in read: the
// README's example of a misconfigured release.
func TestBrokenSessionsFailTheTestWithTheKey(t *testing.T) {
	const key = "0123456789abcdef0123456789abcdef-gate"
	newH, users := recordSignUps(version(t, "v2", server.Deps{SessionTTL: time.Nanosecond, OperatorKey: key}))
	newURL := serve(t, newH)
	p := newProxy(t, serve(t, version(t, "v1", server.Deps{})), newURL)
	g := New(cfg, WithTestRate(100), WithPoll(100*time.Millisecond), WithHeader(http.Header{server.OperatorHeader: {key}}))
	v, err := g.Test(t.Context(), p.route(), logProgress(t))
	if err != nil {
		t.Fatal(err)
	}
	if v.Promote || !strings.Contains(v.Reason, "GET /api/me") || !strings.Contains(v.Reason, "401") {
		t.Fatalf("verdict %+v, want no promotion naming the refused GET /api/me", v)
	}
	if n := len(users.all()); n == 0 {
		t.Fatal("the gate signed no one up")
	}
}
