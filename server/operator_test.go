package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/empctl/empctl/server/store"
)

const testOperatorKey = "0123456789abcdef0123456789abcdef-operator"

func withOperatorKey(d *Deps) { d.OperatorKey = testOperatorKey }

// doAs is doFrom with the operator header set to key ("" sends none).
func (h *harness) doAs(key, client, method, path, token string, body any) response {
	h.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		h.t.Fatal(err)
	}
	req, err := http.NewRequest(method, h.http.URL+path, bytes.NewReader(b))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", client)
	if key != "" {
		req.Header.Set(OperatorHeader, key)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return h.send(req)
}

// sameAnswer: a wrong key must not be an oracle: it gets what no key gets.
func sameAnswer(t *testing.T, without, wrong response) {
	t.Helper()
	if without.status != wrong.status || without.errorCode(t) != wrong.errorCode(t) {
		t.Fatalf("a wrong key answered %d %s, no key %d %s", wrong.status, wrong.body, without.status, without.body)
	}
}

// TestOperatorAllowanceSignUps: the 21st sign-up of the hour from one
// address succeeds with the operator key, and is refused without it or with
// a wrong one; on SQLite and MariaDB, over two instances.
func TestOperatorAllowanceSignUps(t *testing.T) {
	bothDatabases(t, func(t *testing.T, target store.Target) {
		tasks := []*harness{newHarnessOn(t, target, withOperatorKey), newHarnessOn(t, target, withOperatorKey)}
		const ci = "203.0.113.90"
		for i := range 20 {
			tasks[i%2].expect(tasks[i%2].doAs("", ci, "POST", "/api/users", "", signUpBody(fmt.Sprintf("u%d@example.com", i))), http.StatusCreated, "")
		}
		without := tasks[0].doAs("", ci, "POST", "/api/users", "", signUpBody("late@example.com"))
		tasks[0].expect(without, http.StatusTooManyRequests, "too_many_sign_ups")
		for _, wrong := range []string{"wrong", testOperatorKey + "x", strings.ToUpper(testOperatorKey), testOperatorKey[:len(testOperatorKey)-1]} {
			sameAnswer(t, without, tasks[1].doAs(wrong, ci, "POST", "/api/users", "", signUpBody("late@example.com")))
		}
		for i := range 5 {
			tasks[i%2].expect(tasks[i%2].doAs(testOperatorKey, ci, "POST", "/api/users", "", signUpBody(fmt.Sprintf("op%d@example.com", i))), http.StatusCreated, "")
		}
		// The operator's sign-ups did not come out of the address's budget
		// either way: still refused without the key.
		tasks[1].expect(tasks[1].doAs("", ci, "POST", "/api/users", "", signUpBody("later@example.com")), http.StatusTooManyRequests, "too_many_sign_ups")
		for _, h := range tasks {
			if strings.Contains(h.logs.String(), testOperatorKey) {
				t.Fatal("the operator key is in the log")
			}
		}
	})
}

// TestOperatorBudgetEnforced: the allowance is one budget for the whole
// service, whatever the address, shared by every instance.
func TestOperatorBudgetEnforced(t *testing.T) {
	bothDatabases(t, func(t *testing.T, target store.Target) {
		small := func(d *Deps) {
			withOperatorKey(d)
			d.OperatorBudget = OperatorBudget{SignUps: 3, Verifications: 4, ProfileReads: 2}
		}
		tasks := []*harness{newHarnessOn(t, target, small), newHarnessOn(t, target, small)}
		for i := range 3 {
			tasks[i%2].expect(tasks[i%2].doAs(testOperatorKey, fmt.Sprintf("203.0.113.%d", 100+i), "POST", "/api/users", "", signUpBody(fmt.Sprintf("op%d@example.com", i))), http.StatusCreated, "")
		}
		r := tasks[1].doAs(testOperatorKey, "198.51.100.1", "POST", "/api/users", "", signUpBody("op9@example.com"))
		tasks[1].expect(r, http.StatusTooManyRequests, "too_many_sign_ups")
		checkThrottled(t, []response{r})
		// Without the key the address's own limit still applies.
		tasks[0].expect(tasks[0].doAs("", "198.51.100.1", "POST", "/api/users", "", signUpBody("plain@example.com")), http.StatusCreated, "")

		login := func(h *harness, i int) response {
			return h.doAs(testOperatorKey, "203.0.113.1", "POST", "/api/login", "", map[string]string{"email": fmt.Sprintf("op%d@example.com", i%3), "password": "correct horse battery"})
		}
		var token string
		for i := range 4 {
			r := login(tasks[i%2], i)
			tasks[i%2].expect(r, http.StatusOK, "")
			token = r.json(t)["token"].(string)
		}
		tasks[0].expect(login(tasks[0], 4), http.StatusTooManyRequests, "too_many_attempts")

		for i, id := range []int{2, 3} { // the token is user 1's
			tasks[i].expect(tasks[i].doAs(testOperatorKey, "203.0.113.1", "GET", fmt.Sprintf("/api/users/%d", id), token, nil), http.StatusOK, "")
		}
		tasks[0].expect(tasks[0].doAs(testOperatorKey, "203.0.113.1", "GET", "/api/users/2", token, nil), http.StatusTooManyRequests, "too_many_profile_reads")
	})
}

