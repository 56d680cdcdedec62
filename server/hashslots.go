package server

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
)

// hashSlots bounds bcrypt, which takes a core for tens of milliseconds per
// call: at most n run at once (about the number of cores), and shares them
// fairly between clients. Each client may have at most perClient hashes
// running or waiting; waiting ones queue per client and a freed slot goes to
// the next client in turn (round-robin), so a flood from one client (or one
// IPv6 /48) waits behind its own requests, not in front of everyone's. New
// hashes (sign-up, a new password) may use only half of the slots, so a
// burst of sign-ups cannot delay logins by more than one hash. Past the
// limits the server answers 503 busy with Retry-After.
type hashSlots struct {
	mu         sync.Mutex
	free       int
	perClient  int
	maxWaiting int
	waiting    int
	held       map[string]int       // client -> hashes running or waiting
	queues     map[string][]*waiter // client -> its waiters, oldest first
	turn       []string             // clients with waiters, next first

	creators    chan struct{}
	creatorWait atomic.Int32
}

type waiter struct {
	ready   chan struct{}
	granted bool // under mu: the slot is this waiter's
}

func newHashSlots(n int) *hashSlots {
	n = max(1, n)
	return &hashSlots{free: n, perClient: max(2, n), maxWaiting: 8 * n, held: map[string]int{}, queues: map[string][]*waiter{},
		creators: make(chan struct{}, max(1, n/2))}
}

// verify takes a slot for client to check a password; release it when done.
// The refusal is errBusy or errHashingInFlight.
func (h *hashSlots) verify(ctx context.Context, client string) (release func(), refused *apiError) {
	return h.acquire(ctx, client)
}

// create takes a slot, and one of the creators' share, to hash a new password.
func (h *hashSlots) create(ctx context.Context, client string) (release func(), refused *apiError) {
	select {
	case h.creators <- struct{}{}:
	default:
		if h.creatorWait.Add(1) > int32(4*cap(h.creators)) {
			h.creatorWait.Add(-1)
			return nil, errBusy()
		}
		select {
		case h.creators <- struct{}{}:
			h.creatorWait.Add(-1)
		case <-ctx.Done():
			h.creatorWait.Add(-1)
			return nil, errBusy()
		}
	}
	slot, refused := h.acquire(ctx, client)
	if refused != nil {
		<-h.creators
		return nil, refused
	}
	return func() { slot(); <-h.creators }, nil
}

func (h *hashSlots) acquire(ctx context.Context, client string) (func(), *apiError) {
	h.mu.Lock()
	if h.held[client] >= h.perClient {
		h.mu.Unlock()
		return nil, errHashingInFlight()
	}
	if h.free == 0 && h.waiting >= h.maxWaiting {
		h.mu.Unlock()
		return nil, errBusy()
	}
	h.held[client]++
	if h.free > 0 {
		h.free--
		h.mu.Unlock()
		return func() { h.release(client) }, nil
	}
	w := &waiter{ready: make(chan struct{})}
	if len(h.queues[client]) == 0 {
		h.turn = append(h.turn, client)
	}
	h.queues[client] = append(h.queues[client], w)
	h.waiting++
	h.mu.Unlock()

	select {
	case <-w.ready:
		return func() { h.release(client) }, nil
	case <-ctx.Done():
	}
	h.mu.Lock()
	if w.granted { // handed a slot as the request ended: pass it on
		h.mu.Unlock()
		h.release(client)
		return nil, errBusy()
	}
	q := h.queues[client]
	i := 0
	for q[i] != w {
		i++
	}
	h.dequeue(client, append(q[:i:i], q[i+1:]...))
	h.waiting--
	h.drop(client)
	h.mu.Unlock()
	return nil, errBusy()
}

// release frees client's slot: to the next client in turn, if any waits.
func (h *hashSlots) release(client string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.drop(client)
	if len(h.turn) == 0 {
		h.free++
		return
	}
	next := h.turn[0]
	h.turn = h.turn[1:]
	q := h.queues[next]
	w := q[0]
	h.dequeue(next, q[1:])
	if len(q) > 1 {
		h.turn = append(h.turn, next) // its next waiter goes to the back
	}
	h.waiting--
	w.granted = true
	close(w.ready)
}

// dequeue sets client's queue to q; an empty queue leaves the turn order.
func (h *hashSlots) dequeue(client string, q []*waiter) {
	if len(q) > 0 {
		h.queues[client] = q
		return
	}
	delete(h.queues, client)
	if i := slices.Index(h.turn, client); i >= 0 {
		h.turn = append(h.turn[:i], h.turn[i+1:]...)
	}
}

func (h *hashSlots) drop(client string) {
	if h.held[client]--; h.held[client] <= 0 {
		delete(h.held, client)
	}
}

// waitingNow is how many hashes wait for a slot (tests wait on it).
func (h *hashSlots) waitingNow() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.waiting
}

// errHashingInFlight: this client already has its share of hashes running
// or waiting.
func errHashingInFlight() *apiError {
	return &apiError{Status: http.StatusTooManyRequests, Code: "too_many_attempts",
		Message: "this address has too many password checks in progress; retry in a second", RetryAfter: 1}
}

func errBusy() *apiError {
	return &apiError{Status: http.StatusServiceUnavailable, Code: "busy",
		Message: "the server is busy checking passwords; retry in a second", RetryAfter: 1}
}
