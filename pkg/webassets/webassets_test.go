package webassets

import "testing"

func TestCacheControl(t *testing.T) {
	for name, want := range map[string]string{
		// What Angular's esbuild build emits (webapp/dist after
		// `make -C webapp build`, and its media files).
		"main-WBYMEBHO.js":           CacheImmutable,
		"chunk-6M7YBOKQ.js":          CacheImmutable,
		"chunk-727CZDMC.js":          CacheImmutable,
		"polyfills-FFHMD2TL.js":      CacheImmutable,
		"styles-QHD6RH5T.css":        CacheImmutable,
		"main-WBYMEBHO.js.map":       CacheImmutable,
		"styles-QHD6RH5T.css.map":    CacheImmutable,
		"chunk-ABCD2345.mjs":         CacheImmutable,
		"media/logo-K2Q7ZD3M.svg":    CacheImmutable,
		"media/photo-4TQX2M7A.png":   CacheImmutable,
		"media/inter-ZQ3H5B7C.woff2": CacheImmutable,
		// Unhashed: the entry points, and files named by hand (public/).
		"index.html":                   CacheNoCache,
		"/config.json":                 CacheNoCache,
		"favicon.ico":                  CacheNoCache,
		"assets/logo.svg":              CacheNoCache,
		"header-background.png":        CacheNoCache,
		"assets/header-background.png": CacheNoCache,
		"fonts/roboto-regular.woff2":   CacheNoCache,
		"icons/icon-72x72.png":         CacheNoCache,
		"media/logo-1a2b3c4d.svg":      CacheNoCache, // lowercase: not esbuild's
		"app.bundle.js":                CacheNoCache,
		"banner-20240101.png":          CacheNoCache,
		"main-ABCD23456.js":            CacheNoCache, // 9 characters
		"main-ABCD234.js":              CacheNoCache, // 7
		"-ABCD2345.js":                 CacheNoCache,
		"main-ABCD2345.json":           CacheNoCache,
		"main.ABCD2345.js":             CacheNoCache,
		"main-ABCD1234.js":             CacheNoCache, // 1 is not in base32
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
		"media/logo-K2Q7ZD3M.svg":   "image/svg+xml",
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
