package testenv

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// RegistryBinary is Debian's OCI registry (CNCF distribution), package docker-registry.
const RegistryBinary = "/usr/bin/docker-registry"

// Registry is a private OCI registry on loopback that asks for HTTP basic
// authentication, as ECR's registry endpoint does with the user "AWS".
type Registry struct {
	// Host is "127.0.0.1:port"; the registry speaks plain HTTP.
	Host string
	// Dir holds the registry's storage.
	Dir string
}

// StartRegistry starts docker-registry on a free loopback port, with its
// storage in a temporary directory and an htpasswd file holding user and
// password, and stops it when the test ends. A missing binary is
// Missing: .ci/run installs it.
func StartRegistry(t testing.TB, user, password string) *Registry {
	t.Helper()
	if _, err := os.Stat(RegistryBinary); err != nil {
		Missing(t, "Debian's docker-registry ("+RegistryBinary+")", "run `.ci/run` or `apt-get install docker-registry` (the package's own service is not needed)")
	}
	dir := t.TempDir()
	// The registry checks the password on every request: the lowest cost
	// keeps that from dominating what the tests and the bench measure.
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	htpasswd := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(htpasswd, []byte(user+":"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	storage := filepath.Join(dir, "storage")
	// The port is free when chosen and may be taken before the registry binds
	// it; then the registry exits and another port is tried.
	var lastLog string
	for range 5 {
		host := freeLoopbackAddr(t)
		config := filepath.Join(dir, "config.yml")
		if err := os.WriteFile(config, []byte(registryConfig(host, storage, htpasswd)), 0o600); err != nil {
			t.Fatal(err)
		}
		var log bytes.Buffer
		cmd := exec.Command(RegistryBinary, "serve", config)
		cmd.Stdout, cmd.Stderr = &log, &log
		dieWithParent(cmd)
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting %s: %v", RegistryBinary, err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		if waitRegistry(host, exited) {
			t.Cleanup(func() {
				_ = cmd.Process.Signal(syscall.SIGTERM)
				select {
				case <-exited:
				case <-time.After(30 * time.Second):
					_ = cmd.Process.Kill()
					<-exited
				}
			})
			return &Registry{Host: host, Dir: storage}
		}
		_ = cmd.Process.Kill()
		<-exited
		lastLog = log.String()
	}
	t.Fatalf("docker-registry did not start; its last log:\n%s", lastLog)
	return nil
}

func registryConfig(host, storage, htpasswd string) string {
	return fmt.Sprintf(`version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
http:
  addr: %s
  secret: empctl-test-registry
auth:
  htpasswd:
    realm: empctl-test
    path: %s
`, storage, host, htpasswd)
}

// waitRegistry waits until the registry answers /v2/ (401 without
// credentials), or it exits; it reports whether it is up.
func waitRegistry(host string, exited <-chan struct{}) bool {
	client := &http.Client{Timeout: 5 * time.Second}
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); {
		if resp, err := client.Get("http://" + host + "/v2/"); err == nil {
			_ = resp.Body.Close()
			return resp.StatusCode == http.StatusUnauthorized
		}
		select {
		case <-exited:
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
	return false
}

func freeLoopbackAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String()
}
