package webassets

import "testing"

func TestCacheControl(t *testing.T) {
	for name, want := range map[string]string{
		"index.html":              CacheNoCache,
		"/config.json":            CacheNoCache,
		"main-ABCD1234.js":        CacheImmutable,
		"chunk-5XGH2K3L.js":       CacheImmutable,
		"styles-QWERTYUI.css":     CacheImmutable,
		"media/logo-1a2b3c4d.svg": CacheImmutable,
		"favicon.ico":             CacheNoCache,
		"assets/logo.svg":         CacheNoCache,
	} {
		if got := CacheControl(name); got != want {
			t.Errorf("CacheControl(%q) = %q, want %q", name, got, want)
		}
	}
}
