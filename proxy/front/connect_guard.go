package front

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/store"
)

// How long the guard trusts what it learnt, and how much it keeps.
const (
	guardCacheTTL   = 30 * time.Second // an early check's answer for a host:port (the dial checks again)
	interfacesTTL   = 30 * time.Second // the local interfaces' addresses
	auditEvery      = 10 * time.Minute // one audit event per user, host:port and reason in this time
	maxGuardEntries = 10000
	maxDialTargets  = 4 // addresses of one name tried in turn
)

// ConnectGuard keeps the users of a shared proxy (a listener not on loopback) to web ports on other hosts.
// Every upstream connection passes it: CONNECT tunnels, requests inside intercepted connections (whose Host
// may name another host than the CONNECT did) and plain-HTTP proxy requests. The rule:
//  1. the requested port must be in the policy's allowed_ports;
//  2. a requested HOST:PORT the admin mapped with --resolve goes to its ADDR:PORT, whatever that is;
//  3. any other host is resolved (an IP literal stands for itself) and the proxy host's own addresses are
//     dropped: loopback, link-local, 0.0.0.0/8 and ::, multicast, every address of every local interface and
//     the daemon's listen addresses; when none remains the connection is refused;
//  4. the connection goes to the checked addresses, never to a second resolution of the name.
type ConnectGuard struct {
	ports   map[int]bool
	resolve map[string]string
	own     []netip.Addr
	lookup  func(ctx context.Context, host string) ([]netip.Addr, error)
	record  func(*store.Event) error
	log     *slog.Logger

	mu      sync.Mutex
	ifAddrs []netip.Addr
	ifAt    time.Time
	checked map[string]guardAnswer // host:port → early check's answer
	audited map[string]time.Time   // user, host:port, reason → last audit event
}

type guardAnswer struct {
	err     error
	expires time.Time
}

// GuardConfig is what a ConnectGuard needs from the daemon.
type GuardConfig struct {
	Ports   map[int]bool                                                 // the policy's allowed_ports
	Resolve map[string]string                                            // --resolve overrides: lower-case host:port → addr:port
	Listen  []string                                                     // the daemon's own listen addresses (proxy, console)
	Record  func(*store.Event) error                                     // the audit log
	Log     *slog.Logger                                                 // where refusals are logged
	Lookup  func(ctx context.Context, host string) ([]netip.Addr, error) // name resolution (nil: the system resolver)
}

