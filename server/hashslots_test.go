package server

import (
	"net/http"
	"testing"
	"time"
)

// TestHashSlotsTakeTurns: a freed slot goes to the next client in turn, not
// to the client with the most waiting, and a client past its share is
// refused at once.
func TestHashSlotsTakeTurns(t *testing.T) {
	h := newHashSlots(2) // 2 slots, 4 per client
	admit := func(client string) *ticket {
		t.Helper()
		tk, refused := h.admit(client)
		if refused != nil {
			t.Fatalf("%s refused: %s", client, refused.Message)
		}
		return tk
	}
	running := []*ticket{admit("flood"), admit("flood")}
	for _, tk := range running {
		if tk.wait(t.Context()) != nil {
			t.Fatal("a free slot was refused")
		}
	}
	granted := make(chan string, 3)
	queue := func(client string) {
		tk := admit(client)
		n := h.waitingNow()
		go func() {
			if tk.wait(t.Context()) == nil {
				granted <- client
			}
		}()
		for h.waitingNow() == n { // until it is in the queue, so the order is known
			time.Sleep(time.Millisecond)
		}
	}
	queue("flood")
	queue("flood")
	queue("victim")
	if _, refused := h.admit("flood"); refused == nil || refused.Status != http.StatusTooManyRequests {
		t.Fatalf("a fifth hash of one client: %+v, want 429", refused)
	}
	running[0].done()
	first := <-granted
	running[1].done()
	second := <-granted
	if first != "flood" || second != "victim" {
		t.Fatalf("slots went to %s then %s; want the flood's oldest waiter, then the victim before the flood's next", first, second)
	}
}
