package front

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// Limits bound what one client can hold: how long each phase of a connection may take, how slowly a
// body may arrive, and how many connections may be open. Zero fields take the defaults.
type Limits struct {
	Handshake     time.Duration // a CONNECT's TLS handshake (and its ClientHello) must finish within this (default 10 s)
	Header        time.Duration // a request's headers must arrive within this (default 20 s)
	Idle          time.Duration // a keep-alive connection may wait this long for its next request (default 90 s)
	BodyIdle      time.Duration // a request body may pause this long (default 30 s)
	MinBodyRate   int64         // bytes/s a request body must average after its first BodyIdle (default 1 KiB/s)
	WriteIdle     time.Duration // a response write may block this long on a client that does not read (default 60 s)
	TunnelIdle    time.Duration // a tunnel with no traffic either way is closed after this (default 10 min)
	MaxConns      int           // open connections on a listener (default: a share of the file-descriptor limit)
	MaxConnsPerIP int           // open connections from one client address (default a quarter of MaxConns, at most 256)
	// Refused, when set, is told each time a connection is closed for a limit ("conn_cap", "slow_body").
	Refused func(reason string)
}

// WithDefaults returns l with every zero field set to its default.
func (l Limits) WithDefaults() Limits {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&l.Handshake, 10*time.Second)
	def(&l.Header, 20*time.Second)
	def(&l.Idle, 90*time.Second)
	def(&l.BodyIdle, 30*time.Second)
	def(&l.WriteIdle, 60*time.Second)
	def(&l.TunnelIdle, 10*time.Minute)
	if l.MinBodyRate <= 0 {
		l.MinBodyRate = 1024
	}
	if l.MaxConns <= 0 {
		l.MaxConns = fdShare()
	}
	if l.MaxConnsPerIP <= 0 { // one address can never take the whole listener
		l.MaxConnsPerIP = min(max(l.MaxConns/4, 8), 256)
	}
	return l
}

// fdShare is how many client connections one listener may hold: a connection can need a second
// descriptor (the site, a spool file), so about 40 % of the open-file limit, at least 64.
func fdShare() int {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil || r.Cur == 0 {
		return 1024
	}
	n := int(min(r.Cur, 1<<20) * 2 / 5)
	return max(n, 64)
}

// Server returns an http.Server for handler with the limits' header and idle timeouts.
func (l Limits) Server(handler http.Handler) *http.Server {
	return &http.Server{Handler: l.Guard(handler), ReadHeaderTimeout: l.Header, IdleTimeout: l.Idle, MaxHeaderBytes: 256 << 10}
}

// Guard wraps a handler so request bodies must keep a minimum rate and responses must keep draining.
func (l Limits) Guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		gw := &guardedWriter{ResponseWriter: w, rc: rc, idle: l.WriteIdle}
		if r.Body != nil && r.Body != http.NoBody && r.Method != http.MethodConnect {
			rc.SetReadDeadline(time.Now().Add(l.BodyIdle))
			r.Body = &rateReader{ReadCloser: r.Body, rc: rc, idle: l.BodyIdle, rate: l.MinBodyRate, start: time.Now(), refused: l.Refused}
		}
		h.ServeHTTP(gw, r)
	})
}

// ErrTooSlow is the error of a request body that arrives below the minimum rate.
var ErrTooSlow = errors.New("request body arrives too slowly")

// rateReader extends the connection's read deadline while the body keeps a minimum average rate.
type rateReader struct {
	io.ReadCloser
	rc      *http.ResponseController
	idle    time.Duration
	rate    int64
	start   time.Time
	n       int64
	slow    bool
	refused func(string)
}

func (r *rateReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	r.n += int64(n)
	if r.slow {
		return 0, ErrTooSlow
	}
	if n > 0 {
		elapsed := time.Since(r.start)
		if elapsed > r.idle && r.n < int64(elapsed.Seconds()*float64(r.rate)) {
			r.slow = true
			r.rc.SetReadDeadline(time.Unix(1, 0)) // nothing more is read from this connection: it closes
			if r.refused != nil {
				r.refused("slow_body")
			}
			return n, ErrTooSlow
		}
		r.rc.SetReadDeadline(time.Now().Add(r.idle))
	}
	if err != nil { // the body is in: the judging and forwarding that follow may take long
		r.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

func (r *rateReader) Close() error {
	if !r.slow {
		r.rc.SetReadDeadline(time.Time{})
	}
	return r.ReadCloser.Close()
}

// guardedWriter gives each write WriteIdle to complete; it keeps Flush and Hijack (WebSocket upgrades).
type guardedWriter struct {
	http.ResponseWriter
	rc   *http.ResponseController
	idle time.Duration
}

func (w *guardedWriter) Write(p []byte) (int, error) {
	w.rc.SetWriteDeadline(time.Now().Add(w.idle))
	return w.ResponseWriter.Write(p)
}

// ReadFrom copies a response body through Write with a pooled buffer (io.Copy would allocate 32 KiB
// per response: the largest single cost of a small proxied GET).
func (w *guardedWriter) ReadFrom(src io.Reader) (int64, error) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	return io.CopyBuffer(writerOnly{w}, src, *bp)
}

// copyBufs are the buffers ReadFrom copies with.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// writerOnly hides ReadFrom so io.CopyBuffer uses the buffer it is given.
type writerOnly struct{ io.Writer }

func (w *guardedWriter) Flush() { w.rc.Flush() }

func (w *guardedWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.rc.SetReadDeadline(time.Time{})
	w.rc.SetWriteDeadline(time.Time{})
	return w.rc.Hijack()
}

// Unwrap lets http.ResponseController reach the connection.
func (w *guardedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Listener caps the connections open on ln, in total and per client address; a connection over a cap
// is closed at once, so one client cannot starve the others.
func (l Limits) Listener(ln net.Listener) net.Listener {
	return &capListener{Listener: ln, max: l.MaxConns, perIP: l.MaxConnsPerIP, byIP: map[string]int{}, refused: l.Refused}
}

type capListener struct {
	net.Listener
	mu         sync.Mutex
	open       int
	max, perIP int
	byIP       map[string]int
	refused    func(string)
}

// OpenConns returns how many connections a listener made by Limits.Listener holds (0 for any other).
func OpenConns(ln net.Listener) int {
	if c, ok := ln.(*capListener); ok {
		return c.Open()
	}
	return 0
}

func (c *capListener) Accept() (net.Conn, error) {
	for {
		conn, err := c.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip, _, _ := net.SplitHostPort(conn.RemoteAddr().String())
		c.mu.Lock()
		if c.open >= c.max || c.byIP[ip] >= c.perIP {
			c.mu.Unlock()
			conn.Close()
			if c.refused != nil {
				c.refused("conn_cap")
			}
			continue
		}
		c.open++
		c.byIP[ip]++
		c.mu.Unlock()
		return &countedConn{Conn: conn, l: c, ip: ip}, nil
	}
}

// Open returns how many connections the listener holds.
func (c *capListener) Open() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.open
}

type countedConn struct {
	net.Conn
	l    *capListener
	ip   string
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		c.l.open--
		if c.l.byIP[c.ip]--; c.l.byIP[c.ip] <= 0 {
			delete(c.l.byIP, c.ip)
		}
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}
