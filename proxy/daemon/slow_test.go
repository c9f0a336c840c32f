package daemon

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/proxy/front"
)

// tightLimits makes every timeout short so the slow modes close within a test.
var tightLimits = front.Limits{Handshake: 400 * time.Millisecond, Header: 400 * time.Millisecond, Idle: 600 * time.Millisecond,
	BodyIdle: 400 * time.Millisecond, MinBodyRate: 4096, WriteIdle: 500 * time.Millisecond, TunnelIdle: 700 * time.Millisecond}

// closedWithin reads from c until the server closes it; it fails if that takes longer than d.
func closedWithin(t *testing.T, what string, c net.Conn, d time.Duration) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("%s: the connection was still open after %s", what, d)
	}
}

// dialProxy opens a raw connection to the proxy from the given loopback source address.
func dialFrom(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// connectTLS opens a CONNECT tunnel to host through the proxy and completes the client's TLS.
func connectTLS(t *testing.T, env *testEnv, host string) *tls.Conn {
	t.Helper()
	c := dialFrom(t, "127.0.0.1", env.d.ProxyAddr())
	fmt.Fprintf(c, "CONNECT %s:443 HTTP/1.1\r\nHost: %s:443\r\n\r\n", host, host)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("CONNECT %s: %v %v", host, resp, err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(env.d.CA.Cert)
	tc := tls.Client(c, &tls.Config{ServerName: host, RootCAs: pool})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	return tc
}

// TestSlowClientsAreCut: every way a client can hold a connection without finishing is closed by a timeout.
func TestSlowClientsAreCut(t *testing.T) {
	up := newUpstream(t, 1<<20)
	env := startEnv(t, up, watched, func(c *Config) { c.Limits = tightLimits })
	proxy, console := env.d.ProxyAddr(), env.d.ConsoleAddr()
	const grace = 15 * time.Second // the limits are under a second: this only bounds the wait on a loaded machine

	c := dialFrom(t, "127.0.0.1", proxy) // connects and sends nothing
	closedWithin(t, "silent connection", c, grace)

	c = dialFrom(t, "127.0.0.1", proxy) // a CONNECT to a watched host that never starts TLS
	fmt.Fprintf(c, "CONNECT pan.baidu.com:443 HTTP/1.1\r\nHost: pan.baidu.com:443\r\n\r\n")
	closedWithin(t, "CONNECT without TLS", c, grace)

	tc := connectTLS(t, env, "pan.baidu.com") // headers dribbled inside TLS
	go func() {
		for _, b := range []byte("POST /upload HTTP/1.1\r\nHost: pan.baidu.com\r\nX-Slow: ") {
			if _, err := tc.Write([]byte{b}); err != nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	closedWithin(t, "dribbled headers", tc, grace)

	tc = connectTLS(t, env, "pan.baidu.com") // a slow upload body inside TLS
	fmt.Fprintf(tc, "POST /upload HTTP/1.1\r\nHost: pan.baidu.com\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n")
	go func() {
		for i := 0; i < 200; i++ {
			if _, err := tc.Write([]byte("0123456789")); err != nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	closedWithin(t, "slow upload body", tc, grace)

	tc = connectTLS(t, env, "pan.baidu.com") // idle keep-alive after one request
	fmt.Fprintf(tc, "GET / HTTP/1.1\r\nHost: pan.baidu.com\r\n\r\n")
	br := bufio.NewReader(tc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("keep-alive request: %v %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	closedWithin(t, "idle keep-alive", tc, grace)

	c = dialFrom(t, "127.0.0.1", console) // a slow POST /login body on the console
	fmt.Fprintf(c, "POST /login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n\r\nuser=li", console)
	go func() {
		for i := 0; i < 100; i++ {
			if _, err := c.Write([]byte("s")); err != nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	closedWithin(t, "slow console login body", c, grace)

	c = dialFrom(t, "127.0.0.1", console) // idle on the console
	closedWithin(t, "silent console connection", c, grace)
}

// TestIdleTunnelAndStalledDownloadAreCut: a bypass tunnel with no traffic, and a client that stops
// reading a response, are closed.
func TestIdleTunnelAndStalledDownloadAreCut(t *testing.T) {
	big := strings.Repeat("下载内容 download body ", 1<<19) // ~12 MB
	site := &upstream{}
	serveUpstream(t, site, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, big) }), "ebank.icbc.com.cn", "pan.baidu.com")
	env := startEnv(t, site, []string{"ebank.icbc.com.cn", "pan.baidu.com"}, func(c *Config) { c.Limits = tightLimits })

	c := dialFrom(t, "127.0.0.1", env.d.ProxyAddr())
	fmt.Fprintf(c, "CONNECT ebank.icbc.com.cn:443 HTTP/1.1\r\nHost: ebank.icbc.com.cn:443\r\n\r\n")
	br := bufio.NewReader(c)
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("CONNECT to the bank: %v %v", resp, err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(site.cert())
	tc := tls.Client(c, &tls.Config{ServerName: "ebank.icbc.com.cn", RootCAs: pool})
	if err := tc.Handshake(); err != nil {
		t.Fatalf("the bypass host is not tunnelled to the site itself: %v", err)
	}
	closedWithin(t, "idle tunnel", tc, 5*time.Second)

	tc = connectTLS(t, env, "pan.baidu.com")
	fmt.Fprintf(tc, "GET /big HTTP/1.1\r\nHost: pan.baidu.com\r\n\r\n")
	time.Sleep(3 * time.Second) // read nothing: the proxy's writes block, then time out
	tc.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _ := io.Copy(io.Discard, tc)
	if n >= int64(len(big)) {
		t.Errorf("a client that stopped reading still got the whole %d-byte response", n)
	}
}

// TestConnectNamesMustAgree: a CONNECT by address is judged by its SNI, and a leaf is never issued for
// a name the CONNECT did not ask for.
func TestConnectNamesMustAgree(t *testing.T) {
	up := newUpstream(t, 1<<20)
	env := startEnv(t, up, append(watched, "ebank.icbc.com.cn"), nil)
	pool := x509.NewCertPool()
	pool.AddCert(env.d.CA.Cert)
	hello := func(connect, sni string) (*tls.Conn, error) {
		c := dialFrom(t, "127.0.0.1", env.d.ProxyAddr())
		fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", connect, connect)
		if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil || resp.StatusCode != 200 {
			t.Fatalf("CONNECT %s: %v %v", connect, resp, err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		tc := tls.Client(c, &tls.Config{ServerName: sni, RootCAs: pool})
		return tc, tc.Handshake()
	}
	// a bypass name in the CONNECT, a watched name in the SNI: refused, no leaf for either
	if tc, err := hello("ebank.icbc.com.cn:443", "pan.baidu.com"); err == nil {
		t.Errorf("a leaf for %q was issued inside a CONNECT to the bank", tc.ConnectionState().PeerCertificates[0].DNSNames)
	}
	// a CONNECT by address with a watched SNI is intercepted (Sluice's leaf for that name)
	tc, err := hello(up.addr(), "pan.baidu.com")
	if err != nil {
		t.Fatalf("CONNECT by address: %v", err)
	}
	if got := tc.ConnectionState().PeerCertificates[0]; got.Issuer.CommonName != env.d.CA.Cert.Subject.CommonName || got.DNSNames[0] != "pan.baidu.com" {
		t.Errorf("CONNECT by address with SNI pan.baidu.com got %v from %s", got.DNSNames, got.Issuer.CommonName)
	}
	fmt.Fprintf(tc, "POST /upload HTTP/1.1\r\nHost: pan.baidu.com\r\nContent-Type: text/csv\r\nContent-Length: %d\r\n\r\n%s", len(customerCSV(40)), customerCSV(40))
	if resp, err := http.ReadResponse(bufio.NewReader(tc), nil); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("a customer list through a CONNECT by address: %v %v", resp, err)
	}
}

// TestUnauthenticatedClientIsDisconnected: on a network listener, the 407 ends the connection.
func TestUnauthenticatedClientIsDisconnected(t *testing.T) {
	up := newUpstream(t, 1<<20)
	env := startEnv(t, up, watched, func(c *Config) { c.Listen, c.User = "0.0.0.0:0", "" })
	_, port, _ := net.SplitHostPort(env.d.ProxyAddr())
	for _, req := range []string{"GET http://example.org/ HTTP/1.1\r\nHost: example.org\r\n\r\n", "CONNECT pan.baidu.com:443 HTTP/1.1\r\nHost: pan.baidu.com:443\r\n\r\n"} {
		c := dialFrom(t, "127.0.0.1", "127.0.0.1:"+port)
		io.WriteString(c, req)
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil || resp.StatusCode != http.StatusProxyAuthRequired {
			t.Fatalf("%q: %v %v", req, resp, err)
		}
		io.Copy(io.Discard, resp.Body)
		c.SetReadDeadline(time.Now().Add(3 * time.Second))
		if _, err := br.ReadByte(); !errors.Is(err, io.EOF) && !strings.Contains(fmt.Sprint(err), "reset") {
			t.Errorf("%q: the connection stayed open after the 407 (%v)", strings.Fields(req)[0], err)
		}
	}
}
