package store_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/empctl/empctl/server/store"
)

// Addresses stored before sign-up and login applied NFKC are rewritten to
// their normalised form once, at the first start-up of this release, so
// their owners can sign in again; conflicts and invalid ones are left as they
// are and logged by user id only.
func TestNormalizeStoredEmails(t *testing.T) {
	for name, fresh := range backends {
		t.Run(name, func(t *testing.T) {
			target := fresh(t)
			var logs syncBuffer
			prev := slog.Default()
			slog.SetDefault(slog.New(slog.NewJSONHandler(&logs, nil)))
			t.Cleanup(func() { slog.SetDefault(prev) })

			// A database as the previous release left it: the rows below
			// went in with its normalisation (trim and lower case only).
			s := open(t, target)
			ids := map[string]int64{}
			for _, addr := range []string{
				"ａlice@example.com",                      // fullwidth a
				"cafe\u0301@example.com",                 // decomposed é
				"ｇ＠example.com",                          // fullwidth @
				"carol@example.com", "ｃarol@example.com", // the form is taken
				"ｄave@example.com", "dａve@example.com", // two spellings of one form
				"eve\u200b@example.com", // a zero-width space: invalid in any form
				"ok@example.com",
			} {
				res, err := s.DB().Exec(`INSERT INTO users (email, password_hash, first_name, last_name, birth_date, created_at, updated_at)
					VALUES (?, 'h', 'A', 'B', '1990-01-01', 0, 0)`, addr)
				if err != nil {
					t.Fatal(err)
				}
				ids[addr], _ = res.LastInsertId()
			}
			forget(t, s)
			_ = s.Close()

			applied := reopen(t, target, func(s store.Store) {
				want := map[string]string{
					"ａlice@example.com":      "alice@example.com",
					"cafe\u0301@example.com": "caf\u00e9@example.com",
					"ｇ＠example.com":          "g@example.com",
					"carol@example.com":      "carol@example.com", "ｃarol@example.com": "ｃarol@example.com",
					"ｄave@example.com": "ｄave@example.com", "dａve@example.com": "dａve@example.com",
					"eve\u200b@example.com": "eve\u200b@example.com",
					"ok@example.com":        "ok@example.com",
				}
				for before, after := range want {
					u, err := s.UserByEmail(context.Background(), after)
					if err != nil || u.ID != ids[before] {
						t.Errorf("%+q: after the migration %+q finds user %d (%v), want %d", before, after, u.ID, err, ids[before])
					}
				}
			})
			if !slices.Contains(applied, "0003_normalize_emails") {
				t.Errorf("applied %v, want the e-mail migration", applied)
			}
			summary := logLine(t, logs.String(), "stored e-mail addresses normalised (NFKC)")
			if summary["rewritten"] != 3.0 || summary["conflicts"] != 3.0 || summary["invalid"] != 1.0 {
				t.Errorf("summary %v, want 3 rewritten, 3 conflicts, 1 invalid", summary)
			}
			for msg, want := range map[string][]int64{
				"their normalised form belongs to another account": {ids["ｃarol@example.com"], ids["ｄave@example.com"], ids["dａve@example.com"]},
				"even normalised they are not valid":               {ids["eve\u200b@example.com"]},
			} {
				line := logLine(t, logs.String(), msg)
				var got []int64
				for _, id := range line["user_ids"].([]any) {
					got = append(got, int64(id.(float64)))
				}
				if line["count"] != float64(len(want)) || !slices.Equal(got, want) {
					t.Errorf("%q: count %v, user_ids %v; want %d, %v", msg, line["count"], got, len(want), want)
				}
			}
			if strings.Contains(logs.String(), "example.com") {
				t.Errorf("the log shows e-mail addresses:\n%s", logs.String())
			}

			// Recorded as applied: the next start does not scan again.
			s = open(t, target)
			if _, err := s.DB().Exec(`INSERT INTO users (email, password_hash, first_name, last_name, birth_date, created_at, updated_at)
				VALUES ('ｈ@example.com', 'h', 'A', 'B', '1990-01-01', 0, 0)`); err != nil {
				t.Fatal(err)
			}
			_ = s.Close()
			applied = reopen(t, target, func(s store.Store) {
				if _, err := s.UserByEmail(context.Background(), "ｈ@example.com"); err != nil {
					t.Errorf("a second start rewrote an address: %v", err)
				}
			})
			if len(applied) != 0 {
				t.Errorf("the second start applied %v", applied)
			}

			// Run again (as after a crash before it was recorded), it changes
			// nothing more and reports the same leftovers.
			logs.Reset()
			s = open(t, target)
			if _, err := s.DB().Exec(`DELETE FROM users WHERE email = 'ｈ@example.com'`); err != nil {
				t.Fatal(err)
			}
			forget(t, s)
			_ = s.Close()
			reopen(t, target, func(store.Store) {})
			if again := logLine(t, logs.String(), "stored e-mail addresses normalised (NFKC)"); again["rewritten"] != 0.0 || again["conflicts"] != 3.0 || again["invalid"] != 1.0 {
				t.Errorf("second run: %v, want 0 rewritten, 3 conflicts, 1 invalid", again)
			}
		})
	}
}

// forget removes the e-mail migration's record, as in a database the
// previous release left.
func forget(t *testing.T, s store.Store) {
	t.Helper()
	if _, err := s.DB().Exec(`DELETE FROM schema_migrations WHERE name = '0003_normalize_emails'`); err != nil {
		t.Fatal(err)
	}
}

// reopen opens target (running the pending migrations), calls check and
// closes it; it returns the migrations applied.
func reopen(t *testing.T, target store.Target, check func(store.Store)) []string {
	t.Helper()
	s, applied, err := store.Open(context.Background(), target)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer func() { _ = s.Close() }()
	check(s)
	return applied
}

// logLine returns the last JSON log line whose message contains msg.
func logLine(t *testing.T, logs, msg string) map[string]any {
	t.Helper()
	var found map[string]any
	for _, l := range strings.Split(logs, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && strings.Contains(m["msg"].(string), msg) {
			found = m
		}
	}
	if found == nil {
		t.Fatalf("no log line %q in:\n%s", msg, logs)
	}
	return found
}
