package testenv

import (
	"os"
	"testing"
)

// defaultSchemathesis is where .ci/lib/47-schemathesis.sh installs st.
const defaultSchemathesis = "/opt/empctl/venv-schemathesis/bin/st"

// Schemathesis returns the path of Schemathesis's `st` command (the API
// fuzzer): EMPCTL_SCHEMATHESIS, else the venv CI installs (not whatever `st`
// is on PATH: that name is common). Missing, it fails the test under CI and skips it elsewhere.
func Schemathesis(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("EMPCTL_SCHEMATHESIS"); p != "" {
		return p
	}
	if _, err := os.Stat(defaultSchemathesis); err == nil {
		return defaultSchemathesis
	}
	Missing(t, "Schemathesis (st, the API fuzzer)", "run `bash .ci/run` (or `. .ci/lib/common.sh; . .ci/lib/47-schemathesis.sh`) to install it into /opt/empctl/venv-schemathesis, or set EMPCTL_SCHEMATHESIS to an st binary")
	return ""
}
