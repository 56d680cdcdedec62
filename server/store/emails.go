package store

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/empctl/empctl/server/email"
)

// maxLoggedIDs bounds the user ids one log line lists.
const maxLoggedIDs = 100

// normalizeEmails brings the addresses stored before sign-up and login
// applied email.Normalize (NFKC) to that form: such an account could no
// longer sign in, since login looks up the normalised spelling. An address
// whose form is valid and belongs to no other account takes it. Conflicts
// (the form is another account's, or several addresses share it) and
// addresses whose form is invalid stay as they are, for an operator to
// settle; the log names those accounts by id only, never by address.
// Idempotent: a run cut short is completed by the next.
func normalizeEmails(ctx context.Context, x execer, isDuplicate func(error) bool, log *slog.Logger) error {
	type change struct {
		id       int64
		from, to string
	}
	var changes []change
	var invalid, conflicts []int64
	rows, err := x.QueryContext(ctx, `SELECT id, email FROM users ORDER BY id`)
	if err != nil {
		return fmt.Errorf("reading e-mail addresses: %w", err)
	}
	for rows.Next() {
		var id int64
		var stored string
		if err := rows.Scan(&id, &stored); err != nil {
			_ = rows.Close()
			return fmt.Errorf("reading e-mail addresses: %w", err)
		}
		to := email.Normalize(stored)
		switch {
		case email.Problem(to) != "":
			invalid = append(invalid, id)
		case to != stored:
			changes = append(changes, change{id, stored, to})
		}
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("reading e-mail addresses: %w", err)
	}
	// Two old spellings of one address: neither is more its owner's.
	shared := map[string]int{}
	for _, c := range changes {
		shared[c.to]++
	}
	rewritten := 0
	for _, c := range changes {
		if shared[c.to] > 1 {
			conflicts = append(conflicts, c.id)
			continue
		}
		// By id and old spelling: a row changed since the scan is left alone.
		_, err := x.ExecContext(ctx, `UPDATE users SET email = ? WHERE id = ? AND email = ?`, c.to, c.id, c.from)
		switch {
		case err == nil:
			rewritten++
		case isDuplicate(err): // another account has that form
			conflicts = append(conflicts, c.id)
		default:
			return fmt.Errorf("rewriting the e-mail address of user %d: %w", c.id, err)
		}
	}
	slices.Sort(conflicts)
	if rewritten+len(conflicts)+len(invalid) > 0 { // a new database has nothing to say
		log.Info("stored e-mail addresses normalised (NFKC)", "rewritten", rewritten, "conflicts", len(conflicts), "invalid", len(invalid))
	}
	if len(conflicts) > 0 {
		log.Warn("e-mail addresses left as they were: their normalised form belongs to another account, or to several; "+
			"these users cannot sign in until an operator settles which account keeps the address",
			"count", len(conflicts), "user_ids", firstIDs(conflicts))
	}
	if len(invalid) > 0 {
		log.Warn("e-mail addresses left as they were: even normalised they are not valid (invisible characters, mixed alphabets, ...); "+
			"these users cannot sign in until an operator corrects the address",
			"count", len(invalid), "user_ids", firstIDs(invalid))
	}
	return nil
}

// firstIDs is ids, or its first maxLoggedIDs.
func firstIDs(ids []int64) []int64 {
	return ids[:min(len(ids), maxLoggedIDs)]
}
