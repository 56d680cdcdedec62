package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"time"

	"github.com/empctl/empctl/server/store"
)

// OperatorHeader carries the environment's operator key. empctl's rollout
// gate and verify-zero-downtime send it, so that their load is counted
// against the operator allowance instead of the budget of the address they
// run from (a CI runner's), which a verify run and a gated deploy in the same
// hour would exhaust (server/README.md, "Operator allowance").
const OperatorHeader = "X-Empctl-Operator"

// MinOperatorKey is the shortest operator key the server accepts.
const MinOperatorKey = 32

// OperatorBudget is the operator allowance: what all requests carrying the
// operator key may do in an hour, together, for the whole service, in place
// of each client address's limits.
type OperatorBudget struct {
	SignUps       int // sign-ups, instead of SignUpsPerHour per address
	Verifications int // password verifications (login, password change), instead of the per-address limits
	ProfileReads  int // reads of other users' profiles, instead of the per-address limit
}

// DefaultOperatorBudget is sized for gates and verify runs: a verify run
// signs up 19 users and verifies about 40 passwords, a gate 3 and 6.
var DefaultOperatorBudget = OperatorBudget{SignUps: 1000, Verifications: 3000, ProfileReads: 1000}

func (b OperatorBudget) withDefaults() OperatorBudget {
	d := DefaultOperatorBudget
	if b.SignUps > 0 {
		d.SignUps = b.SignUps
	}
	if b.Verifications > 0 {
		d.Verifications = b.Verifications
	}
	if b.ProfileReads > 0 {
		d.ProfileReads = b.ProfileReads
	}
	return d
}

// operator holds the key's hash and the allowance's budgets; the zero
// value (no key) admits no one.
type operator struct {
	keyHash       [sha256.Size]byte
	on            bool
	signUps       *budget
	verifications *budget
	profileReads  *budget
}

func newOperator(key string, b OperatorBudget, st store.Store, now func() time.Time) operator {
	if key == "" {
		return operator{}
	}
	b = b.withDefaults()
	return operator{keyHash: sha256.Sum256([]byte(key)), on: true,
		signUps:       newBudget(st, "operator sign-ups", b.SignUps, time.Hour, now),
		verifications: newBudget(st, "operator verifications", b.Verifications, time.Hour, now),
		profileReads:  newBudget(st, "operator profile reads", b.ProfileReads, time.Hour, now),
	}
}

// is reports whether r carries the operator key. Both sides are hashed
// first, so the comparison takes the same time whatever the header holds; a
// wrong key is just an ordinary request (same limits, same answers).
func (o *operator) is(r *http.Request) bool {
	if !o.on {
		return false
	}
	sum := sha256.Sum256([]byte(r.Header.Get(OperatorHeader)))
	return subtle.ConstantTimeCompare(sum[:], o.keyHash[:]) == 1
}

// takeSignUp counts a sign-up against the client address's limit, or the
// operator allowance's.
func (s *api) takeSignUp(ctx context.Context, client string, op bool) (time.Duration, error) {
	if op {
		return s.operator.signUps.take(ctx)
	}
	return s.signUps.take(ctx, client)
}

func (s *api) giveBackSignUp(ctx context.Context, client string, op bool) error {
	if op {
		return s.operator.signUps.giveBack(ctx)
	}
	return s.signUps.giveBack(ctx, client)
}

// takeProfileRead counts a read of another user's profile against the
// reader's limit and the client address's, or the operator allowance's.
func (s *api) takeProfileRead(r *http.Request, reader string) (time.Duration, error) {
	if !s.operator.is(r) {
		return s.profiles.take(r.Context(), "client "+s.client(r), "reader "+reader)
	}
	wait, err := s.operator.profileReads.take(r.Context())
	if err != nil || wait > 0 {
		return wait, err
	}
	return s.profiles.take(r.Context(), "reader "+reader)
}
