package front

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// connect handles a CONNECT: it authenticates it, reads the client's first bytes (the TLS ClientHello
// and its server name) within the handshake deadline, and decides on the name the CONNECT and the SNI
// agree on: intercept it, or tunnel it untouched (corporate, bypass, intranet). A CONNECT by address is
// decided by its SNI; a CONNECT whose SNI names another host is refused, so no leaf is ever issued for a
// name the CONNECT did not ask for.
func (f *Front) connect(w http.ResponseWriter, r *http.Request) {
	u, err := f.c.Auth.Identify(r)
	if err != nil {
		resp := ProxyAuthRequired(r)
		resp.Header.Set("Connection", "close") // an unauthenticated client does not keep the connection
		writeResponse(w, resp)
		return
	}
	if resp := f.refuseConnect(r.URL.Host, u, r); resp != nil { // a shared proxy: web ports on other hosts only
		writeResponse(w, resp)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "CONNECT needs HTTP/1.1", http.StatusHTTPVersionNotSupported)
		return
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		return
	}
	conn.SetDeadline(time.Now().Add(f.lim.Handshake))
	if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection Established\r\n\r\n"); err != nil {
		conn.Close()
		return
	}
	var early []byte // bytes the client sent right behind its CONNECT
	if n := brw.Reader.Buffered(); n > 0 {
		early, _ = brw.Reader.Peek(n)
		early = bytes.Clone(early)
	}
	first, sni, isTLS, err := sniff(io.MultiReader(bytes.NewReader(early), conn))
	if err != nil {
		conn.Close()
		return
	}
	replay := &prefixConn{Conn: conn, r: io.MultiReader(bytes.NewReader(first), conn)}
	host, port, err := net.SplitHostPort(r.URL.Host)
	if err != nil {
		host, port = r.URL.Host, "443"
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	sni = strings.ToLower(strings.TrimSuffix(sni, "."))
	switch {
	case net.ParseIP(host) != nil && sni != "":
		name = sni // a CONNECT by address is the service its SNI names
	case sni != "" && sni != name:
		f.c.Log.Warn("CONNECT refused: the TLS server name differs from the CONNECT host", "connect", host, "sni", sni)
		f.c.Metrics.Refused("sni_mismatch")
		conn.Close()
		return
	}
	if !f.c.Policy.Catalog().Intercept(name) || !f.c.Certs.CanIssue(name) {
		f.tunnel(replay, r.URL.Host)
		return
	}
	var target string // a CONNECT by address reaches the site at that address
	if net.ParseIP(host) != nil {
		target = r.URL.Host
	}
	f.serveIntercepted(replay, name, port, target, isTLS, r)
}

// writeResponse writes resp through w.
func writeResponse(w http.ResponseWriter, resp *http.Response) {
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	if resp.Body != nil {
		io.Copy(w, resp.Body)
		resp.Body.Close()
	}
}

var errSniffed = errors.New("client hello read")

// sniff reads the client's first bytes: a TLS ClientHello (its server name), or the first byte of plain
// HTTP. It returns every byte it read, to be replayed to whoever takes the connection.
func sniff(r io.Reader) (read []byte, sni string, isTLS bool, err error) {
	var rec bytes.Buffer
	tee := io.TeeReader(r, &rec)
	var b [1]byte
	if _, err := io.ReadFull(tee, b[:]); err != nil {
		return nil, "", false, err
	}
	if b[0] != 0x16 { // not a TLS handshake record: plain HTTP inside the tunnel
		return rec.Bytes(), "", false, nil
	}
	cfg := &tls.Config{GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		sni = h.ServerName
		return nil, errSniffed
	}}
	err = tls.Server(&sniffConn{r: io.MultiReader(bytes.NewReader(b[:]), tee)}, cfg).Handshake()
	if !errors.Is(err, errSniffed) {
		return nil, "", true, err
	}
	return rec.Bytes(), sni, true, nil
}

// sniffConn feeds a TLS server the client's bytes and swallows what it would answer.
type sniffConn struct {
	net.Conn
	r io.Reader
}

func (c *sniffConn) Read(p []byte) (int, error)       { return c.r.Read(p) }
func (c *sniffConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *sniffConn) Close() error                     { return nil }
func (c *sniffConn) SetDeadline(time.Time) error      { return nil }
func (c *sniffConn) SetReadDeadline(time.Time) error  { return nil }
func (c *sniffConn) SetWriteDeadline(time.Time) error { return nil }

