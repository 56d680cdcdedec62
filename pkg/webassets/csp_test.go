package webassets

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryServerSendsTheSamePolicy: CloudFront's response headers policy
// and the e2e harness send the policy the local balancer sends, so the
// browser tests run the app under the policy production has.
func TestEveryServerSendsTheSamePolicy(t *testing.T) {
	for _, c := range []struct{ file, want string }{
		{"terraform/webapp.tf", `content_security_policy = "` + ContentSecurityPolicy + `"`},
		{"webapp/e2e/serve.mjs", "`" + ContentSecurityPolicy + "`"},
	} {
		b, err := os.ReadFile(filepath.Join("..", "..", c.file))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), c.want) {
			t.Errorf("%s does not hold the policy of pkg/webassets/csp.go:\n%s", c.file, c.want)
		}
	}
	for _, d := range []string{"script-src 'self';", "object-src 'none'", "base-uri 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(ContentSecurityPolicy, d) {
			t.Errorf("the policy lacks %s", d)
		}
	}
	script, _, _ := strings.Cut(strings.SplitN(ContentSecurityPolicy, "script-src", 2)[1], ";")
	if strings.Contains(ContentSecurityPolicy, "unsafe-eval") || script != " 'self'" {
		t.Error("the policy lets inline or eval'd script run")
	}
}