// TestOperatorAllowanceSignIns: the per-address password limits (20
// failures and 100 verifications in 15 minutes) do not stop the operator's
// sign-ins; without the key or with a wrong one they do.
func TestOperatorAllowanceSignIns(t *testing.T) {
	h := newHarnessOn(t, sqliteTarget(t), withOperatorKey)
	const ci = "203.0.113.91"
	h.expect(h.doAs("", "198.51.100.9", "POST", "/api/users", "", signUpBody("gate@example.com")), http.StatusCreated, "")
	for i := range 20 { // the lock of a run logs in as sign-ups that were never stored
		h.expect(h.doAs("", ci, "POST", "/api/login", "", map[string]string{"email": fmt.Sprintf("never%d@example.com", i), "password": "whatever1"}), http.StatusUnauthorized, "invalid_credentials")
	}
	good := map[string]string{"email": "gate@example.com", "password": "correct horse battery"}
	without := h.doAs("", ci, "POST", "/api/login", "", good)
	h.expect(without, http.StatusTooManyRequests, "too_many_attempts")
	sameAnswer(t, without, h.doAs("not the key", ci, "POST", "/api/login", "", good))
	h.expect(h.doAs(testOperatorKey, ci, "POST", "/api/login", "", good), http.StatusOK, "")
	h.expect(h.doAs(testOperatorKey, ci, "POST", "/api/login", "", map[string]string{"email": "never99@example.com", "password": "whatever1"}), http.StatusUnauthorized, "invalid_credentials")
}

// TestOperatorAllowanceProfileReads: a client address's 120 reads of other
// profiles an hour do not stop the operator's audit.
func TestOperatorAllowanceProfileReads(t *testing.T) {
	h := newHarnessOn(t, sqliteTarget(t), withOperatorKey)
	const ci = "203.0.113.92"
	_, first := h.user("first@example.com", "1990-01-01")
	_, second := h.user("second@example.com", "1990-01-01")
	other, _ := h.user("other@example.com", "1990-01-01")
	path := fmt.Sprintf("/api/users/%d", other)
	for range 120 {
		h.expect(h.doAs("", ci, "GET", path, first, nil), http.StatusOK, "")
	}
	without := h.doAs("", ci, "GET", path, second, nil)
	h.expect(without, http.StatusTooManyRequests, "too_many_profile_reads")
	sameAnswer(t, without, h.doAs("0123456789abcdef0123456789abcdef-operatoR", ci, "GET", path, second, nil))
	h.expect(h.doAs(testOperatorKey, ci, "GET", path, second, nil), http.StatusOK, "")
}

// TestOperatorHeaderWithoutAllowance: with no key configured the header
// changes nothing, whatever it holds (even empty).
func TestOperatorHeaderWithoutAllowance(t *testing.T) {
	h := newHarness(t)
	const ci = "203.0.113.93"
	for i := range 20 {
		h.expect(h.doAs("", ci, "POST", "/api/users", "", signUpBody(fmt.Sprintf("u%d@example.com", i))), http.StatusCreated, "")
	}
	for _, key := range []string{testOperatorKey, " "} {
		h.expect(h.doAs(key, ci, "POST", "/api/users", "", signUpBody("late@example.com")), http.StatusTooManyRequests, "too_many_sign_ups")
	}
}

// TestOperatorBudgetAgesOut: the operator's hits count for an hour (by the
// minute), then the budget is whole again; Retry-After says when.
func TestOperatorBudgetAgesOut(t *testing.T) {
	h := newHarnessOn(t, sqliteTarget(t), func(d *Deps) {
		withOperatorKey(d)
		d.OperatorBudget = OperatorBudget{SignUps: 2}
	})
	h.expect(h.doAs(testOperatorKey, "203.0.113.1", "POST", "/api/users", "", signUpBody("a@example.com")), http.StatusCreated, "")
	h.clock.Advance(30 * time.Minute)
	h.expect(h.doAs(testOperatorKey, "203.0.113.1", "POST", "/api/users", "", signUpBody("b@example.com")), http.StatusCreated, "")
	r := h.doAs(testOperatorKey, "203.0.113.1", "POST", "/api/users", "", signUpBody("c@example.com"))
	h.expect(r, http.StatusTooManyRequests, "too_many_sign_ups")
	if ra, _ := strconv.Atoi(r.header.Get("Retry-After")); ra < 29*60 || ra > 31*60 {
		t.Fatalf("Retry-After %q, want about 30 minutes", r.header.Get("Retry-After"))
	}
	h.clock.Advance(31 * time.Minute)
	h.expect(h.doAs(testOperatorKey, "203.0.113.1", "POST", "/api/users", "", signUpBody("c@example.com")), http.StatusCreated, "")
}
