package clientip

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseProxies(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		"":                                 "",
		"127.0.0.1":                        "127.0.0.1",
		" 10.0.0.0/8 , 192.0.2.7 ":         "10.0.0.0/8,192.0.2.7",
		"10.1.2.3/8":                       "10.0.0.0/8", // masked
		"2001:db8::1,fd00::/8":             "2001:db8::1,fd00::/8",
		"::ffff:192.0.2.7":                 "192.0.2.7", // read as IPv4
		"fe80::1%eth0":                     "fe80::1",   // zone dropped
		"192.0.2.0/24,,198.51.100.0/24":    "192.0.2.0/24,198.51.100.0/24",
		"0.0.0.0/0":                        "0.0.0.0/0",
		"127.0.0.1, ::1, 172.16.0.0/12   ": "127.0.0.1,::1,172.16.0.0/12",
	}
	for in, want := range good {
		p, err := ParseProxies(in)
		if err != nil {
			t.Errorf("ParseProxies(%q): %v", in, err)
			continue
		}
		if p.String() != want {
			t.Errorf("ParseProxies(%q) = %q, want %q", in, p.String(), want)
		}
	}
	for _, in := range []string{"yes", "true", "10.0.0.0/33", "10.0.0", "proxy.example.org", "10.0.0.1:80",
		"10.0.0.0/8;192.0.2.1", "::1/129", "fe80::%eth0/64", "127.0.0.1 10.0.0.1"} {
		if _, err := ParseProxies(in); err == nil {
			t.Errorf("ParseProxies(%q) accepted a bad list", in)
		} else if !strings.Contains(err.Error(), "\"") {
			t.Errorf("ParseProxies(%q): %v does not quote the bad entry", in, err)
		}
	}
}

// TestClientSpoofing: what a client writes into X-Forwarded-For never
// chooses the address the server sees; only the entries the trusted proxies
// appended count.
func TestClientSpoofing(t *testing.T) {
	t.Parallel()
	one := MustParseProxies("10.0.0.1")
	lan := MustParseProxies("10.0.0.0/8, ::1, 2001:db8:ffff::/48")
	many := strings.Repeat("6.6.6.6, ", 2000) + "203.0.113.9"
	tests := []struct {
		name    string
		proxies Proxies
		peer    string
		xff     []string
		want    string
	}{
		{"no proxy configured: header ignored", Proxies{}, "198.51.100.4:5000", []string{"6.6.6.6"}, "198.51.100.4"},
		{"untrusted peer: header ignored", one, "198.51.100.4:5000", []string{"10.0.0.1"}, "198.51.100.4"},
		{"untrusted peer forging a whole chain", lan, "198.51.100.4:5000", []string{"203.0.113.9, 10.0.0.7"}, "198.51.100.4"},
		{"trusted peer, no header", one, "10.0.0.1:5000", nil, "10.0.0.1"},
		{"one proxy", one, "10.0.0.1:5000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"leftmost forged", one, "10.0.0.1:5000", []string{"6.6.6.6, 203.0.113.9"}, "203.0.113.9"},
		{"leftmost forged as a trusted proxy", one, "10.0.0.1:5000", []string{"10.0.0.1, 203.0.113.9"}, "203.0.113.9"},
		{"two proxies", lan, "10.0.0.2:5000", []string{"6.6.6.6, 203.0.113.9, 10.0.0.1"}, "203.0.113.9"},
		{"many forged entries", one, "10.0.0.1:5000", []string{many}, "203.0.113.9"},
		{"forged header line before the proxy's", one, "10.0.0.1:5000", []string{"6.6.6.6", "203.0.113.9"}, "203.0.113.9"},
		{"proxy's own line after the client's", lan, "10.0.0.2:5000", []string{"6.6.6.6, 203.0.113.9", "10.0.0.1"}, "203.0.113.9"},
		{"garbage on the left", one, "10.0.0.1:5000", []string{"<script>, unknown, 203.0.113.9"}, "203.0.113.9"},
		{"garbage appended after a trusted hop", lan, "10.0.0.2:5000", []string{"203.0.113.9, unknown, 10.0.0.1"}, "10.0.0.1"},
		{"only garbage", one, "10.0.0.1:5000", []string{"unknown"}, "10.0.0.1"},
		{"empty header", one, "10.0.0.1:5000", []string{""}, "10.0.0.1"},
		{"trailing comma", one, "10.0.0.1:5000", []string{"203.0.113.9,"}, "10.0.0.1"},
		{"client with a port", one, "10.0.0.1:5000", []string{"6.6.6.6:1, 203.0.113.9:4711"}, "203.0.113.9"},
		{"IPv6 client", lan, "[::1]:5000", []string{"2001:db8:1::5"}, "2001:db8:1::5"},
		{"IPv6 client with a port", lan, "[::1]:5000", []string{"[2001:db8:1::5]:443"}, "2001:db8:1::5"},
		{"IPv6 client in brackets", lan, "[::1]:5000", []string{"[2001:db8:1::5]"}, "2001:db8:1::5"},
		{"IPv6 proxy range", lan, "[2001:db8:ffff::9]:5000", []string{"6.6.6.6, 2001:db8:1::5, 2001:db8:ffff::1"}, "2001:db8:1::5"},
		{"IPv6 zone dropped", lan, "[::1]:5000", []string{"fe80::1%eth0"}, "fe80::1"},
		{"IPv4-mapped client", one, "10.0.0.1:5000", []string{"::ffff:203.0.113.9"}, "203.0.113.9"},
		{"IPv4-mapped trusted peer", one, "[::ffff:10.0.0.1]:5000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"IPv4-mapped forged proxy is still untrusted", one, "10.0.0.1:5000", []string{"::ffff:6.6.6.6"}, "6.6.6.6"},
		{"spaces and tabs", one, "10.0.0.1:5000", []string{" \t203.0.113.9 \t"}, "203.0.113.9"},
		{"every hop trusted", lan, "10.0.0.2:5000", []string{"10.0.0.9, 10.0.0.1"}, "10.0.0.9"},
		{"an over-long entry", one, "10.0.0.1:5000", []string{strings.Repeat("1", 100)}, "10.0.0.1"},
		{"unreadable peer", one, "pipe", []string{"203.0.113.9"}, "pipe"},
		{"peer without a port", one, "10.0.0.1", []string{"203.0.113.9"}, "203.0.113.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.proxies.Client(tt.peer, tt.xff); got != tt.want {
				t.Errorf("Client(%q, %.60q) = %q, want %q", tt.peer, tt.xff, got, tt.want)
			}
		})
	}
}

