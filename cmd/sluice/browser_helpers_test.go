package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/internal/deploy"
	"github.com/sluice-dlp/sluice/internal/testtool"
	"github.com/sluice-dlp/sluice/proxy/daemon"
)

// browserTools returns node and Chromium, failing (or skipping with SLUICE_ALLOW_MISSING_TOOLS=1) when absent.
func browserTools(t *testing.T) (node, chromium string) {
	t.Helper()
	node = testtool.Require(t, "node")
	chromium = testtool.Require(t, "chromium")
	if _, err := os.Stat(filepath.Join("..", "..", "node_modules", "playwright-core", "package.json")); err != nil {
		t.Fatal("playwright-core is missing; run `npm ci` in the repository root (./scripts/test.sh does)")
	}
	return node, chromium
}

// requireMountNamespace checks that this test may bind-mount over system paths in a private mount
// namespace (root, unshare from util-linux): the browser reads its policies from /etc, and the test must
// not change them for anything else on the machine.
func requireMountNamespace(t *testing.T) {
	t.Helper()
	testtool.Require(t, "unshare")
	if out, err := exec.Command("unshare", "--mount", "--propagation", "private", "true").CombinedOutput(); err != nil {
		msg := fmt.Sprintf("cannot make a private mount namespace (%v: %s); the browser policy tests run as root (CI does)", err, strings.TrimSpace(string(out)))
		if os.Getenv("SLUICE_ALLOW_MISSING_TOOLS") == "1" {
			t.Skip(msg)
		}
		t.Fatal(msg)
	}
}

// runInNamespace runs name args with each of binds (source → target) bind-mounted in a private mount
// namespace: only that process tree sees them.
func runInNamespace(ctx context.Context, binds map[string]string, env []string, name string, args ...string) ([]byte, error) {
	var script strings.Builder
	script.WriteString("set -e\n")
	i := 1
	var argv []string
	for src, dst := range binds {
		fmt.Fprintf(&script, "mount --bind \"$%d\" \"$%d\"\n", i, i+1)
		argv = append(argv, src, dst)
		i += 2
	}
	fmt.Fprintf(&script, "shift %d\nexec \"$@\"\n", len(argv))
	cmd := exec.CommandContext(ctx, "unshare", append(append([]string{"--mount", "--propagation", "private", "sh", "-c", script.String(), "sh"}, argv...), append([]string{name}, args...)...)...)
	cmd.Env = append(os.Environ(), env...)
	return cmd.CombinedOutput()
}

// countingServer is a loopback HTTP site that says who it is and counts its visitors.
type countingServer struct {
	*http.Server
	addr string
	hits atomic.Int64
}

func newCountingServer(t *testing.T, text string) *countingServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &countingServer{addr: ln.Addr().String()}
	s.Server = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>%s</title><body>%s %s %s</body>", text, text, r.Host, r.URL.Path)
	})}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return s
}

// freePort returns a loopback address nothing listens on right now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startDaemonConfig starts the daemon with cfg; an empty listen or console address is a free loopback port.
func startDaemonConfig(t *testing.T, cfg daemon.Config) *daemon.Daemon {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.Console == "" {
		cfg.Console = "127.0.0.1:0"
	}
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	d, err := daemon.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// deployedExtensionID reads the packed extension's id from the Chromium policy 'deploy' wrote to out.
func deployedExtensionID(t *testing.T, out string) string {
	t.Helper()
	var pol struct {
		Forcelist []string `json:"ExtensionInstallForcelist"`
	}
	raw, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(deploy.LinuxChromium)))
	if err != nil || json.Unmarshal(raw, &pol) != nil || len(pol.Forcelist) != 1 {
		t.Fatalf("no usable Chromium policy: %v %s", err, raw)
	}
	id, _, _ := strings.Cut(pol.Forcelist[0], ";")
	return id
}

var pairCodeRE = regexp.MustCompile(`data-code="([A-Z0-9]{8})"`)

// pairingCode signs in to the console as user and reads the one-time code the /pair page shows.
func pairingCode(t *testing.T, console, user, password string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := c.PostForm(console+"/login", url.Values{"username": {user}, "password": {password}, "next": {"/pair"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := pairCodeRE.FindSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("signing in and opening /pair: %s\n%s", resp.Status, body)
	}
	return string(m[1])
}

// portOf returns the port of a HOST:PORT address.
func portOf(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// httpGet fetches u directly (no proxy) and returns the body.
func httpGet(u string) (string, error) {
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil}}
	resp, err := c.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// blockDNS makes every DNS lookup in this test process fail at once, so a daemon asked for a host that
// --resolve does not name answers 502 instead of sending a query off the machine.
func blockDNS(t *testing.T) {
	old := net.DefaultResolver
	net.DefaultResolver = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, fmt.Errorf("DNS is off in this test: only loopback traffic")
	}}
	t.Cleanup(func() { net.DefaultResolver = old })
}

// selfSigned makes a self-signed server certificate for names; the daemon is told to trust it upstream.
func selfSigned(t *testing.T, names ...string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: names[0]},
		DNSNames: names, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
