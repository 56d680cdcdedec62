// Command server is the empctl API server. Configuration comes from the
// environment (see server/README.md); SIGTERM or SIGINT shut it down
// gracefully.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go shutdownOnSignals(cancel)
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(exitCode(err))
	}
}

// shutdownOnSignals starts the graceful shutdown on the first SIGTERM or
// SIGINT and ends the process on the second (Ctrl-C twice skips the drain).
// Both arrive on one channel that stays registered throughout: restoring the
// default handler only after the first had been handled left a window in
// which a second signal was caught and then dropped.
func shutdownOnSignals(shutdown func()) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
	<-sigs
	shutdown()
	sig := <-sigs
	signal.Reset(syscall.SIGTERM, os.Interrupt)
	// Die of the signal itself, as the default handler would have.
	_ = syscall.Kill(os.Getpid(), sig.(syscall.Signal))
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func exitCode(err error) int {
	if _, ok := err.(usageError); ok {
		return 2
	}
	return 1
}

const usage = `Usage: server [seed-demo]

  server            run the API server until SIGTERM or SIGINT
  server seed-demo  create the demo user (DEMO_EMAIL, DEMO_PASSWORD) if missing, then exit

Configuration is read from the environment: PORT, HOST, LISTEN_FD, DATABASE_URL (or DB_HOST,
DB_PORT, DB_NAME, DB_SECRET_ARN or DB_SECRET), DB_TLS, DB_TLS_CA, DB_TIMEOUT,
DB_CONN_MAX_LIFETIME, APP_VERSION, INSTANCE_ID, DRAIN_DELAY, SHUTDOWN_TIMEOUT,
SESSION_TTL, DEMO_EMAIL, DEMO_PASSWORD, LOG_LEVEL, TRUSTED_PROXIES,
TRUSTED_PROXY_HOPS, SIGN_UPS_PER_HOUR, PUBLIC_DEBUG_INFO, OPERATOR_KEY_SECRET_ARN or
OPERATOR_KEY_FILE.
See server/README.md.
`

// run is the whole program minus signals and exit codes, so tests can start
// and stop a real server in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	switch {
	case len(args) == 0:
		return serve(ctx, getenv, stdout)
	case len(args) == 1 && args[0] == "seed-demo":
		return seedDemo(ctx, getenv, stdout)
	case len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help"):
		_, err := io.WriteString(stdout, usage)
		return err
	default:
		return usageError{fmt.Sprintf("unknown arguments %q\n\n%s", args, usage)}
	}
}
