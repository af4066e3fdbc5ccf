// Package clientip finds the address a request really comes from when
// SafeCase runs behind reverse proxies. X-Forwarded-For is written by the
// client as much as by the proxies: only the entries that the deployment's
// own proxies appended can be believed, and those are the rightmost ones.
// The sign-in throttles and the audit trail key on the address found here,
// so a client must not be able to choose it.
package clientip

import (
	"fmt"
	"net/netip"
	"strings"
)

// Proxies is the set of reverse proxies whose X-Forwarded-For entries are
// believed. The zero value trusts no proxy: the client is the peer.
type Proxies struct {
	prefixes []netip.Prefix
}

// ParseProxies reads a comma-separated list of addresses (192.0.2.7,
// 2001:db8::1) and CIDR ranges (10.0.0.0/8, fd00::/8). Spaces around the
// entries are ignored; an empty list trusts no proxy. An entry that is
// neither an address nor a range is an error naming it.
func ParseProxies(list string) (Proxies, error) {
	var p Proxies
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			pfx, err := netip.ParsePrefix(f)
			if err != nil {
				return Proxies{}, fmt.Errorf("%q is not an address or a CIDR range such as 10.0.0.0/8", f)
			}
			if pfx.Addr().Zone() != "" {
				return Proxies{}, fmt.Errorf("%q: a range cannot name an interface zone", f)
			}
			p.prefixes = append(p.prefixes, pfx.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return Proxies{}, fmt.Errorf("%q is not an address or a CIDR range such as 10.0.0.0/8", f)
		}
		a = a.WithZone("").Unmap()
		p.prefixes = append(p.prefixes, netip.PrefixFrom(a, a.BitLen()))
	}
	return p, nil
}

// MustParseProxies is ParseProxies for tests and fixed lists; it panics on a bad list.
func MustParseProxies(list string) Proxies {
	p, err := ParseProxies(list)
	if err != nil {
		panic(err)
	}
	return p
}

// Empty reports whether p trusts no proxy.
func (p Proxies) Empty() bool { return len(p.prefixes) == 0 }

// String lists p as ParseProxies reads it.
func (p Proxies) String() string {
	s := make([]string, len(p.prefixes))
	for i, x := range p.prefixes {
		if x.IsSingleIP() {
			s[i] = x.Addr().String()
		} else {
			s[i] = x.String()
		}
	}
	return strings.Join(s, ",")
}

// Trusted reports whether a is one of the proxies.
func (p Proxies) Trusted(a netip.Addr) bool {
	a = a.WithZone("").Unmap()
	for _, x := range p.prefixes {
		if x.Contains(a) {
			return true
		}
	}
	return false
}

// Client returns the address of the client of a request that reached this
// server from peer (the connection's remote address, host:port) carrying
// the X-Forwarded-For header values forwarded, in the order received.
//
// The header is read only when the peer is a trusted proxy. Its entries,
// then the peer, are walked from the right: each trusted proxy appended the
// address it received from, so the first address that is not a trusted
// proxy is the client, and anything to its left was written by the client
// and is ignored. When the walk meets an entry that is not an address, or
// runs out of entries with every one trusted, the client is the last
// trusted address walked past: the nearest hop that can be vouched for.
// Entries may carry a port (192.0.2.1:4711, [2001:db8::1]:443); IPv4-mapped
// IPv6 addresses are read as IPv4 and interface zones are dropped.
//
// When the peer itself cannot be read (a test's "pipe"), it is returned as
// it is.
func (p Proxies) Client(peer string, forwarded []string) string {
	pa, ok := parseHop(peer)
	if !ok {
		return peer
	}
	if len(forwarded) == 0 || !p.Trusted(pa) {
		return pa.String()
	}
	last := pa // the last trusted address walked past
	for i := len(forwarded) - 1; i >= 0; i-- {
		entries := strings.Split(forwarded[i], ",")
		for j := len(entries) - 1; j >= 0; j-- {
			a, ok := parseHop(entries[j])
			if !ok {
				return last.String()
			}
			if !p.Trusted(a) {
				return a.String()
			}
			last = a
		}
	}
	return last.String()
}

// parseHop reads one hop: an address, with or without a port.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return netip.Addr{}, false
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().WithZone("").Unmap(), true
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = s[1 : len(s)-1]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.WithZone("").Unmap(), true
}
