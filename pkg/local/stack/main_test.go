package stack_test

import (
	"os"
	"testing"

	"github.com/empctl/empctl/pkg/local/localtest"
)

// This test binary is also the fake replica (localtest.FakeRelease) and the
// fake `empctl up` of TestReplicasDieWithAKilledParent.
func TestMain(m *testing.M) {
	localtest.RunFakeReplica()
	if os.Getenv("EMPCTL_FAKE_UP") == "1" {
		os.Exit(fakeUpMain())
	}
	os.Exit(m.Run())
}
