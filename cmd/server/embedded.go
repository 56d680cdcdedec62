package main

// The server's container image has no files but the binary: these embed
// Mozilla's root certificates (used only when the system has none) and the
// time-zone database, so TLS to RDS and AWS APIs and time-zone lookups work
// on an empty base, and the image does not depend on the build machine's files.
import (
	_ "time/tzdata"

	_ "golang.org/x/crypto/x509roots/fallback"
)
