package acmcheck

import "strings"

// Covers reports whether a certificate name (DomainName or one of the
// SubjectAlternativeNames) covers the host name as TLS clients check it
// (RFC 6125, which ACM follows): an exact match, ignoring case, or a wildcard
// "*.example.com" standing for exactly one whole left-most label, so it covers
// a.example.com but neither example.com nor a.b.example.com. A wildcard host
// name (a wildcard alias: any one label) is covered only by the same wildcard.
func Covers(certName, host string) bool {
	certName = strings.ToLower(strings.TrimSuffix(certName, "."))
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if certName == "" || host == "" {
		return false
	}
	if certName == host {
		return true
	}
	suffix, ok := strings.CutPrefix(certName, "*")
	if !ok || !strings.HasPrefix(suffix, ".") || strings.Count(suffix, ".") < 2 {
		return false // not a wildcard, or one over a whole top-level domain
	}
	label, ok := strings.CutSuffix(host, suffix)
	return ok && label != "" && !strings.ContainsAny(label, ".*")
}

// Uncovered returns the hosts that none of certNames covers, in their order.
func Uncovered(certNames, hosts []string) []string {
	var out []string
	for _, h := range hosts {
		covered := false
		for _, n := range certNames {
			if Covers(n, h) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, h)
		}
	}
	return out
}
