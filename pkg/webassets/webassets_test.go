package webassets

import "testing"

func TestCacheControl(t *testing.T) {
	for name, want := range map[string]string{
		"index.html":              CacheNoCache,
		"/config.json":            CacheNoCache,
		"main-ABCD1234.js":        CacheImmutable,
		"chunk-5XGH2K3L.js":       CacheImmutable,
		"styles-QWERTYUI.css":     CacheImmutable,
		"main-ABCD1234.js.map":    CacheImmutable,
		"styles-QWERTYUI.css.map": CacheImmutable,
		"media/logo-1a2b3c4d.svg": CacheImmutable,
		"favicon.ico":             CacheNoCache,
		"assets/logo.svg":         CacheNoCache,
	} {
		if got := CacheControl(name); got != want {
			t.Errorf("CacheControl(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestContentType(t *testing.T) {
	for name, want := range map[string]string{
		"index.html":                "text/html; charset=utf-8",
		"main-ABCD1234.js":          "text/javascript; charset=utf-8",
		"chunk-ABCD1234.mjs":        "text/javascript; charset=utf-8",
		"styles-QWERTYUI.css":       "text/css; charset=utf-8",
		"config.json":               "application/json",
		"media/logo-1a2b3c4d.svg":   "image/svg+xml",
		"favicon.ico":               "image/vnd.microsoft.icon",
		"media/p-1a2b3c4d.png":      "image/png",
		"media/p-1a2b3c4d.webp":     "image/webp",
		"media/font-1a2b3c4d.woff2": "font/woff2",
		"3rdpartylicenses.txt":      "text/plain; charset=utf-8",
		"main-ABCD1234.js.map":      "application/json",
		"manifest.webmanifest":      "application/manifest+json",
		"UPPER.HTML":                "text/html; charset=utf-8",
		"no-extension":              "application/octet-stream",
	} {
		if got := ContentType(name); got != want {
			t.Errorf("ContentType(%q) = %q, want %q", name, got, want)
		}
	}
}
