package server

import (
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
)

// Proxies says whose forwarded headers name the client. Headers are honoured
// only from a trusted peer: anyone else could set them to any address.
type Proxies struct {
	// Trusted are the networks the proxies in front of the server (the ALB,
	// the local balancer) connect from. Nil means DefaultTrustedProxies;
	// empty trusts no one, so the TCP peer is always the client.
	Trusted []netip.Prefix
	// Hops is how many trusted proxies append to X-Forwarded-For: the ALB
	// alone (or the local balancer) is 1, the default.
	Hops int
}

// DefaultTrustedProxies: loopback (the local balancer) and the private
// ranges an ALB's subnets live in.
var DefaultTrustedProxies = []netip.Prefix{
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("fc00::/7"),
}

func (p Proxies) withDefaults() Proxies {
	if p.Trusted == nil {
		p.Trusted = DefaultTrustedProxies
	}
	if p.Hops <= 0 {
		p.Hops = 1
	}
	return p
}

func (p Proxies) trusts(a netip.Addr) bool {
	for _, n := range p.Trusted {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// client is the address of the request's client. From a trusted peer:
// CloudFront-Viewer-Address (CloudFront sets it, replacing anything the
// viewer sent), else the X-Forwarded-For entry the outermost trusted proxy
// appended. Otherwise, and whenever those headers are unusable, the peer.
func (p Proxies) client(r *http.Request) netip.Addr {
	peer := parseHost(r.RemoteAddr)
	if !peer.IsValid() || !p.trusts(peer) {
		return peer
	}
	if v := r.Header.Values("CloudFront-Viewer-Address"); len(v) == 1 {
		if a := parseViewerAddress(v[0]); a.IsValid() {
			return a
		}
	}
	var entries []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		for e := range strings.SplitSeq(v, ",") {
			entries = append(entries, strings.TrimSpace(e))
		}
	}
	if len(entries) == 0 {
		return peer
	}
	// Each trusted proxy appended its peer on the right; whatever lies left
	// of the outermost one's entry came from the client and proves nothing.
	if a := parseHost(entries[max(0, len(entries)-p.Hops)]); a.IsValid() {
		return a
	}
	return peer
}

// parseHost reads "ip", "ip:port" or "[ipv6]:port".
func parseHost(s string) netip.Addr {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone("")
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		if a, err := netip.ParseAddr(host); err == nil {
			return a.Unmap().WithZone("")
		}
	}
	return netip.Addr{}
}

// parseViewerAddress reads CloudFront's "ip:port", where an IPv6 address is
// not bracketed ("2001:db8::1:443").
func parseViewerAddress(s string) netip.Addr {
	s = strings.TrimSpace(s)
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return netip.Addr{}
	}
	if _, err := strconv.ParseUint(s[i+1:], 10, 16); err != nil {
		return netip.Addr{}
	}
	return parseHost(strings.TrimSuffix(strings.TrimPrefix(s[:i], "["), "]"))
}

// ipv6ClientPrefix: an IPv6 client is counted by its /48. Anyone can hold a
// /48 for free (tunnel brokers hand them out; many hosting providers and
// business lines assign one), so a narrower key gives one attacker 65,536
// /64s or 256 /56s, each with a fresh budget and its own turn at hashing.
// The price: subscribers of an ISP that hands out /56s or /64s from one /48
// share a budget, which the exemptions of known clients soften
// (server/README.md).
const ipv6ClientPrefix = 48

// clientKey names a client for throttling: an IPv4 address, or the /48 an
// IPv6 address belongs to.
func clientKey(a netip.Addr) string {
	switch {
	case !a.IsValid():
		return "unknown"
	case a.Is4():
		return a.String()
	default:
		p, _ := a.Prefix(ipv6ClientPrefix)
		return p.String()
	}
}
