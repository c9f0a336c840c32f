// Command floor is the benchmark's floor: the least an intercepting HTTPS proxy can do in Go with
// net/http and crypto/tls, and nothing more. A CONNECT is hijacked and answered, the client's TLS is
// terminated with an ECDSA P-256 leaf (fresh random key, signed by a P-256 CA like Sluice's, cached per
// host), then an HTTP/1.1 request loop relays each request over a pooled, verified upstream transport
// and writes the response back. Plain-HTTP proxy requests (absolute URIs) are relayed too. Nothing is
// inspected, spooled, logged or limited.
//
//	floor -listen 127.0.0.1:0 -ca-dir DIR [-upstream-ca FILE]... [-resolve HOST:PORT=ADDR:PORT]...
//
// It writes DIR/ca.pem before it listens; bench/proxy builds and starts it as a child process, like Sluice.
package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	listen := flag.String("listen", "127.0.0.1:8090", "proxy address")
	caDir := flag.String("ca-dir", ".", "directory the CA certificate (ca.pem) is written to")
	var upstreamCAs, resolve list
	flag.Var(&upstreamCAs, "upstream-ca", "extra PEM file trusted for upstream TLS (repeatable)")
	flag.Var(&resolve, "resolve", "HOST:PORT=ADDR:PORT dial override, like curl (repeatable)")
	flag.Parse()

	ca, caPEM := newCA()
	check(os.WriteFile(filepath.Join(*caDir, "ca.pem"), caPEM, 0o644))
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	for _, f := range upstreamCAs {
		b, err := os.ReadFile(f)
		check(err)
		roots.AppendCertsFromPEM(b)
	}
	dial := map[string]string{}
	for _, r := range resolve {
		from, to, _ := strings.Cut(r, "=")
		dial[strings.ToLower(from)] = to
	}
	d := &net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}
	p := &proxy{ca: ca, leaves: map[string]*leaf{}, tr: &http.Transport{ // pool sizes as Sluice's upstream transport
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if to, ok := dial[strings.ToLower(addr)]; ok {
				addr = to
			}
			return d.DialContext(ctx, network, addr)
		},
		TLSClientConfig:   &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2: true, MaxIdleConns: 256, MaxIdleConnsPerHost: 32, IdleConnTimeout: 90 * time.Second,
		TLSHandshakeTimeout: 15 * time.Second, DisableCompression: true,
	}}
	ln, err := net.Listen("tcp", *listen)
	check(err)
	log.Printf("floor relay on %s", ln.Addr())
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 20 * time.Second, IdleTimeout: 90 * time.Second}
	log.Fatal(srv.Serve(ln))
}

type proxy struct {
	ca     tls.Certificate
	tr     *http.Transport
	mu     sync.Mutex
	leaves map[string]*leaf
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		if !r.URL.IsAbs() {
			http.Error(w, "this is a proxy", http.StatusBadRequest)
			return
		}
		p.plain(w, r)
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection Established\r\n\r\n"); err != nil {
		return
	}
	host := r.URL.Host
	if h, port, err := net.SplitHostPort(host); err == nil && port == "443" {
		host = h
	}
	var c net.Conn = conn
	if brw.Reader.Buffered() > 0 { // the client did not wait for our answer
		c = &prefixConn{Conn: conn, r: io.MultiReader(brw.Reader, conn)}
	}
	tc := tls.Server(c, &tls.Config{NextProtos: []string{"http/1.1"}, GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
		if h.ServerName != "" {
			return p.leaf(h.ServerName)
		}
		return p.leaf(host)
	}})
	tc.SetDeadline(time.Now().Add(10 * time.Second))
	if err := tc.Handshake(); err != nil {
		return
	}
	tc.SetDeadline(time.Time{})
	p.serve(tc, host)
}

