package server

import (
	"context"
	"net/http"
	"sync/atomic"
)

// hashSlots bounds bcrypt, which takes a core for tens of milliseconds per
// call: at most n run at once (about the number of cores). New hashes
// (sign-up, a new password) may use only half of the slots, so a burst of
// sign-ups cannot delay the logins of existing users by more than one hash.
// Waiting is bounded too; past it the server answers 503 with Retry-After.
type hashSlots struct {
	slots       chan struct{}
	creators    chan struct{}
	waiting     atomic.Int32
	maxWaiting  int32
	creatorWait atomic.Int32
}

func newHashSlots(n int) *hashSlots {
	n = max(1, n)
	return &hashSlots{slots: make(chan struct{}, n), creators: make(chan struct{}, max(1, n/2)), maxWaiting: int32(8 * n)}
}

// verify takes a slot to check a password; release it when done.
func (h *hashSlots) verify(ctx context.Context) (release func(), ok bool) {
	if !h.wait(ctx, &h.waiting, h.maxWaiting, h.slots) {
		return nil, false
	}
	return func() { <-h.slots }, true
}

// create takes a slot, and one of the creators' share, to hash a new password.
func (h *hashSlots) create(ctx context.Context) (release func(), ok bool) {
	if !h.wait(ctx, &h.creatorWait, int32(4*cap(h.creators)), h.creators) {
		return nil, false
	}
	if !h.wait(ctx, &h.waiting, h.maxWaiting, h.slots) {
		<-h.creators
		return nil, false
	}
	return func() { <-h.slots; <-h.creators }, true
}

// wait sends on sem unless too many already wait or ctx ends.
func (h *hashSlots) wait(ctx context.Context, waiting *atomic.Int32, limit int32, sem chan struct{}) bool {
	select {
	case sem <- struct{}{}:
		return true
	default:
	}
	if waiting.Add(1) > limit {
		waiting.Add(-1)
		return false
	}
	defer waiting.Add(-1)
	select {
	case sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func errBusy() *apiError {
	return &apiError{Status: http.StatusServiceUnavailable, Code: "busy",
		Message: "the server is busy checking passwords; retry in a second", RetryAfter: 1}
}
