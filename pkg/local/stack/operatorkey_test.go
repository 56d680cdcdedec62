package stack_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/empctl/empctl/pkg/local"
	"github.com/empctl/empctl/pkg/local/localtest"
	"github.com/empctl/empctl/pkg/local/stack"
	"github.com/empctl/empctl/server"
)

// The stack makes the operator key (mode 0600, kept across restarts) and
// hands it to the real replicas, which keep the server's default of 20
// sign-ups an hour per address: the 21st from this machine is refused
// without the key and accepted with the key the local environment reads.
func TestTheReplicasKnowTheOperatorKey(t *testing.T) {
	opts := localtest.Options(t)
	s := localtest.Start(t, opts)
	path := filepath.Join(opts.StateDir, stack.OperatorKeyFile)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the key file: %v, %v; want mode 0600", fi, err)
	}
	key, err := local.NewEnv(localtest.RepoRoot(t), opts.StateDir).OperatorKey(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	signUp := func(i int, header string) int {
		b, _ := json.Marshal(map[string]string{"email": fmt.Sprintf("u%d@example.com", i), "password": "correct horse battery", "firstName": "Ada", "lastName": "Lovelace", "birthDate": "1990-12-10"})
		req, err := http.NewRequest(http.MethodPost, s.Endpoint()+"/api/users", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if header != "" {
			req.Header.Set(server.OperatorHeader, header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	for i := range 20 {
		if code := signUp(i, ""); code != http.StatusCreated {
			t.Fatalf("sign-up %d: HTTP %d", i+1, code)
		}
	}
	if code := signUp(20, ""); code != http.StatusTooManyRequests {
		t.Fatalf("the 21st sign-up without the key: HTTP %d, want 429 (the server's default limit)", code)
	}
	if code := signUp(20, key); code != http.StatusCreated {
		t.Fatalf("the 21st sign-up with the key: HTTP %d", code)
	}
	// Kept: `empctl up` again finds the same key.
	if again, err := stack.EnsureOperatorKey(opts.StateDir); err != nil || again != path {
		t.Fatal(again, err)
	}
	if k, _ := stack.ReadOperatorKey(opts.StateDir); k != key {
		t.Fatal("the key changed")
	}
}
