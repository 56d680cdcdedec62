package config

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/empctl/empctl/server"
	"github.com/empctl/empctl/server/store"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.DrainDelay != 2*time.Second || c.ShutdownTimeout != 20*time.Second || c.SessionTTL != 24*time.Hour {
		t.Fatalf("defaults: %+v", c)
	}
	if c.Database != (store.Target{Driver: "sqlite", DSN: "./data/empctl.db"}) {
		t.Fatalf("default database %+v", c.Database)
	}
	if c.DemoEmail != "" || c.DemoPassword != "" {
		t.Fatal("a demo user by default")
	}
}

func TestOverrides(t *testing.T) {
	c, err := FromEnv(env(map[string]string{
		"PORT": "9090", "HOST": "127.0.0.1", "DATABASE_URL": "sqlite:///tmp/x.db", "APP_VERSION": "v2",
		"INSTANCE_ID": "replica-2", "DRAIN_DELAY": "0s", "SHUTDOWN_TIMEOUT": "5s", "SESSION_TTL": "1h",
		"DEMO_EMAIL": "demo@example.com", "DEMO_PASSWORD": "demo password", "LOG_LEVEL": "debug",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9090" || c.Database.DSN != "/tmp/x.db" || c.AppVersion != "v2" ||
		c.DrainDelay != 0 || c.ShutdownTimeout != 5*time.Second || c.SessionTTL != time.Hour ||
		c.DemoEmail != "demo@example.com" || c.LogLevel.String() != "DEBUG" {
		t.Fatalf("overrides: %+v", c)
	}
}

func TestBadValuesAreAllReported(t *testing.T) {
	_, err := FromEnv(env(map[string]string{
		"PORT": "http", "DRAIN_DELAY": "2", "SHUTDOWN_TIMEOUT": "0s", "SESSION_TTL": "-1h",
		"DEMO_EMAIL": "demo@example.com", "LOG_LEVEL": "loud", "DATABASE_URL": "postgres://x",
	}))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`PORT="http"`, `DRAIN_DELAY="2": not a duration`, `SHUTDOWN_TIMEOUT="0s": must be greater than zero`,
		`SESSION_TTL="-1h"`, "DEMO_EMAIL and DEMO_PASSWORD", `LOG_LEVEL="loud"`, "scheme not supported"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestRDSForm(t *testing.T) {
	c, err := FromEnv(env(map[string]string{"DB_HOST": "db.abc.eu-west-1.rds.amazonaws.com", "DB_NAME": "empctl",
		"DB_SECRET": `{"username":"admin","password":"p@ss:w/rd","engine":"mysql"}`}))
	if err != nil {
		t.Fatal(err)
	}
	want := "admin:p@ss:w/rd@tcp(db.abc.eu-west-1.rds.amazonaws.com:3306)/empctl"
	if c.Database.Driver != "mysql" || c.Database.DSN != want || c.Database.TLS == nil || !c.Database.TLS.InsecureSkipVerify {
		t.Fatalf("RDS DSN = %q, want %q", c.Database.DSN, want)
	}
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"DB_HOST": "h"}, "DB_NAME and DB_SECRET_ARN (or DB_SECRET) must be"},
		{map[string]string{"DB_HOST": "h", "DB_NAME": "n", "DB_SECRET": `{"username":"u","password":"TOPSECRET`}, `DB_SECRET must be JSON`},
		{map[string]string{"DB_HOST": "h", "DB_NAME": "n", "DB_SECRET": `{"username":"u"}`}, `both fields`},
		{map[string]string{"DB_HOST": "h", "DB_NAME": "n", "DB_PORT": "x", "DB_SECRET": `{"username":"u","password":"p"}`}, `DB_PORT="x"`},
		{map[string]string{"DB_HOST": "h", "DATABASE_URL": "sqlite://x"}, "one way only"},
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

func TestInstanceFromECSMetadata(t *testing.T) {
	meta := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v4/abc/task" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"Cluster":"prod","TaskARN":"arn:aws:ecs:eu-west-1:111122223333:task/prod/158d1c8083dd49d6b527399fd6414f5c","AvailabilityZone":"eu-west-1b","Containers":[]}`))
	}))
	defer meta.Close()
	ctx := context.Background()
	inst, err := ResolveInstance(ctx, env(map[string]string{"ECS_CONTAINER_METADATA_URI_V4": meta.URL + "/v4/abc"}), meta.Client())
	if err != nil || inst != (server.Instance{ID: "158d1c8083dd49d6b527399fd6414f5c", AvailabilityZone: "eu-west-1b"}) {
		t.Fatalf("ECS instance = %+v, %v", inst, err)
	}
	inst, _ = ResolveInstance(ctx, env(map[string]string{"ECS_CONTAINER_METADATA_URI_V4": meta.URL + "/v4/abc", "INSTANCE_ID": "blue-1"}), meta.Client())
	if inst != (server.Instance{ID: "blue-1", AvailabilityZone: "eu-west-1b"}) {
		t.Fatalf("INSTANCE_ID override = %+v", inst)
	}
	host, _ := os.Hostname()
	inst, err = ResolveInstance(ctx, env(map[string]string{"ECS_CONTAINER_METADATA_URI_V4": meta.URL + "/wrong"}), meta.Client())
	if err == nil || !strings.Contains(err.Error(), "404") || inst.ID != host {
		t.Fatalf("broken metadata: %+v, %v; want hostname and a warning", inst, err)
	}
	inst, err = ResolveInstance(ctx, env(nil), meta.Client())
	if err != nil || inst != (server.Instance{ID: host}) {
		t.Fatalf("outside ECS: %+v, %v", inst, err)
	}
}
