package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/go-sql-driver/mysql"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/empctl/empctl/pkg/testenv"
)

// TestPasswordRotationUnderLoad rotates the database password as RDS does
// (single-user rotation) while 100 authenticated requests per second run
// against a server reading its credentials from Secrets Manager (moto), with
// connections recycled every 500ms so new ones are made throughout: put
// AWSPENDING, ALTER USER, kill the user's connections (as a failover would),
// wait, promote to AWSCURRENT. Not one request may fail, and the old password
// must no longer work.
func TestPasswordRotationUnderLoad(t *testing.T) {
	adminDSN := testenv.MySQLDSN(t)
	testenv.MotoEnv(t)
	ctx := context.Background()
	admin, dbCfg := openAdmin(t, adminDSN)

	user, oldPW, newPW := "app_"+randHex(4), "old-"+randHex(12), "new-"+randHex(12)
	mustExec(t, admin, fmt.Sprintf("CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY '%s'", user, oldPW))
	t.Cleanup(func() { _, _ = admin.Exec(fmt.Sprintf("DROP USER IF EXISTS '%s'@'127.0.0.1'", user)) })
	mustExec(t, admin, fmt.Sprintf("GRANT ALL PRIVILEGES ON `%s`.* TO '%s'@'127.0.0.1'", dbCfg.DBName, user))

	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sm := secretsmanager.NewFromConfig(awsCfg)
	secret := func(pw string) *string {
		b, _ := json.Marshal(map[string]string{"username": user, "password": pw, "engine": "mysql"})
		return aws.String(string(b))
	}
	created, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("rds!db-" + randHex(4)), SecretString: secret(oldPW)})
	if err != nil {
		t.Fatal(err)
	}

	host, port, _ := net.SplitHostPort(dbCfg.Addr)
	s := start(t, map[string]string{"DATABASE_URL": "", "DB_HOST": host, "DB_PORT": port, "DB_NAME": dbCfg.DBName,
		"DB_SECRET_ARN": *created.ARN, "DB_TLS": "disabled", "DB_CONN_MAX_LIFETIME": "500ms",
		"DEMO_EMAIL": "demo@example.com", "DEMO_PASSWORD": "demo password 1"})
	base := "http://" + s.addr
	token := loginToken(t, base, "demo@example.com", "demo password 1")

	load := startLoad(base+"/api/me", token, 100)
	time.Sleep(2 * time.Second) // steady state first

	// RDS's rotation: createSecret, setSecret, then (here) a failover, then finishSecret.
	pending, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: created.ARN,
		SecretString: secret(newPW), VersionStages: []string{"AWSPENDING"}})
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, admin, fmt.Sprintf("ALTER USER '%s'@'127.0.0.1' IDENTIFIED BY '%s'", user, newPW))
	killed := killConnections(t, admin, user)
	time.Sleep(3 * time.Second)
	if _, err := sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: created.ARN,
		VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: pending.VersionId, RemoveFromVersionId: created.VersionId}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // new connections after the promotion too
	sum := load.stop()
	t.Logf("rotation under load: %s; %d connections killed", sum, killed)

	if sum.total == 0 || sum.failed() != 0 {
		t.Errorf("%s\n%s", sum, s.logs())
	}
	if !strings.Contains(s.logs(), "database credentials re-read") || !strings.Contains(s.logs(), `"label":"AWSPENDING"`) {
		t.Errorf("the server never re-read the secret and used AWSPENDING: the test did not exercise the rotation\n%s", s.logs())
	}
	for _, pw := range []string{oldPW, newPW} {
		if strings.Contains(s.logs(), pw) {
			t.Error("a database password is in the log")
		}
	}
	var me *mysql.MySQLError
	if err := ping(dbCfg, user, oldPW); !errors.As(err, &me) || me.Number != 1045 {
		t.Errorf("the old password still works or fails oddly: %v", err)
	}
	if err := ping(dbCfg, user, newPW); err != nil {
		t.Errorf("the new password does not work: %v", err)
	}
}

func openAdmin(t *testing.T, dsn string) (*sql.DB, *mysql.Config) {
	t.Helper()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db, cfg
}

func mustExec(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%s: %v", strings.SplitN(q, " IDENTIFIED", 2)[0], err)
	}
}

// killConnections ends every connection of user, as a failover does.
func killConnections(t *testing.T, admin *sql.DB, user string) int {
	t.Helper()
	rows, err := admin.Query(`SELECT id FROM information_schema.processlist WHERE user = ?`, user)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	_ = rows.Close()
	for _, id := range ids {
		_, _ = admin.Exec(fmt.Sprintf("KILL CONNECTION %d", id)) // it may have closed meanwhile
	}
	return len(ids)
}

func ping(base *mysql.Config, user, pw string) error {
	cfg := base.Clone()
	cfg.User, cfg.Passwd = user, pw
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		return err
	}
	db := sql.OpenDB(c)
	defer func() { _ = db.Close() }()
	return db.Ping()
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func loginToken(t *testing.T, base, email, password string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	res, err := http.Post(base+"/api/login", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct{ Token string }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("login: %d %v", res.StatusCode, err)
	}
	return out.Token
}

// load is constant-rate authenticated GETs with vegeta, until stopped.
type load struct {
	atk  *vegeta.Attacker
	done chan struct{}
	sum  loadSummary
}

type loadSummary struct {
	total  int
	codes  map[int]int
	errors map[string]int
}

func (s *loadSummary) failed() int { return s.total - s.codes[http.StatusOK] }
func (s *loadSummary) String() string {
	return fmt.Sprintf("%d requests, %d failed (status codes %v, errors %v)", s.total, s.failed(), s.codes, s.errors)
}

func startLoad(url, token string, rate int) *load {
	l := &load{atk: vegeta.NewAttacker(vegeta.Timeout(30*time.Second), vegeta.KeepAlive(true)), done: make(chan struct{}),
		sum: loadSummary{codes: map[int]int{}, errors: map[string]int{}}}
	hdr := http.Header{"Authorization": {"Bearer " + token}}
	results := l.atk.Attack(vegeta.NewStaticTargeter(vegeta.Target{Method: "GET", URL: url, Header: hdr}),
		vegeta.Rate{Freq: rate, Per: time.Second}, 0, "rotation")
	go func() {
		defer close(l.done)
		for r := range results {
			l.sum.total++
			l.sum.codes[int(r.Code)]++
			if r.Error != "" {
				l.sum.errors[r.Error]++
			}
		}
	}()
	return l
}

func (l *load) stop() *loadSummary {
	l.atk.Stop()
	<-l.done
	return &l.sum
}
