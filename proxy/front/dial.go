package front

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// ParseResolve parses curl-style overrides "HOST:PORT=ADDR:PORT" into a map.
func ParseResolve(entries []string) (map[string]string, error) {
	out := map[string]string{}
	for _, e := range entries {
		for _, item := range strings.Split(e, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			from, to, ok := strings.Cut(item, "=")
			_, fp, err1 := net.SplitHostPort(from)
			_, tp, err2 := net.SplitHostPort(to)
			if !ok || err1 != nil || err2 != nil || fp == "" || tp == "" {
				return nil, l10n.Errorf(l10n.Invalid, "--resolve %q 应形如 HOST:PORT=ADDR:PORT，例如 mail.qq.com:443=127.0.0.1:8443", "--resolve %q must look like HOST:PORT=ADDR:PORT, e.g. mail.qq.com:443=127.0.0.1:8443", item)
			}
			out[strings.ToLower(from)] = to
		}
	}
	return out, nil
}

// Dialer dials upstreams, applying --resolve overrides while the caller keeps the original host for SNI.
type Dialer struct {
	resolve map[string]string
	net     net.Dialer
	guard   *ConnectGuard // a shared proxy's limits (connect_guard.go); nil on a local proxy
}

// NewDialer returns a dialer with --resolve overrides (host:port → addr:port).
func NewDialer(resolve map[string]string) *Dialer {
	return &Dialer{resolve: resolve, net: net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}}
}

// dialTargetKey carries, in a request's context, the address a CONNECT by address asked for: the site
// is reached there while the request keeps the name from the client's SNI.
type dialTargetKey struct{}

// DialContext dials addr, or its --resolve override, or the address a CONNECT by address named.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if to, ok := ctx.Value(dialTargetKey{}).(string); ok {
		addr = to
	}
	if d.guard != nil {
		return d.guard.dial(ctx, &d.net, network, addr)
	}
	if to, ok := d.resolve[strings.ToLower(addr)]; ok {
		addr = to
	}
	return d.net.DialContext(ctx, network, addr)
}

// LoadRoots returns the system roots plus the PEM certificates in extra files (--upstream-ca).
func LoadRoots(extra []string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	for _, f := range extra {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, l10n.Wrap(err, l10n.Invalid, "无法读取 --upstream-ca %s", "cannot read --upstream-ca %s", f)
		}
		if !pool.AppendCertsFromPEM(data) {
			return nil, l10n.Errorf(l10n.Invalid, "--upstream-ca %s 中没有 PEM 证书", "--upstream-ca %s holds no PEM certificate", f)
		}
	}
	return pool, nil
}

// Transport returns the shared upstream transport: pooled keep-alive connections to the sites, HTTP/1.1
// unless http2 is set (then HTTP/2 where the site offers it).
func Transport(roots *x509.CertPool, d *Dialer, http2 bool) *http.Transport {
	return &http.Transport{
		Proxy:                 nil, // never chain through environment proxies: we are the proxy
		DialContext:           d.DialContext,
		TLSClientConfig:       &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:     http2,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   15 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true, // pass content encodings through untouched
		ResponseHeaderTimeout: 5 * time.Minute,
	}
}

// IsLoopback reports whether a listen address only accepts local connections.
func IsLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