// NewConnectGuard returns the guard of a shared proxy.
func NewConnectGuard(c GuardConfig) *ConnectGuard {
	g := &ConnectGuard{ports: c.Ports, resolve: c.Resolve, lookup: c.Lookup, record: c.Record, log: c.Log,
		checked: map[string]guardAnswer{}, audited: map[string]time.Time{}}
	if g.lookup == nil {
		g.lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	if g.log == nil {
		g.log = slog.Default()
	}
	for _, l := range c.Listen {
		if host, _, err := net.SplitHostPort(l); err == nil {
			if a, err := netip.ParseAddr(host); err == nil {
				g.own = append(g.own, a.Unmap().WithZone(""))
			}
		}
	}
	return g
}

// Guard makes every connection the dialer opens pass g (a shared proxy); nil leaves it unguarded.
func (d *Dialer) Guard(g *ConnectGuard) { d.guard = g }

// RefusedError is a connection a shared proxy will not make.
type RefusedError struct {
	HostPort string // as requested
	Reason   string // "port" or "address"
	Addr     string // the address it resolved to (address refusals)
	msg      *l10n.Error
}

// Error returns the English message.
func (e *RefusedError) Error() string { return e.msg.Error() }

// Unwrap returns the bilingual message.
func (e *RefusedError) Unwrap() error { return e.msg }

func (g *ConnectGuard) refusePort(hostport, port string) *RefusedError {
	ports := make([]int, 0, len(g.ports))
	for p := range g.ports {
		ports = append(ports, p)
	}
	slices.Sort(ports)
	list := strings.Trim(fmt.Sprint(ports), "[]")
	return &RefusedError{HostPort: hostport, Reason: "port",
		msg: l10n.Errorf(l10n.Forbidden, "共享代理只连接端口 %s（策略 allowed_ports），不连接 %s 的端口 %s",
			"a shared proxy connects only to ports %s (policy allowed_ports), not to port %s of %s", list, hostport, port)}
}

func refuseAddr(hostport string, a netip.Addr) *RefusedError {
	return &RefusedError{HostPort: hostport, Reason: "address", Addr: a.String(),
		msg: l10n.Errorf(l10n.Forbidden, "%s 指向代理主机本身、回环或链路本地地址（%s），共享代理不连接这些地址",
			"%s points at the proxy host itself, a loopback or a link-local address (%s); a shared proxy does not connect there", hostport, a)}
}

// check returns the addresses a connection to hostport may go to, or a *RefusedError.
func (g *ConnectGuard) check(ctx context.Context, hostport string) ([]string, error) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, err
	}
	if p, err := strconv.Atoi(port); err != nil || !g.ports[p] {
		return nil, g.refusePort(hostport, port)
	}
	if to, ok := g.resolve[strings.ToLower(hostport)]; ok {
		return []string{to}, nil // the admin's explicit --resolve
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else if addrs, err = g.lookup(ctx, host); err != nil {
		return nil, err
	}
	var ok []string
	var bad netip.Addr
	for _, a := range addrs {
		if g.forbidden(a) {
			bad = a
			continue
		}
		if len(ok) < maxDialTargets {
			ok = append(ok, net.JoinHostPort(a.Unmap().String(), port))
		}
	}
	if len(ok) == 0 {
		if !bad.IsValid() {
			return nil, fmt.Errorf("%s has no address", host)
		}
		return nil, refuseAddr(hostport, bad)
	}
	return ok, nil
}

// nat64 is the well-known NAT64 prefix, whose last 32 bits carry an IPv4 address.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// forbidden reports whether a is the proxy host's own, loopback, link-local, unspecified or multicast.
func (g *ConnectGuard) forbidden(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	if nat64.Contains(a) {
		b := a.As16()
		a = netip.AddrFrom4([4]byte(b[12:]))
	}
	if a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsUnspecified() || a.IsMulticast() ||
		a.IsInterfaceLocalMulticast() || a.Is4() && (a.As4()[0] == 0 || a == netip.AddrFrom4([4]byte{255, 255, 255, 255})) {
		return true
	}
	return slices.Contains(g.own, a) || slices.Contains(g.interfaces(), a)
}

// interfaces returns the addresses of every local interface, read again every interfacesTTL.
func (g *ConnectGuard) interfaces() []netip.Addr {
	g.mu.Lock()
	defer g.mu.Unlock()
	if time.Since(g.ifAt) < interfacesTTL {
		return g.ifAddrs
	}
	list, err := net.InterfaceAddrs()
	if err != nil {
		return g.ifAddrs // keep what we knew
	}
	var out []netip.Addr
	for _, ia := range list {
		if n, ok := ia.(*net.IPNet); ok {
			if a, ok := netip.AddrFromSlice(n.IP); ok {
				out = append(out, a.Unmap())
			}
		}
	}
	g.ifAddrs, g.ifAt = out, time.Now()
	return out
}

// dial connects to addr only where check allows, trying its checked addresses in turn.
func (g *ConnectGuard) dial(ctx context.Context, nd *net.Dialer, network, addr string) (net.Conn, error) {
	targets, err := g.check(ctx, addr)
	if err != nil {
		var re *RefusedError
		if errors.As(err, &re) {
			g.log.Warn("shared proxy refused a connection", "to", addr, "reason", re.Reason, "address", re.Addr)
		}
		return nil, err
	}
	var first error
	for _, t := range targets {
		c, err := nd.DialContext(ctx, network, t)
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}
