package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Proxies mirrors server.Proxies (convert with server.Proxies(c.Proxies)):
// whose forwarded headers name the client.
type Proxies struct {
	Trusted []netip.Prefix // nil: the server's defaults (loopback and private ranges)
	Hops    int
}

// proxies reads TRUSTED_PROXIES (CIDRs or addresses, comma-separated, or
// "none") and TRUSTED_PROXY_HOPS (default 1: the ALB, or the local balancer).
func proxies(getenv func(string) string) (Proxies, []error) {
	var p Proxies
	var errs []error
	hops := orDefault(getenv("TRUSTED_PROXY_HOPS"), "1")
	n, err := strconv.Atoi(hops)
	if err != nil || n < 1 || n > 10 {
		errs = append(errs, fmt.Errorf("TRUSTED_PROXY_HOPS=%q: must be the number of proxies that append to X-Forwarded-For, 1 to 10 (1 for the ALB alone)", hops))
	}
	p.Hops = n
	raw := strings.TrimSpace(getenv("TRUSTED_PROXIES"))
	switch raw {
	case "":
		return p, errs
	case "none":
		p.Trusted = []netip.Prefix{}
		return p, errs
	}
	p.Trusted = []netip.Prefix{}
	for item := range strings.SplitSeq(raw, ",") {
		item = strings.TrimSpace(item)
		pfx, err := netip.ParsePrefix(item)
		if err != nil {
			a, aerr := netip.ParseAddr(item)
			if aerr != nil {
				errs = append(errs, fmt.Errorf("TRUSTED_PROXIES: %q is neither a CIDR block (10.0.0.0/16) nor an address; list them comma-separated, or write none", item))
				continue
			}
			pfx = netip.PrefixFrom(a, a.BitLen())
		}
		p.Trusted = append(p.Trusted, pfx.Masked())
	}
	return p, errs
}