// FuzzClient: whatever a client writes, the address found is the peer when
// the peer is not a trusted proxy; otherwise it is the peer or one of the
// header's entries, every entry to its right (and the peer) is a trusted
// proxy, and it reads back as an address.
func FuzzClient(f *testing.F) {
	for _, s := range []struct{ peer, xff string }{
		{"10.0.0.1:80", "203.0.113.9"},
		{"10.0.0.1:80", "6.6.6.6, 203.0.113.9, 10.0.0.2"},
		{"198.51.100.4:80", "10.0.0.1"},
		{"[::1]:80", "[2001:db8::5]:443, ::ffff:10.0.0.3"},
		{"10.0.0.1:80", "unknown,,, 1.2.3.4:5"},
		{"10.0.0.1:80", "fe80::1%eth0"},
		{"pipe", "1.2.3.4"},
		{"10.0.0.1:80", ""},
	} {
		f.Add(s.peer, s.xff)
	}
	p := MustParseProxies("10.0.0.0/8, ::1")
	f.Fuzz(func(t *testing.T, peer, xff string) {
		got := p.Client(peer, []string{xff})
		pa, ok := parseHop(peer)
		if !ok {
			if got != peer {
				t.Fatalf("unreadable peer %q: got %q", peer, got)
			}
			return
		}
		ga, err := netip.ParseAddr(got)
		if err != nil {
			t.Fatalf("Client(%q, %q) = %q, not an address", peer, xff, got)
		}
		if !p.Trusted(pa) {
			if ga != pa {
				t.Fatalf("untrusted peer %q: got %q from the header %q", peer, got, xff)
			}
			return
		}
		// Walk the entries from the right: all trusted until got.
		if ga == pa {
			return
		}
		entries := strings.Split(xff, ",")
		for j := len(entries) - 1; j >= 0; j-- {
			a, ok := parseHop(entries[j])
			if !ok {
				t.Fatalf("Client(%q, %q) = %q, beyond an unreadable entry %q", peer, xff, got, entries[j])
			}
			if a == ga {
				return
			}
			if !p.Trusted(a) {
				t.Fatalf("Client(%q, %q) = %q, left of the untrusted %q", peer, xff, got, a)
			}
		}
		t.Fatalf("Client(%q, %q) = %q, which is not in the chain", peer, xff, got)
	})
}
