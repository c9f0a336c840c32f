package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRelay checks that the floor relays what the benchmark sends, so its figures are a proxy's:
// keep-alive reuse, Connection: close, request bodies, unframed responses and plain-HTTP requests.
func TestRelay(t *testing.T) {
	var conns atomic.Int32
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/stream" {
			w.(http.Flusher).Flush() // no Content-Length: chunked
		}
		io.WriteString(w, r.Method+" "+r.Host+" "+strings.Repeat("x", int(n%7)))
	}))
	up.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	up.StartTLS()
	defer up.Close()
	upRoots := x509.NewCertPool()
	upRoots.AddCert(up.Certificate())

	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "plain "+r.URL.Path) }))
	defer plain.Close()

	ca, _ := newCA()
	p := &proxy{ca: ca, leaves: map[string]*leaf{}, tr: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: upRoots},
		DialContext: func(ctx context.Context, n, addr string) (net.Conn, error) {
			if strings.HasSuffix(addr, ":443") { // every named site is the TLS upstream, as with -resolve
				addr = up.Listener.Addr().String()
			}
			return (&net.Dialer{}).DialContext(ctx, n, addr)
		}}}
	front := httptest.NewServer(p)
	defer front.Close()
	roots := x509.NewCertPool()
	roots.AddCert(ca.Leaf)
	pu, _ := url.Parse(front.URL)
	var clientConns atomic.Int32
	tr := &http.Transport{Proxy: http.ProxyURL(pu), TLSClientConfig: &tls.Config{RootCAs: roots},
		DialContext: func(ctx context.Context, n, a string) (net.Conn, error) {
			clientConns.Add(1)
			return (&net.Dialer{}).DialContext(ctx, n, a)
		}}
	c := &http.Client{Transport: tr}
	do := func(method, u, body string, close bool) string {
		t.Helper()
		req, _ := http.NewRequest(method, u, strings.NewReader(body))
		req.Close = close
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s %s: %d %s", method, u, resp.StatusCode, b)
		}
		return string(b)
	}
	for range 5 {
		if got := do("GET", "https://a.example.com/a", "", false); got != "GET a.example.com " {
			t.Fatalf("got %q", got)
		}
	}
	if got := do("POST", "https://b.example.com/up", "12345678", false); got != "POST b.example.com x" {
		t.Fatalf("got %q", got)
	}
	if got := do("PUT", "https://b.example.com/stream", "abc", false); got != "PUT b.example.com xxx" {
		t.Fatalf("got %q", got)
	}
	if n := clientConns.Load(); n != 2 { // one per host, kept alive
		t.Errorf("client connections: %d, want 2", n)
	}
	for range 3 {
		do("GET", "https://a.example.com/a", "", true)
	}
	if n := clientConns.Load(); n != 4 { // the first reuses the idle one and ends it, the others open their own
		t.Errorf("client connections after 3 with Connection: close: %d, want 4", n)
	}
	if n := conns.Load(); n > 2 {
		t.Errorf("upstream connections: %d, want the pool to keep ≤ 2", n)
	}
	if got := do("GET", plain.URL+"/p", "", false); got != "plain /p" {
		t.Fatalf("plain HTTP: got %q", got)
	}
}
