// Package testenv finds the real services integration tests need (MariaDB, a
// Terraform binary, Chromium, ...). Under CI a missing service fails the test;
// elsewhere the test is skipped with a message saying how to enable it.
package testenv

import (
	"os"
	"testing"
)

// InCI reports whether the CI environment variable is set, as .ci/run sets it.
func InCI() bool { return os.Getenv("CI") != "" }

// Missing fails the test under CI and skips it elsewhere. how says how to make
// the service available, e.g. "run `make services`".
func Missing(t testing.TB, what, how string) {
	t.Helper()
	if InCI() {
		t.Fatalf("%s is not available, and CI is set so this test may not skip: %s", what, how)
	}
	t.Skipf("%s is not available; to run this test, %s", what, how)
}
