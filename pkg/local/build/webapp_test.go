package build

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A webapp whose build counts its runs: the rebuild decision is by content,
// so a touch that changes no byte does not rebuild and an edit does.
func TestWebappRebuildsOnContentChangeOnly(t *testing.T) {
	dir := t.TempDir()
	web := filepath.Join(dir, "webapp")
	write := func(name, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(web, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(web, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("package.json", "{}")
	write("src/main.ts", "console.log(1)")
	write("Makefile", "build:\n\tmkdir -p dist/webapp/browser && cp src/main.ts dist/webapp/browser/index.html && echo x >> ../builds\n")
	builds := func() int {
		b, _ := os.ReadFile(filepath.Join(dir, "builds"))
		return strings.Count(string(b), "x")
	}
	build := func() string {
		t.Helper()
		dist, _, err := Webapp(t.Context(), dir, false, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		return dist
	}

	dist := build()
	if builds() != 1 || dist != filepath.Join(web, "dist", "webapp", "browser") {
		t.Fatalf("first build: %d builds, dist %s", builds(), dist)
	}
	if build(); builds() != 1 {
		t.Fatal("an unchanged webapp was built again")
	}
	n := builds()

	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(web, "src", "main.ts"), future, future); err != nil {
		t.Fatal(err)
	}
	if build(); builds() != n {
		t.Fatal("a touch that changed no byte rebuilt the webapp")
	}
	write("src/main.ts", "console.log(2)")
	if build(); builds() != n+1 {
		t.Fatal("an edit did not rebuild the webapp")
	}
}
