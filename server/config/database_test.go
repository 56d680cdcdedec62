package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/empctl/empctl/server/dbsecret"
)

const testARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-0a1b2c-AbCdEf"

func rds(extra map[string]string) map[string]string {
	m := map[string]string{"DB_HOST": "db.abc.eu-west-1.rds.amazonaws.com", "DB_NAME": "empctl", "DB_SECRET_ARN": testARN}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func TestSecretARN(t *testing.T) {
	c, err := FromEnv(env(rds(nil)))
	if err != nil {
		t.Fatal(err)
	}
	src, ok := c.Database.Credentials.(*dbsecret.Source)
	if !ok || src.ARN() != testARN {
		t.Fatalf("credentials = %#v, want the secret %s", c.Database.Credentials, testARN)
	}
	if c.Database.DSN != "tcp(db.abc.eu-west-1.rds.amazonaws.com:3306)/empctl" {
		t.Fatalf("DSN %q should hold no user or password", c.Database.DSN)
	}
	if !strings.Contains(c.Database.Redacted(), "(from the secret)@db.abc") {
		t.Fatalf("redacted: %s", c.Database.Redacted())
	}
}

func TestMySQLSettings(t *testing.T) {
	c, err := FromEnv(env(rds(map[string]string{"DB_TIMEOUT": "2s", "DB_CONN_MAX_LIFETIME": "1m"})))
	if err != nil {
		t.Fatal(err)
	}
	if c.Database.Timeout != 2*time.Second || c.Database.ConnMaxLifetime != time.Minute {
		t.Fatalf("timeouts: %+v", c.Database)
	}
	if c.Database.TLS == nil || !c.Database.TLS.InsecureSkipVerify {
		t.Fatal("TLS is not required by default with DB_HOST")
	}
	c, _ = FromEnv(env(rds(map[string]string{"DB_TLS": "disabled"})))
	if c.Database.TLS != nil {
		t.Fatal("DB_TLS=disabled still sets TLS")
	}
	c, _ = FromEnv(env(map[string]string{"DATABASE_URL": "mysql://u:p@db/x"}))
	if c.Database.TLS != nil {
		t.Fatal("DATABASE_URL without tls or DB_TLS gets TLS")
	}
	c, _ = FromEnv(env(map[string]string{"DATABASE_URL": "mysql://u:p@db/x", "DB_TLS": "required"}))
	if c.Database.TLS == nil {
		t.Fatal("DB_TLS=required ignored with DATABASE_URL")
	}
}

func TestTLSVerify(t *testing.T) {
	caPEM := testCA(t)
	path := filepath.Join(t.TempDir(), "bundle.pem")
	if err := os.WriteFile(path, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, ca := range []string{path, string(caPEM)} {
		c, err := FromEnv(env(rds(map[string]string{"DB_TLS": "verify", "DB_TLS_CA": ca})))
		if err != nil {
			t.Fatal(err)
		}
		if c.Database.TLS == nil || c.Database.TLS.InsecureSkipVerify || c.Database.TLS.RootCAs == nil {
			t.Fatalf("verify: %+v", c.Database.TLS)
		}
	}
}

func TestDatabaseSettingErrors(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.pem")
	_ = os.WriteFile(empty, []byte("not a certificate"), 0o600)
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{rds(map[string]string{"DB_SECRET": `{"username":"u","password":"TOPSECRET"}`}), "DB_SECRET_ARN and DB_SECRET are both set"},
		{rds(map[string]string{"DB_SECRET_ARN": "rds!db-123"}), "not a Secrets Manager secret ARN"},
		{rds(map[string]string{"DB_SECRET_ARN": "arn:aws:ssm:eu-west-1:1:parameter/x"}), "not a Secrets Manager secret ARN"},
		{rds(map[string]string{"DB_TLS": "preferred"}), `DB_TLS="preferred": use required`},
		{rds(map[string]string{"DB_TLS": "verify"}), "DB_TLS=verify needs DB_TLS_CA"},
		{rds(map[string]string{"DB_TLS_CA": "/x.pem"}), "set DB_TLS=verify"},
		{rds(map[string]string{"DB_TLS": "verify", "DB_TLS_CA": "/nonexistent/bundle.pem"}), "reading the CA bundle"},
		{rds(map[string]string{"DB_TLS": "verify", "DB_TLS_CA": empty}), "holds no PEM certificate"},
		{rds(map[string]string{"DB_TIMEOUT": "5"}), `DB_TIMEOUT="5"`},
		{rds(map[string]string{"DB_CONN_MAX_LIFETIME": "0s"}), `DB_CONN_MAX_LIFETIME="0s"`},
		{map[string]string{"DATABASE_URL": "mysql://u:p@db/x?tls=true", "DB_TLS": "verify"}, "configure TLS one way only"},
		{map[string]string{"DB_TLS": "required"}, "DB_TLS is set but the database is SQLite"},
	} {
		_, err := FromEnv(env(tc.env))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.env, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "TOPSECRET") {
			t.Errorf("error echoes the secret: %v", err)
		}
	}
}

// testCA is a self-signed CA certificate in PEM.
func testCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
