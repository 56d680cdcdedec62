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
// fairly between clients. Each client may have at most perClient (two per
// slot) hashes running or waiting, past which it gets 429 at once; waiting
// ones queue per client and a freed slot goes to the next client in turn
// (round-robin), so a flood from one client (or one IPv6 /48) waits behind
// its own requests, not in front of everyone's. New hashes (sign-up, a new
// password) may use only half of the slots, so a burst of sign-ups cannot
// delay logins by more than one hash. When the queue is full the server
// answers 503 busy with Retry-After.
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
	return &hashSlots{free: n, perClient: 2 * n, maxWaiting: 8 * n, held: map[string]int{}, queues: map[string][]*waiter{},
		creators: make(chan struct{}, max(1, n/2))}
}

// ticket is a client's admission to hashing: it counts against the
// client's share from admit to done, waiting or running.
type ticket struct {
	h       *hashSlots
	client  string
	running bool
	creator bool
	ended   bool
}

// admit counts one hash for client, or refuses (errHashingInFlight) when it
// has its share already. It is cheap: callers admit before anything that
// costs (the throttle's database update, the hash), so a flood's excess is
// turned away at the door.
func (h *hashSlots) admit(client string) (*ticket, *apiError) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.held[client] >= h.perClient {
		return nil, errHashingInFlight()
	}
	h.held[client]++
	return &ticket{h: h, client: client}, nil
}

// create admits client and takes a slot, and one of the creators' share,
// to hash a new password; done releases them.
func (h *hashSlots) create(ctx context.Context, client string) (*ticket, *apiError) {
	t, refused := h.admit(client)
	if refused != nil {
		return nil, refused
	}
	select {
	case h.creators <- struct{}{}:
	default:
		if h.creatorWait.Add(1) > int32(4*cap(h.creators)) {
			h.creatorWait.Add(-1)
			t.done()
			return nil, errBusy()
		}
		select {
		case h.creators <- struct{}{}:
			h.creatorWait.Add(-1)
		case <-ctx.Done():
			h.creatorWait.Add(-1)
			t.done()
			return nil, errBusy()
		}
	}
	t.creator = true
	if refused := t.wait(ctx); refused != nil {
		t.done()
		return nil, refused
	}
	return t, nil
}

// wait takes a slot: a free one, or the client's turn in the queue. errBusy
// when the queue is full or ctx ends first.
func (t *ticket) wait(ctx context.Context) *apiError {
	h := t.h
	h.mu.Lock()
	if h.free > 0 {
		h.free--
		h.mu.Unlock()
		t.running = true
		return nil
	}
	if h.waiting >= h.maxWaiting {
		h.mu.Unlock()
		return errBusy()
	}
	w := &waiter{ready: make(chan struct{})}
	if len(h.queues[t.client]) == 0 {
		h.turn = append(h.turn, t.client)
	}
	h.queues[t.client] = append(h.queues[t.client], w)
	h.waiting++
	h.mu.Unlock()

	select {
	case <-w.ready:
		t.running = true
		return nil
	case <-ctx.Done():
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if w.granted { // handed a slot as the request ended: done passes it on
		t.running = true
		return errBusy()
	}
	q := h.queues[t.client]
	i := slices.Index(q, w)
	h.dequeue(t.client, append(q[:i:i], q[i+1:]...))
	h.waiting--
	return errBusy()
}

// done ends the ticket (again: nothing): its slot, if it has one, goes on.
func (t *ticket) done() {
	if t.ended {
		return
	}
	t.ended = true
	h := t.h
	h.mu.Lock()
	if h.held[t.client]--; h.held[t.client] <= 0 {
		delete(h.held, t.client)
	}
	if t.running {
		h.handOn()
	}
	h.mu.Unlock()
	if t.creator {
		<-h.creators
	}
	t.running, t.creator = false, false
}

// handOn gives a freed slot to the next client in turn, if any waits;
// callers hold mu.
func (h *hashSlots) handOn() {
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
