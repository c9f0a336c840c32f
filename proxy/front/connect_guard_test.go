package front

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/store"
)

// fakeDNS answers from a table; it never asks a real resolver.
func fakeDNS(table map[string][]string) func(context.Context, string) ([]netip.Addr, error) {
	return func(_ context.Context, host string) ([]netip.Addr, error) {
		var out []netip.Addr
		for _, a := range table[host] {
			out = append(out, netip.MustParseAddr(a))
		}
		if out == nil {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		return out, nil
	}
}

func testGuard(resolve map[string]string, record func(*store.Event) error) *ConnectGuard {
	return NewConnectGuard(GuardConfig{Ports: map[int]bool{443: true, 80: true}, Resolve: resolve,
		Listen: []string{"0.0.0.0:8080", "10.9.8.7:8081"}, Record: record, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Lookup: fakeDNS(map[string][]string{
			"evil.example":      {"127.0.0.1"},
			"evil6.example":     {"::1"},
			"metadata.example":  {"169.254.169.254"},
			"mixed.example":     {"127.0.0.1", "93.184.216.34"},
			"2130706433":        {"127.0.0.1"}, // what a C resolver makes of the decimal form
			"www.example.com":   {"93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"},
			"console.example":   {"10.9.8.7"},
			"nat64.example":     {"64:ff9b::7f00:1"},
			"intranet.corp":     {"10.20.30.40"},
			"everything.local.": {"0.0.0.0"},
		})})
}

// ownAddress returns an address of a local interface that is not loopback, or "".
func ownAddress() string {
	list, _ := net.InterfaceAddrs()
	for _, a := range list {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	return ""
}

func TestConnectGuardRule(t *testing.T) {
	g := testGuard(map[string]string{"pan.baidu.com:443": "127.0.0.1:8443", "[::1]:443": "127.0.0.1:9443"}, nil)
	refused := map[string]string{
		"www.example.com:22": "port", "www.example.com:8081": "port", "127.0.0.1:8081": "port", "pan.baidu.com:8443": "port",
		"www.example.com:0": "port", "www.example.com:http": "port",
		"127.0.0.1:443": "address", "127.8.9.10:80": "address", "[::1]:80": "address", "[::ffff:127.0.0.1]:443": "address",
		"169.254.169.254:80": "address", "[fe80::1%25eth0]:443": "address", "[fe80::1]:443": "address", "0.0.0.0:443": "address",
		"0.1.2.3:80": "address", "[::]:443": "address", "224.0.0.1:443": "address", "255.255.255.255:443": "address",
		"[64:ff9b::7f00:1]:443": "address", "10.9.8.7:443": "address", // the console's listen address
		"evil.example:443": "address", "evil6.example:443": "address", "metadata.example:80": "address", "2130706433:443": "address",
		"console.example:443": "address", "nat64.example:443": "address", "everything.local.:80": "address",
	}
	if own := ownAddress(); own != "" {
		refused[net.JoinHostPort(own, "443")] = "address" // an address of this host's own interfaces
	}
	for hp, why := range refused {
		_, err := g.check(context.Background(), hp)
		var re *RefusedError
		if !errors.As(err, &re) || re.Reason != why {
			t.Errorf("%s: %v, want refused (%s)", hp, err, why)
			continue
		}
		if zh := l10n.Text(err, l10n.ZH); !strings.Contains(zh, "共享代理") || !strings.Contains(err.Error(), "shared proxy") {
			t.Errorf("%s: refusal not in both languages: %s / %s", hp, zh, err)
		}
	}
	allowed := map[string]string{
		"www.example.com:443":    "93.184.216.34:443",
		"93.184.216.34:80":       "93.184.216.34:80",
		"mixed.example:443":      "93.184.216.34:443", // the loopback answer is dropped, never dialled
		"intranet.corp:80":       "10.20.30.40:80",    // the LAN is not the proxy host
		"pan.baidu.com:443":      "127.0.0.1:8443",    // the admin's --resolve
		"PAN.BAIDU.COM:443":      "127.0.0.1:8443",
		"[::1]:443":              "127.0.0.1:9443", // an explicit --resolve even for a loopback name
		"[2606:2800:220::1]:443": "[2606:2800:220::1]:443",
	}
	for hp, want := range allowed {
		got, err := g.check(context.Background(), hp)
		if err != nil || got[0] != want {
			t.Errorf("%s: %v %v, want %s first", hp, got, err, want)
		}
	}
	if got, _ := g.check(context.Background(), "mixed.example:443"); len(got) != 1 {
		t.Errorf("mixed answer kept a refused address: %v", got)
	}
	var re *RefusedError
	if _, err := g.check(context.Background(), "unknown.example:443"); err == nil || errors.As(err, &re) {
		t.Errorf("a name that does not resolve is an ordinary failure, not a refusal: %v", err)
	}
}

func TestConnectGuardDialsOnlyWhatItChecked(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	d := NewDialer(map[string]string{"pan.baidu.com:443": ln.Addr().String()})
	d.Guard(testGuard(map[string]string{"pan.baidu.com:443": ln.Addr().String()}, nil))
	c, err := d.DialContext(context.Background(), "tcp", "pan.baidu.com:443")
	if err != nil {
		t.Fatalf("the admin's --resolve to a loopback server: %v", err)
	}
	c.Close()
	for _, addr := range []string{ln.Addr().String(), "evil.example:443", "localhost:" + strings.Split(ln.Addr().String(), ":")[1]} {
		var re *RefusedError
		if _, err := d.DialContext(context.Background(), "tcp", addr); !errors.As(err, &re) {
			t.Errorf("dial %s through the guard: %v, want a refusal", addr, err)
		}
	}
	// Without a guard (a local proxy) the dialer behaves as before.
	plain := NewDialer(nil)
	if c, err := plain.DialContext(context.Background(), "tcp", ln.Addr().String()); err != nil {
		t.Fatalf("unguarded dial: %v", err)
	} else {
		c.Close()
	}
}

func TestConnectGuardAuditsOncePerUserHostAndReason(t *testing.T) {
	var events []*store.Event
	g := testGuard(nil, func(e *store.Event) error { events = append(events, e); return nil })
	f := &Front{c: Config{Dial: &Dialer{guard: g}}}
	u := &store.User{Name: "zhangsan"}
	r, _ := http.NewRequest(http.MethodConnect, "http://evil.example:443", nil)
	r.RemoteAddr = "10.0.0.7:5000"
	for range 3 {
		resp := f.refuseConnect("evil.example:443", u, r)
		if resp == nil || resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Sluice-Refused") != "address" {
			t.Fatalf("refusal: %+v", resp)
		}
		body, _ := io.ReadAll(resp.Body)
		if !strings.Contains(string(body), "共享代理") || !strings.Contains(string(body), "shared proxy") {
			t.Fatalf("403 body not in both languages: %s", body)
		}
	}
	if f.refuseConnect("www.example.com:443", u, r) != nil || f.refuseConnect("www.example.com", u, r) != nil {
		t.Fatal("an allowed host refused")
	}
	if f.refuseConnect("evil.example:22", u, r) == nil {
		t.Fatal("port 22 allowed")
	}
	if len(events) != 2 || events[0].Action != "proxy.refused" || events[0].User != "zhangsan" || events[0].Extra["reason"] != "address" ||
		events[0].Extra["client"] != "10.0.0.7:5000" || !strings.Contains(events[0].Reasons[0], "共享代理") || events[1].Extra["reason"] != "port" {
		t.Fatalf("audit events: %d %+v", len(events), events)
	}
	// A request inside an intercepted connection is checked by its own Host.
	in, _ := http.NewRequest(http.MethodGet, "https://evil.example/", nil)
	in.Header.Set("Sec-Fetch-Mode", "navigate")
	in.Header.Set("Accept-Language", "en")
	resp := f.refuseRequest(in, u)
	if resp == nil || resp.StatusCode != http.StatusForbidden || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("navigation to a refused host: %+v", resp)
	}
	if body, _ := io.ReadAll(resp.Body); strings.Index(string(body), "shared proxy") > strings.Index(string(body), "共享代理") {
		t.Fatalf("English asked for, not first: %s", body)
	}
	// No guard: a local proxy refuses nothing.
	local := &Front{c: Config{Dial: NewDialer(nil)}}
	if local.refuseConnect("127.0.0.1:8081", u, r) != nil || local.refuseRequest(in, u) != nil {
		t.Fatal("a local proxy refused")
	}
}
