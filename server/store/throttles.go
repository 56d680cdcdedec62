package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// ThrottleRow is one throttle key's state. The store does not interpret
// State; the server encodes its counts there.
type ThrottleRow struct {
	// Key is at most 64 ASCII characters (the server passes a SHA-256 hex).
	Key   string
	State string // "" for a key without a row
	// ExpiresAt is when the row says nothing any more: Sweep deletes it
	// then. A zero ExpiresAt deletes the row at once.
	ExpiresAt time.Time
}

// MaxThrottleState bounds ThrottleRow.State (the column's size).
const MaxThrottleState = 4096

// throttleAttempts: MySQL may pick a reservation as a deadlock victim or
// time out its lock wait under contention; the update is repeated then.
const throttleAttempts = 5

// Throttle reads the rows of keys, lets update change them in place and
// writes them back, atomically: concurrent callers on the same database, in
// this process or another, are serialised on the rows they share (MySQL
// locks them in key order, SQLite takes the write lock). update may run
// more than once (a repeated deadlock victim), so it must only compute.
func (s *sqlStore) Throttle(ctx context.Context, keys []string, update func(rows []ThrottleRow) error) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	keys = slices.Compact(slices.Sorted(slices.Values(keys)))
	for _, k := range keys {
		if k == "" || len(k) > 64 {
			return fmt.Errorf("throttle key %q: want 1-64 characters", k)
		}
	}
	if s.forUpdate != "" {
		// The rows exist before the transaction locks them: locking absent
		// rows takes gap locks, which two first reservations of a key both
		// hold, and their inserts then deadlock.
		marks := strings.TrimSuffix(strings.Repeat("(?, '', ?),", len(keys)), ",")
		args := make([]any, 0, 2*len(keys))
		for _, k := range keys {
			args = append(args, k, time.Now().Add(time.Hour).UnixMilli())
		}
		if _, err := s.db.ExecContext(ctx, `INSERT IGNORE INTO throttles (k, state, expires_at) VALUES `+marks, args...); err != nil {
			return unavailable(fmt.Errorf("creating throttle rows: %w", err))
		}
	}
	var err error
	for i := range throttleAttempts {
		var retry bool
		if retry, err = s.throttleOnce(ctx, keys, update); err == nil || !retry {
			break
		}
		time.Sleep(time.Duration(1+rand.IntN(5<<i)) * time.Millisecond)
	}
	return unavailable(err)
}

func (s *sqlStore) throttleOnce(ctx context.Context, keys []string, update func([]ThrottleRow) error) (retry bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.retryTx(err), err
	}
	defer func() { _ = tx.Rollback() }()
	marks := strings.TrimSuffix(strings.Repeat("?,", len(keys)), ",")
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	rows, err := tx.QueryContext(ctx, `SELECT k, state, expires_at FROM throttles WHERE k IN (`+marks+`) ORDER BY k`+s.forUpdate, args...)
	if err != nil {
		return s.retryTx(err), fmt.Errorf("reading throttles: %w", err)
	}
	found := map[string]ThrottleRow{}
	for rows.Next() {
		var r ThrottleRow
		var exp int64
		if err := rows.Scan(&r.Key, &r.State, &exp); err != nil {
			_ = rows.Close()
			return false, err
		}
		if r.State != "" { // "" is a row made just now to be locked
			r.ExpiresAt = time.UnixMilli(exp)
		}
		found[r.Key] = r
	}
	if err := rows.Close(); err != nil {
		return s.retryTx(err), err
	}
	state := make([]ThrottleRow, len(keys))
	for i, k := range keys {
		state[i] = ThrottleRow{Key: k}
		if r, ok := found[k]; ok {
			state[i] = r
		}
	}
	if err := update(state); err != nil {
		return false, err
	}
	for i, r := range state {
		stored, existed := found[r.Key]
		switch {
		case r.Key != keys[i]:
			return false, errors.New("throttle update changed a key")
		case len(r.State) > MaxThrottleState:
			return false, fmt.Errorf("throttle state of %d bytes, over %d", len(r.State), MaxThrottleState)
		case existed && r == stored && r.State != "":
			continue
		case r.ExpiresAt.IsZero():
			if existed {
				_, err = tx.ExecContext(ctx, `DELETE FROM throttles WHERE k = ?`, r.Key)
			}
		case existed:
			_, err = tx.ExecContext(ctx, `UPDATE throttles SET state = ?, expires_at = ? WHERE k = ?`, r.State, r.ExpiresAt.UnixMilli(), r.Key)
		default:
			// A key without a row: two first reservations of it race here,
			// and the second gets a duplicate key and repeats, reading the
			// first's row.
			_, err = tx.ExecContext(ctx, `INSERT INTO throttles (k, state, expires_at) VALUES (?, ?, ?)`, r.Key, r.State, r.ExpiresAt.UnixMilli())
		}
		if err != nil {
			return s.retryTx(err) || s.isDuplicate(err), fmt.Errorf("writing throttle: %w", err)
		}
	}
	err = tx.Commit()
	return err != nil && s.retryTx(err), err
}

// Sweep deletes expired throttle rows and expired sessions; both indexes
// make it cheap, and the server runs it now and then (server/README.md).
func (s *sqlStore) Sweep(ctx context.Context, now time.Time) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if _, err := s.db.ExecContext(ctx, `DELETE FROM throttles WHERE expires_at <= ?`, now.UnixMilli()); err != nil {
		return unavailable(fmt.Errorf("deleting expired throttles: %w", err))
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, now.UnixMilli()); err != nil {
		return unavailable(fmt.Errorf("deleting expired sessions: %w", err))
	}
	return nil
}
