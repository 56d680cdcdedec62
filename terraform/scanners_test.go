package terraform_test

import (
	"regexp"
	"strings"
	"testing"
)

var (
	checkovSkipRE = regexp.MustCompile(`#checkov:skip=([A-Z0-9_]+)(:.*)?`)
	tfsecIgnoreRE = regexp.MustCompile(`#tfsec:ignore:([a-z0-9-]+)(.*)`)
)

// Every finding accepted from checkov or tfsec says why, inline, where the
// resource is (make lint runs both with zero failed checks).
func TestScannerSkipsGiveReasons(t *testing.T) {
	m := load(t)
	for name, src := range m.files {
		for _, line := range strings.Split(string(src), "\n") {
			for _, re := range []*regexp.Regexp{checkovSkipRE, tfsecIgnoreRE} {
				match := re.FindStringSubmatch(line)
				if match == nil {
					continue
				}
				if reason := strings.TrimLeft(match[2], ": "); len(reason) < 20 {
					t.Errorf("%s: %s is accepted without a reason: %q", name, match[1], strings.TrimSpace(line))
				}
			}
		}
	}
}