// prefixConn reads bytes already taken from a connection before the rest of it.
type prefixConn struct {
	net.Conn
	r io.Reader
}

func (c *prefixConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// tunnel joins the client to target untouched, replaying what was read; it ends when either side
// closes or nothing crosses for TunnelIdle.
func (f *Front) tunnel(client net.Conn, target string) {
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), f.lim.Handshake)
	up, err := f.c.Dial.DialContext(ctx, "tcp", target)
	cancel()
	if err != nil {
		f.c.Log.Debug("tunnel dial failed", "target", target, "err", err)
		return
	}
	defer up.Close()
	client.SetDeadline(time.Time{})
	var wg sync.WaitGroup
	wg.Add(2)
	pipe := func(dst, src net.Conn) {
		defer wg.Done()
		buf := make([]byte, 32<<10)
		for {
			src.SetReadDeadline(time.Now().Add(f.lim.TunnelIdle))
			n, err := src.Read(buf)
			if n > 0 {
				dst.SetWriteDeadline(time.Now().Add(f.lim.TunnelIdle))
				if _, werr := dst.Write(buf[:n]); werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		client.Close() // either side ending ends both
		up.Close()
	}
	go pipe(up, client)
	go pipe(client, up)
	wg.Wait()
}

// serveIntercepted terminates the client's TLS with a leaf for name (or reads plain HTTP) and serves
// the connection's requests through the pipeline with the limits' timeouts.
func (f *Front) serveIntercepted(conn net.Conn, name, port, target string, isTLS bool, connect *http.Request) {
	var c net.Conn = conn
	scheme := "http"
	if isTLS {
		tc := tls.Server(conn, f.c.Certs.TLSConfigFor(name))
		if err := tc.Handshake(); err != nil {
			f.c.Log.Debug("client TLS handshake failed", "host", name, "err", err)
			conn.Close()
			return
		}
		c, scheme = tc, "https"
	}
	conn.SetDeadline(time.Time{}) // the server below sets its own per phase
	hostport := name              // the URL's host is the name the CONNECT and the SNI agreed on, whatever Host says
	if !(isTLS && port == "443" || !isTLS && port == "80") {
		hostport = net.JoinHostPort(name, port)
	}
	st, remote := &connState{connect: connect}, connect.RemoteAddr
	ln := newOneConnListener(c)
	srv := f.lim.Server(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.URL.Scheme, r.URL.Host, r.Host, r.RemoteAddr = scheme, hostport, hostport, remote
		ctx := context.WithValue(r.Context(), connKey{}, st)
		if target != "" {
			ctx = context.WithValue(ctx, dialTargetKey{}, target)
		}
		f.gp.ServeHTTP(w, r.WithContext(ctx))
	}))
	srv.ErrorLog = ErrorLog(f.c.Log)
	srv.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateClosed || s == http.StateHijacked {
			ln.Close()
		}
	}
	if !f.track(srv, true) {
		c.Close()
		return
	}
	defer f.track(srv, false)
	srv.Serve(ln)
}

// track adds or removes a connection's server from those Close shuts down; false once the front is closed.
func (f *Front) track(srv *http.Server, add bool) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !add {
		delete(f.active, srv)
		return true
	}
	if f.closed {
		return false
	}
	f.active[srv] = struct{}{}
	return true
}

// Close ends every intercepted connection (the listener's server ends the rest).
func (f *Front) Close() {
	f.mu.Lock()
	f.closed = true
	srvs := make([]*http.Server, 0, len(f.active))
	for s := range f.active {
		srvs = append(srvs, s)
	}
	f.mu.Unlock()
	for _, s := range srvs {
		s.Close()
	}
}

// oneConnListener hands out one connection, then blocks until it is closed.
type oneConnListener struct {
	c    net.Conn
	once sync.Once
	done chan struct{}
	mu   sync.Mutex
	used bool
}

func newOneConnListener(c net.Conn) *oneConnListener {
	return &oneConnListener{c: c, done: make(chan struct{})}
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	if !l.used {
		l.used = true
		l.mu.Unlock()
		return l.c, nil
	}
	l.mu.Unlock()
	<-l.done
	return nil, net.ErrClosed
}

func (l *oneConnListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *oneConnListener) Addr() net.Addr { return l.c.LocalAddr() }