// serve is the request loop of one intercepted connection.
func (p *proxy) serve(c net.Conn, host string) {
	br, bw := bufio.NewReader(c), bufio.NewWriter(c)
	for {
		c.SetReadDeadline(time.Now().Add(90 * time.Second))
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		c.SetReadDeadline(time.Time{})
		keep := !req.Close
		body := &eofReader{r: req.Body}
		if req.Body == http.NoBody {
			body.done.Store(true)
		} else {
			req.Body = body
		}
		req.URL.Scheme, req.URL.Host, req.RequestURI = "https", host, ""
		resp := p.roundTrip(req)
		if resp.ContentLength < 0 && len(resp.TransferEncoding) == 0 {
			keep = false // delimited by closing the connection
		}
		resp.Close = !keep
		err = resp.Write(bw)
		resp.Body.Close()
		if err != nil || bw.Flush() != nil || !keep || !body.done.Load() {
			return // a body the site did not read leaves the stream unframed: end the connection
		}
	}
}

// plain relays an absolute-URI request (plain HTTP through the proxy).
func (p *proxy) plain(w http.ResponseWriter, r *http.Request) {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	resp := p.roundTrip(out)
	defer resp.Body.Close()
	dropHop(resp.Header)
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// roundTrip sends req upstream over the pool; a failure becomes a 502.
func (p *proxy) roundTrip(req *http.Request) *http.Response {
	dropHop(req.Header)
	req.Close = false // the client's Connection: close is about its own connection, not the pooled one
	resp, err := p.tr.RoundTrip(req)
	if err != nil {
		msg := "upstream: " + err.Error()
		return &http.Response{StatusCode: http.StatusBadGateway, ProtoMajor: 1, ProtoMinor: 1, ContentLength: int64(len(msg)),
			Header: http.Header{"Content-Type": {"text/plain"}}, Body: io.NopCloser(strings.NewReader(msg))}
	}
	dropHop(resp.Header)
	return resp
}

var hop = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer", "Upgrade"}

func dropHop(h http.Header) {
	for _, f := range h["Connection"] {
		for _, k := range strings.Split(f, ",") {
			h.Del(strings.TrimSpace(k))
		}
	}
	for _, k := range hop {
		h.Del(k)
	}
}

type leaf struct {
	once sync.Once
	cert *tls.Certificate
	err  error
}

// leaf returns the certificate for host, issuing it (fresh P-256 key) on first use.
func (p *proxy) leaf(host string) (*tls.Certificate, error) {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(host)
	p.mu.Lock()
	l, ok := p.leaves[host]
	if !ok {
		l = &leaf{}
		p.leaves[host] = l
	}
	p.mu.Unlock()
	l.once.Do(func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			l.err = err
			return
		}
		tmpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: host},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(30 * 24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
		if ip := net.ParseIP(host); ip != nil {
			tmpl.IPAddresses = []net.IP{ip}
		} else {
			tmpl.DNSNames = []string{host}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca.Leaf, &key.PublicKey, p.ca.PrivateKey)
		if err != nil {
			l.err = err
			return
		}
		cert, _ := x509.ParseCertificate(der)
		l.cert = &tls.Certificate{Certificate: [][]byte{der, p.ca.Certificate[0]}, PrivateKey: key, Leaf: cert}
	})
	return l.cert, l.err
}

// newCA makes a P-256 root for this run, as Sluice makes one per installation.
func newCA() (tls.Certificate, []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	check(err)
	tmpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{Organization: []string{"Sluice bench"}, CommonName: "floor relay CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0), IsCA: true, BasicConstraintsValid: true,
		MaxPathLenZero: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	check(err)
	cert, err := x509.ParseCertificate(der)
	check(err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	check(err)
	return n.Add(n, big.NewInt(1))
}

// eofReader records whether a request body was read to its end.
type eofReader struct {
	r    io.ReadCloser
	done atomic.Bool
}

func (e *eofReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		e.done.Store(true)
	}
	return n, err
}

func (e *eofReader) Close() error { return e.r.Close() }

// prefixConn reads what was buffered before the rest of the connection.
type prefixConn struct {
	net.Conn
	r io.Reader
}

func (c *prefixConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
