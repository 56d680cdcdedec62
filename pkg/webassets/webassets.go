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

// Angular's esbuild build (outputHashing "all") names what it emits
// name-HASH.ext, the hash the first 8 characters of a base32 digest (A-Z and
// 2-7): main-WBYMEBHO.js, chunk-6M7YBOKQ.js, styles-QHD6RH5T.css, their source
// maps (.js.map), and the files CSS references (media/logo-K2Q7ZD3M.svg).
// Anything looser also matches hand-named files (header-background.png,
// banner-20240101.png), which would then be cached for a year and never
// invalidated.
var hashedName = regexp.MustCompile(`.-[A-Z2-7]{8}\.((m?js|css)(\.map)?|woff2?|ttf|eot|otf|svg|png|jpe?g|gif|webp|avif|ico|cur)$`)

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
