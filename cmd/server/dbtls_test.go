package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/empctl/empctl/pkg/testenv"
)

// TestDatabaseTLS runs the server against a private MariaDB that has TLS,
// with a certificate for 127.0.0.1 (and no name) from a CA of the test's
// own, and a user that must use TLS; and against the shared MariaDB, which
// has none.
func TestDatabaseTLS(t *testing.T) {
	db := startTLSMariaDB(t)
	secret := `{"username":"app","password":"` + db.password + `"}`
	rdsEnv := func(extra map[string]string) map[string]string {
		m := map[string]string{"DATABASE_URL": "", "DB_HOST": "127.0.0.1", "DB_PORT": db.port, "DB_NAME": "app", "DB_SECRET": secret}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}

	for name, extra := range map[string]map[string]string{
		"required by default": nil,
		"verify, CA file":     {"DB_TLS": "verify", "DB_TLS_CA": db.caFile},
		"verify, CA text":     {"DB_TLS": "verify", "DB_TLS_CA": string(db.caPEM)},
	} {
		t.Run(name, func(t *testing.T) {
			s := start(t, rdsEnv(extra))
			res, err := http.Post("http://"+s.addr+"/api/users", "application/json",
				strings.NewReader(`{"email":"`+randHex(4)+`@example.com","password":"correct horse battery","firstName":"T","lastName":"LS","birthDate":"1990-01-01"}`))
			if err != nil {
				t.Fatal(err)
			}
			_ = res.Body.Close()
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("sign-up over TLS: %d\n%s", res.StatusCode, s.logs())
			}
		})
	}

	otherCA := filepath.Join(t.TempDir(), "other-ca.pem")
	caPEM, _, _ := newCA(t)
	if err := os.WriteFile(otherCA, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	shared, err := mysql.ParseDSN(testenv.MySQLDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	sharedHost, sharedPort, _ := net.SplitHostPort(shared.Addr)
	sharedSecret, _ := json.Marshal(map[string]string{"username": shared.User, "password": shared.Passwd})
	for name, tc := range map[string]struct {
		env  map[string]string
		want string
	}{
		"a CA that did not sign the certificate": {rdsEnv(map[string]string{"DB_TLS": "verify", "DB_TLS_CA": otherCA}), "certificate signed by unknown authority"},
		// The right CA, but the certificate names 127.0.0.1 only: another
		// database with a certificate from the same CA (any RDS instance) is
		// not the one dialled.
		"a certificate of the CA for another host": {rdsEnv(map[string]string{"DB_HOST": "localhost", "DB_TLS": "verify", "DB_TLS_CA": db.caFile}),
			"wanted to match localhost"},
		"disabled, for a user that requires TLS": {rdsEnv(map[string]string{"DB_TLS": "disabled"}), "Access denied"},
		"required, a server without TLS": {map[string]string{"DB_HOST": sharedHost, "DB_PORT": sharedPort, "DB_NAME": shared.DBName, "DB_SECRET": string(sharedSecret)},
			"TLS requested but server does not support TLS"},
	} {
		t.Run(name, func(t *testing.T) {
			tc.env["HOST"], tc.env["PORT"] = "127.0.0.1", "0"
			// Far below the 30 s of start-up retries: ending before it proves the refusal is final.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var logs strings.Builder
			err := run(ctx, nil, func(k string) string { return tc.env[k] }, &logs)
			if err == nil || !strings.Contains(err.Error(), tc.want) || ctx.Err() != nil {
				t.Fatalf("error %v, want %q at once", err, tc.want)
			}
		})
	}
}

type tlsMariaDB struct {
	port, password, caFile string
	caPEM                  []byte
}

// startTLSMariaDB starts a MariaDB server of the test's own, with TLS, on a
// free loopback port; it is stopped when the test ends.
func startTLSMariaDB(t *testing.T) tlsMariaDB {
	t.Helper()
	const mariadbd, install, client = "/usr/sbin/mariadbd", "mariadb-install-db", "mariadb"
	_, errInstall := exec.LookPath(install)
	if _, err := os.Stat(mariadbd); err != nil || errInstall != nil {
		testenv.Missing(t, "MariaDB's server binaries", "run `eval $(make -s services)`, which installs them")
	}
	dir, err := os.MkdirTemp("", "tlsdb") // short: a socket path is at most 107 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	caPEM, ca, caKey := newCA(t)
	certPEM, keyPEM := newServerCert(t, ca, caKey)
	files := map[string][]byte{"ca.pem": caPEM, "cert.pem": certPEM, "key.pem": keyPEM}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command(install, "--no-defaults", "--user=root", "--datadir="+filepath.Join(dir, "data"),
		"--auth-root-authentication-method=socket", "--skip-test-db").CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", install, err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	_ = l.Close()
	sock := filepath.Join(dir, "mysqld.sock")
	cmd := exec.Command(mariadbd, "--no-defaults", "--user=root", "--datadir="+filepath.Join(dir, "data"),
		"--socket="+sock, "--pid-file="+filepath.Join(dir, "mysqld.pid"), "--port="+port, "--bind-address=127.0.0.1",
		"--skip-name-resolve", "--innodb-buffer-pool-size=16M", "--log-error="+filepath.Join(dir, "error.log"),
		"--ssl-ca="+filepath.Join(dir, "ca.pem"), "--ssl-cert="+filepath.Join(dir, "cert.pem"), "--ssl-key="+filepath.Join(dir, "key.pem"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	password := randHex(12)
	setup := "CREATE DATABASE app; CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY '" + password + "' REQUIRE SSL; " +
		"GRANT ALL PRIVILEGES ON app.* TO 'app'@'127.0.0.1';"
	deadline := time.Now().Add(2 * time.Minute) // a busy machine starts it slowly
	for {
		out, err := exec.Command(client, "--no-defaults", "--socket="+sock, "-uroot", "-e", setup).CombinedOutput()
		if err == nil {
			break
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("mariadbd exited:\n%s", log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("MariaDB did not accept the setup within 2 minutes: %v\n%s", err, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return tlsMariaDB{port: port, password: password, caFile: filepath.Join(dir, "ca.pem"), caPEM: caPEM}
}

func newCA(t *testing.T) ([]byte, *x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "empctl test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), cert, key
}

func newServerCert(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	k, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k})
}
