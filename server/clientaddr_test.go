package server

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

// TestClientAddress covers every header shape, including spoofed ones: a
// header counts only from a trusted peer, and only the entry a trusted proxy
// wrote.
func TestClientAddress(t *testing.T) {
	def := Proxies{}.withDefaults()
	two := Proxies{Hops: 2}.withDefaults()
	none := Proxies{Trusted: []netip.Prefix{}}.withDefaults()
	for _, tc := range []struct {
		name   string
		p      Proxies
		remote string
		xff    []string
		cfva   []string
		want   string
	}{
		{"direct client", def, "192.0.2.1:5555", nil, nil, "192.0.2.1"},
		{"direct IPv6 client keyed by its /48", def, "[2001:db8:1:2:3:4:5:6]:5555", nil, nil, "2001:db8:1::/48"},
		{"IPv4-mapped IPv6 peer", def, "[::ffff:192.0.2.9]:5555", nil, nil, "192.0.2.9"},
		{"untrusted peer's X-Forwarded-For is spoofed", def, "192.0.2.1:5555", []string{"198.51.100.7"}, nil, "192.0.2.1"},
		{"untrusted peer's CloudFront-Viewer-Address is spoofed", def, "192.0.2.1:5555", nil, []string{"198.51.100.7:443"}, "192.0.2.1"},
		{"ALB: the entry it appended", def, "10.0.1.5:80", []string{"198.51.100.7"}, nil, "198.51.100.7"},
		{"ALB: client-supplied entries to the left ignored", def, "10.0.1.5:80", []string{"127.0.0.1, 1.2.3.4, 198.51.100.7"}, nil, "198.51.100.7"},
		{"ALB: several header lines are one list", def, "10.0.1.5:80", []string{"1.2.3.4", "198.51.100.8"}, nil, "198.51.100.8"},
		{"ALB: IPv6 entry", def, "10.0.1.5:80", []string{"2001:db8::7"}, nil, "2001:db8::/48"},
		{"local balancer on loopback", def, "127.0.0.1:40000", []string{"127.0.0.1"}, nil, "127.0.0.1"},
		{"blank entry falls back to the peer", def, "10.0.1.5:80", []string{" "}, nil, "10.0.1.5"},
		{"garbage entry falls back to the peer", def, "10.0.1.5:80", []string{"1.2.3.4, not-an-ip"}, nil, "10.0.1.5"},
		{"CloudFront then ALB", def, "10.0.1.5:80", []string{"198.51.100.7, 130.176.0.1"}, []string{"198.51.100.7:51234"}, "198.51.100.7"},
		{"CloudFront IPv6 viewer, unbracketed", def, "10.0.1.5:80", []string{"130.176.0.1"}, []string{"2001:db8:aa:bb::1:51234"}, "2001:db8:aa::/48"},
		{"CloudFront IPv6 viewer, bracketed", def, "10.0.1.5:80", nil, []string{"[2001:db8:aa:bb::1]:51234"}, "2001:db8:aa::/48"},
		{"viewer address without a port is not CloudFront's", def, "10.0.1.5:80", []string{"198.51.100.9"}, []string{"198.51.100.7"}, "198.51.100.9"},
		{"two viewer addresses: ambiguous, use X-Forwarded-For", def, "10.0.1.5:80", []string{"198.51.100.9"}, []string{"1.1.1.1:1", "198.51.100.7:2"}, "198.51.100.9"},
		{"two hops: CloudFront's entry", two, "10.0.1.5:80", []string{"6.6.6.6, 198.51.100.7, 130.176.0.1"}, nil, "198.51.100.7"},
		{"two hops, fewer entries: the leftmost", two, "10.0.1.5:80", []string{"198.51.100.7"}, nil, "198.51.100.7"},
		{"TRUSTED_PROXIES=none ignores every header", none, "10.0.1.5:80", []string{"198.51.100.7"}, []string{"198.51.100.7:1"}, "10.0.1.5"},
		{"custom network", Proxies{Trusted: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}.withDefaults(), "192.0.2.1:5555", []string{"198.51.100.7"}, nil, "198.51.100.7"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		for _, v := range tc.cfva {
			r.Header.Add("CloudFront-Viewer-Address", v)
		}
		if got := clientKey(tc.p.client(r)); got != tc.want {
			t.Errorf("%s: client = %q, want %q", tc.name, got, tc.want)
		}
	}
}
