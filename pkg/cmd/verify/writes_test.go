package verify

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/empctl/empctl/pkg/loadtest"
	"github.com/empctl/empctl/server"
	"github.com/empctl/empctl/server/store"
)

// apiServer runs the real API in-process on a SQLite file.
func apiServer(t *testing.T) string {
	t.Helper()
	st, _, err := store.Open(context.Background(), store.Target{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "api.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	srv := httptest.NewServer(server.NewServer(server.Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), BcryptCost: bcrypt.MinCost}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// The audit checks the acknowledgements against what the API stores: writes
// that were made pass; an acknowledgement the store lacks is lost; one
// acknowledged twice is duplicated.
func TestWriteAudit(t *testing.T) {
	endpoint := apiServer(t)
	ctx := context.Background()
	m, err := prepareMix(ctx, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	w := m.writes
	hc := &http.Client{}
	// send makes one write of the mix and records its answer, as the load does.
	send := func(target int) {
		tg := m.targets[len(m.targets)-2+target] // the sign-up, then the update target
		req := loadtest.Request{URL: tg.URL}
		if !tg.Vary(&req) {
			t.Fatal("no writer free")
		}
		hr, err := http.NewRequest(tg.Method, req.URL, bytesReader(req.Body))
		if err != nil {
			t.Fatal(err)
		}
		hr.Header = req.Header
		resp, err := hc.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		w.record(loadtest.Result{Method: tg.Method, URL: req.URL, Code: resp.StatusCode, Body: body})
	}
	for range 3 {
		send(0)
		send(1)
	}
	api := newAuditClient(endpoint)
	clean := w.audit(ctx, api, m.readerToken)
	if clean.Acknowledged != 6 || clean.Verified != 6 || clean.Lost != 0 || clean.Duplicated != 0 || clean.Error != "" {
		t.Fatalf("audit of 3 sign-ups and 3 updates: %+v", clean)
	}

	// An acknowledged update the store never got, and a sign-up answered
	// with a user that does not exist: both lost. An update acknowledged
	// twice: duplicated.
	w.mu.Lock()
	w.writers[0].acks[w.writers[0].seq+1] = 1
	w.writers[0].acks[1] = 2
	w.signUpAcks[w.marker+"-ghost@example.com"] = 1
	w.signUpIDs[w.marker+"-ghost@example.com"] = 99999
	w.mu.Unlock()
	bad := w.audit(ctx, api, m.readerToken)
	if bad.Lost != 2 || bad.Duplicated != 1 || len(bad.Problems) != 3 {
		t.Fatalf("audit with a lost update, a lost sign-up and a duplicate: %+v", bad)
	}
	t.Logf("problems: %q", bad.Problems)
	if bad.Marker != w.marker {
		t.Fatalf("marker %q, want %q", bad.Marker, w.marker)
	}
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
