package main

import (
	"crypto/x509"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/x509roots/fallback/bundle"

	"github.com/empctl/empctl/pkg/testenv"
)

// The image holds the server binary and no /etc/ssl or zoneinfo: embedded.go
// puts the root certificates and the time-zone database in the binary. These
// tests run this package's test binary (the server's main package, embedded.go
// included) in a child process that sees no host file of either kind, and
// check what TLS verification and time.LoadLocation find there.

// embedCheckEnv makes the test binary, run as a child, do the check named by
// its value instead of starting one.
const embedCheckEnv = "EMPCTL_EMBED_CHECK"

// Amazon Root CA 1 anchors the AWS API endpoints the server calls over TLS
// (Secrets Manager for the database secret).
const amazonRoot = "Amazon Root CA 1"

func TestEmbeddedRootCertificates(t *testing.T) {
	if os.Getenv(embedCheckEnv) == "roots" {
		checkRoots(t)
		return
	}
	// SSL_CERT_FILE and SSL_CERT_DIR replace the host's certificate locations
	// for Go's loader: with both empty, it finds no root at all.
	empty := t.TempDir()
	runCheck(t, "roots", nil, "SSL_CERT_FILE="+filepath.Join(empty, "none.pem"), "SSL_CERT_DIR="+empty)
}

func TestEmbeddedTimeZones(t *testing.T) {
	if os.Getenv(embedCheckEnv) == "zones" {
		checkZones(t)
		return
	}
	// No environment variable turns off the host's zoneinfo directories: the
	// child gets a mount namespace of its own in which it covers them.
	runCheck(t, "zones", &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
	})
}

// runCheck runs the calling test again in a child process with check set,
// without ZONEINFO, TZ or the host's certificate settings, plus env.
func runCheck(t *testing.T, check string, attr *syscall.SysProcAttr, env ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v", "-test.count=1")
	for _, kv := range os.Environ() {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "ZONEINFO", "TZ", "SSL_CERT_FILE", "SSL_CERT_DIR", "GODEBUG", embedCheckEnv:
		default:
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(append(cmd.Env, embedCheckEnv+"="+check), env...)
	cmd.SysProcAttr = attr
	out, err := cmd.CombinedOutput()
	var pe *os.PathError
	if attr != nil && errors.As(err, &pe) && (errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOSPC)) {
		testenv.Missing(t, "an unprivileged user and mount namespace ("+err.Error()+")",
			"allow them (sysctl kernel.unprivileged_userns_clone=1, or on Ubuntu kernel.apparmor_restrict_unprivileged_userns=0)")
	}
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("the check in the child process failed (%v):\n%s", err, out)
	}
	t.Logf("child process:\n%s", out)
}

// checkRoots runs in the child: the host offers no root, and TLS
// verification (which uses the system pool when tls.Config.RootCAs is nil)
// still trusts the public roots, among them the one AWS's endpoints chain to.
func checkRoots(t *testing.T) {
	if os.Getenv("SSL_CERT_DIR") == "" || os.Getenv("SSL_CERT_FILE") == "" {
		t.Fatal("the child was started without SSL_CERT_FILE and SSL_CERT_DIR")
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		t.Fatalf("SystemCertPool without host certificates: %v", err)
	}
	var verified, failed int
	sawAmazon := false
	for root := range bundle.Roots() {
		if root.Constraint != nil { // distrusted after a date: not a plain anchor
			continue
		}
		cert, err := x509.ParseCertificate(root.Certificate)
		if err != nil {
			t.Fatal(err)
		}
		// A root verifies as its own chain exactly when it is trusted; the
		// nil Roots are the system pool, as in a TLS handshake.
		opts := x509.VerifyOptions{KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}, CurrentTime: cert.NotBefore.Add(time.Hour)}
		if _, err := cert.Verify(opts); err != nil {
			if failed++; failed <= 3 {
				t.Errorf("%s: %v", cert.Subject.String(), err)
			}
			continue
		}
		verified++
		if cert.Subject.CommonName == amazonRoot {
			sawAmazon = true
			opts.Roots = pool
			if _, err := cert.Verify(opts); err != nil {
				t.Errorf("%s is not in x509.SystemCertPool(): %v", amazonRoot, err)
			}
		}
	}
	if verified < 100 || failed > 0 || !sawAmazon {
		t.Fatalf("%d embedded roots verified, %d failed, %s among them: %v; want the whole Mozilla set", verified, failed, amazonRoot, sawAmazon)
	}
	t.Logf("%d roots trusted with no host certificate", verified)
}

// zoneDirs are where Go looks for the time-zone database on Linux: the
// host's directories (time.platformZoneSources), then the embedded copy, then
// the toolchain's zip, which a test binary, unlike the image's -trimpath
// one, knows.
func zoneDirs() []string {
	dirs := []string{"/usr/share/zoneinfo", "/usr/share/lib/zoneinfo", "/usr/lib/locale/TZ", "/etc/zoneinfo"}
	if goroot := runtime.GOROOT(); goroot != "" { //nolint:staticcheck // the time package's own fallback uses runtime.GOROOT
		dirs = append(dirs, filepath.Join(goroot, "lib", "time"))
	}
	return dirs
}

// checkZones runs in the child, in its own mount namespace: it covers the
// host's zoneinfo directories with empty file systems, then loads zones.
func checkZones(t *testing.T) {
	if _, ok := os.LookupEnv("ZONEINFO"); ok {
		t.Fatal("the child was started with ZONEINFO")
	}
	// Mounts made here must not reach the host's namespace.
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		t.Fatalf("making the child's mounts private: %v", err)
	}
	for _, d := range zoneDirs() {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			continue
		}
		if err := syscall.Mount("tmpfs", d, "tmpfs", syscall.MS_RDONLY, ""); err != nil {
			t.Fatalf("covering %s: %v", d, err)
		}
	}
	for _, d := range zoneDirs() {
		for _, f := range []string{filepath.Join(d, "Europe", "Paris"), filepath.Join(d, "zoneinfo.zip")} {
			if _, err := os.Stat(f); err == nil {
				t.Fatalf("%s is still there", f)
			}
		}
	}
	for name, want := range map[string]string{"Europe/Paris": "CET", "America/New_York": "EST", "Asia/Tokyo": "JST"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Errorf("time.LoadLocation(%q) with no host zoneinfo: %v", name, err)
			continue
		}
		if got, _ := time.Date(2026, 1, 15, 12, 0, 0, 0, loc).Zone(); got != want {
			t.Errorf("%s in January is %s, want %s", name, got, want)
		}
	}
}
