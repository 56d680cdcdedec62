// Package webassets holds the rules for serving the webapp's built files that
// the local load balancer and the S3 deploy share: which files are
// content-hashed, and the Cache-Control header each file gets.
package webassets

import (
	"path"
	"regexp"
)

// Cache-Control values. Hashed assets never change under their name, so
// browsers and CloudFront may keep them for a year; the entry points must be
// revalidated so a deploy is visible at once.
const (
	CacheImmutable = "public, max-age=31536000, immutable"
	CacheNoCache   = "no-cache"
)

// ConfigJSON is the runtime configuration the webapp reads at start-up when the
// deploy does not provide one.
const ConfigJSON = `{"apiBaseUrl":"/api"}` + "\n"

// Angular (esbuild) names bundles like main-ABCD1234.js or chunk-5XGH2K3L.js,
// and their source maps main-ABCD1234.js.map.
var hashedName = regexp.MustCompile(`[-.][A-Za-z0-9_]{8,}\.((m?js|css)(\.map)?|map|woff2?|ttf|eot|svg|png|jpe?g|gif|webp|avif|ico)$`)

// IsHashed reports whether the file's name carries a content hash, so that a
// new release never overwrites it with different content.
func IsHashed(name string) bool { return hashedName.MatchString(path.Base(name)) }

// CacheControl returns the Cache-Control header for the file at name (a path
// relative to the webapp's root).
func CacheControl(name string) string {
	if IsHashed(name) {
		return CacheImmutable
	}
	return CacheNoCache
}
