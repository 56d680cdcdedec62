package testenv

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
)

// defaultMotoServer is where .ci/lib/45-moto.sh installs moto's server.
const defaultMotoServer = "/opt/empctl/venv-moto/bin/moto_server"

// Moto starts a moto server (the AWS API emulator) for this test on a free
// loopback port and returns its endpoint URL; it is stopped when the test ends.
// Each test gets its own, so tests never see each other's resources.
func Moto(t testing.TB) string {
	t.Helper()
	bin := motoServerPath()
	if bin == "" {
		Missing(t, "moto_server (the AWS emulator)", "run `bash .ci/run` (or `. .ci/lib/common.sh; . .ci/lib/45-moto.sh`) to install it into "+filepath.Dir(filepath.Dir(defaultMotoServer))+", or set EMPCTL_MOTO_SERVER")
	}
	var lastErr error
	// A port picked free can be taken before moto binds it; try a few.
	for range 3 {
		endpoint, err := startMoto(t, bin)
		if err == nil {
			return endpoint
		}
		lastErr = err
	}
	t.Fatalf("starting moto: %v", lastErr)
	return ""
}

// MotoEnv starts a moto server and points the AWS SDK of this process at it
// through the standard variables (AWS_ENDPOINT_URL, static test credentials, a
// region), isolated from any real AWS configuration. It returns the endpoint.
func MotoEnv(t testing.TB) string {
	t.Helper()
	endpoint := Moto(t)
	for k, v := range MotoVars(endpoint) {
		t.Setenv(k, v)
	}
	return endpoint
}

// MotoConfig is MotoEnv and the SDK configuration that this process's
// environment then gives: every client made from it talks to the moto server.
func MotoConfig(t testing.TB) aws.Config {
	t.Helper()
	MotoEnv(t)
	cfg, err := awsconfig.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// MotoVars are the environment variables that point an AWS SDK (this process's
// or a child's) at the moto server at endpoint, and nowhere else.
func MotoVars(endpoint string) map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL":            endpoint,
		"AWS_ACCESS_KEY_ID":           "testing",
		"AWS_SECRET_ACCESS_KEY":       "testing",
		"AWS_SESSION_TOKEN":           "",
		"AWS_REGION":                  "us-east-1",
		"AWS_DEFAULT_REGION":          "us-east-1",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_EC2_METADATA_DISABLED":   "true",
	}
}

func motoServerPath() string {
	if p := os.Getenv("EMPCTL_MOTO_SERVER"); p != "" {
		return p
	}
	if _, err := os.Stat(defaultMotoServer); err == nil {
		return defaultMotoServer
	}
	if p, err := exec.LookPath("moto_server"); err == nil {
		return p
	}
	return ""
}

func startMoto(t testing.TB, bin string) (string, error) {
	port, err := freePort()
	if err != nil {
		return "", err
	}
	logPath := filepath.Join(t.TempDir(), "moto.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return "", err
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return "", fmt.Errorf("starting %s: %w", bin, err)
	}
	// exited is closed once the process has ended; waitErr says how.
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
		_ = logFile.Close()
	}
	endpoint := "http://127.0.0.1:" + strconv.Itoa(port)
	// Python's start-up is slow on a busy machine: wait for it to answer, with a
	// generous deadline, and notice at once if it exited instead.
	deadline := time.Now().Add(2 * time.Minute)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		select {
		case <-exited:
			stop()
			log, _ := os.ReadFile(logPath)
			return "", fmt.Errorf("moto_server exited before it answered (%v): %s", waitErr, log)
		default:
		}
		resp, err := client.Get(endpoint + "/moto-api/")
		if err == nil {
			_ = resp.Body.Close()
			t.Cleanup(stop)
			return endpoint, nil
		}
		if time.Now().After(deadline) {
			stop()
			return "", fmt.Errorf("moto_server on %s did not answer within 2 minutes: %v", endpoint, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}
