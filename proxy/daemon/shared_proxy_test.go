package daemon

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/authguard"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/store"
)

// sharedEnv starts a shared proxy (listening on every interface, so every user logs in) whose --resolve
// maps hosts to up, and returns it with the loopback address clients reach it at.
func sharedEnv(t testing.TB, up *upstream, hosts []string) (*testEnv, string) {
	t.Helper()
	env := startEnv(t, up, hosts, func(c *Config) { c.Listen = "0.0.0.0:0"; c.User = "" })
	_, port, err := net.SplitHostPort(env.d.ProxyAddr())
	if err != nil {
		t.Fatal(err)
	}
	return env, "127.0.0.1:" + port
}

// sharedClient is a browser of the shared proxy at addr logged in as zhangsan, trusting Sluice's CA and up.
func sharedClient(env *testEnv, addr string, up *upstream) *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(env.d.CA.Cert)
	pool.AddCert(up.cert())
	pu := &url.URL{Scheme: "http", Host: addr, User: url.UserPassword(testUser.Name, "secret-password")}
	return &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu), TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// rawConnect sends "CONNECT target" with Basic user:pw (none when user is "") to the proxy at addr, from the
// local address from ("" for any), and returns the status, the X-Sluice-Refused header and the body.
func rawConnect(t testing.TB, addr, from, target, user, pw string) (int, string, string) {
	t.Helper()
	d := net.Dialer{Timeout: 10 * time.Second}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	auth := ""
	if user != "" {
		auth = "Proxy-Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pw)) + "\r\n"
	}
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", target, target, auth)
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: http.MethodConnect})
	if err != nil {
		t.Fatalf("CONNECT %s: %v", target, err)
	}
	var body []byte
	if resp.StatusCode != http.StatusOK {
		body, _ = io.ReadAll(resp.Body)
	}
	return resp.StatusCode, resp.Header.Get("X-Sluice-Refused"), string(body)
}

// ownAddress returns an address of one of this machine's interfaces that is not loopback or link-local, or "".
func ownAddress() string {
	list, _ := net.InterfaceAddrs()
	for _, a := range list {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	return ""
}

// Finding: a user of a shared proxy could CONNECT to any port and to the proxy host's own services.
func TestSharedProxyRefusesTheProxyHostAndOtherPorts(t *testing.T) {
	up := newUpstream(t, 1<<20)
	env, proxy := sharedEnv(t, up, watched)
	_, consolePort, _ := net.SplitHostPort(env.d.ConsoleAddr())
	refused := map[string]string{ // CONNECT target → why
		"127.0.0.1:" + consolePort: "port", // the console
		up.addr():                  "port", // a loopback service, named directly
		"127.0.0.1:443":            "address",
		"localhost:443":            "address", // a name that resolves to loopback (from /etc/hosts)
		"[::1]:443":                "address",
		"0.0.0.0:443":              "address",
	}
	if own := ownAddress(); own != "" {
		refused[net.JoinHostPort(own, "443")] = "address"
	}
	for target, why := range refused {
		st, reason, body := rawConnect(t, proxy, "", target, testUser.Name, "secret-password")
		if st != http.StatusForbidden || reason != why || !strings.Contains(body, "共享代理") || !strings.Contains(body, "shared proxy") {
			t.Errorf("CONNECT %s: %d (%s) %q; want 403 (%s) in both languages", target, st, reason, body, why)
		}
	}
	cl := sharedClient(env, proxy, up)
	get := func(u, host string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		if host != "" {
			req.Host = host // sent inside the tunnel: the intercepted request names another host than its CONNECT
		}
		resp, err := cl.Do(req)
		if err != nil {
			t.Fatalf("GET %s (Host %s): %v", u, host, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	// Plain-HTTP proxy requests to the console.
	for _, tc := range []struct{ url, host string }{
		{"http://127.0.0.1:" + consolePort + "/api/approvals", ""},
		{"http://localhost:" + consolePort + "/proxy.pac", ""},
		{"http://localhost/", ""},
	} {
		if st, body := get(tc.url, tc.host); st != http.StatusForbidden || !strings.Contains(body, "shared proxy") {
			t.Errorf("GET %s (Host %q): %d %.80q, want 403", tc.url, tc.host, st, body)
		}
	}
	// A Host header naming another host inside an allowed tunnel changes nothing: the request goes to the
	// host the CONNECT and the SNI agreed on, with that host's name.
	for _, host := range []string{up.addr(), "localhost"} {
		before := len(up.requests())
		if st, body := get("https://pan.baidu.com/upload", host); st != http.StatusOK || !strings.HasPrefix(body, "upstream ok") {
			t.Errorf("GET pan.baidu.com with Host %q: %d %.80q", host, st, body)
		}
		if got := up.requests(); len(got) != before+1 {
			t.Errorf("Host %q: the site got %d requests", host, len(got)-before)
		}
	}
	// What the admin mapped with --resolve (here to a loopback server) still works.
	if st, body := get("https://pan.baidu.com/upload", ""); st != http.StatusOK || !strings.HasPrefix(body, "upstream ok") {
		t.Fatalf("allowed site: %d %q", st, body)
	}
	// Each refusal is audited once per user, host:port and reason (the plain requests above add two host:ports).
	rawConnect(t, proxy, "", "127.0.0.1:"+consolePort, testUser.Name, "secret-password")
	evs, err := env.d.DB.Events(store.EventFilter{Action: "proxy.refused"})
	if err != nil {
		t.Fatal(err)
	}
	if want := len(refused) + 2; len(evs) != want {
		t.Errorf("%d audit events, want %d (one per refused host:port)", len(evs), want)
	}
	for _, e := range evs {
		if e.User != testUser.Name || e.Verdict != "block" || len(e.Reasons) != 1 || !strings.Contains(e.Reasons[0], "共享代理") || e.Extra["message_en"] == "" {
			t.Errorf("audit event: %+v", e)
		}
	}
}

// A single-user local proxy (loopback listener, --user) keeps today's behaviour: loopback services and any port.
func TestLocalProxyIsNotGuarded(t *testing.T) {
	up := newUpstream(t, 1<<20)
	env := startEnv(t, up, watched, nil)
	if st, _, body := rawConnect(t, env.d.ProxyAddr(), "", up.addr(), "", ""); st != http.StatusOK {
		t.Fatalf("local proxy, CONNECT to a loopback port: %d %s", st, body)
	}
	resp, err := env.client.Get("http://" + env.d.ConsoleAddr() + "/proxy.pac")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("local proxy, the console through the proxy: %s", resp.Status)
	}
}

// Finding: each wrong proxy password cost a bcrypt (68 ms), so a flood of them was a CPU amplifier.
func TestProxyAuthFloodThroughTheDaemon(t *testing.T) {
	up := newUpstream(t, 1<<20)
	_, proxy := sharedEnv(t, up, watched)
	start := authguard.Comparisons() // bcrypt comparisons in this process from now on
	flood := func(name string, pw func(worker, i int) string) {
		var n atomic.Int64
		before := authguard.Comparisons()
		stop := time.Now().Add(1500 * time.Millisecond)
		t0 := time.Now()
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := 0; time.Now().Before(stop); i++ {
					if st, _, _ := rawConnect(t, proxy, "127.0.0.1", "pan.baidu.com:443", testUser.Name, pw(w, i)); st != http.StatusProxyAuthRequired {
						t.Errorf("wrong password answered %d", st)
						return
					}
					n.Add(1)
				}
			})
		}
		wg.Wait()
		secs := time.Since(t0).Seconds()
		checks := authguard.Comparisons() - before
		t.Logf("%s: %d answers (%.0f 407/s), %d bcrypt checks (%.1f/s)", name, n.Load(), float64(n.Load())/secs, checks, float64(checks)/secs)
	}
	flood("same wrong password", func(int, int) string { return "wrong-password" })
	flood("a new wrong password every try", func(w, i int) string { return fmt.Sprintf("guess-%d-%d", w, i) })
	if n := authguard.Comparisons() - start; n > 1+10 {
		t.Fatalf("%d bcrypt checks for the floods from one address; want 1 + at most 10 a minute", n)
	}
	// Another address is not affected by the flood.
	if st, _, body := rawConnect(t, proxy, "127.0.0.2", "pan.baidu.com:443", testUser.Name, "secret-password"); st != http.StatusOK {
		t.Fatalf("right password from another address after the flood: %d %s", st, body)
	}
}

// TestDisabledUserIsCutOffOnLiveConnections: a login disabled while the browser holds an intercepted
// connection open stops working on that connection at the next request, not when the browser reconnects.
func TestDisabledUserIsCutOffOnLiveConnections(t *testing.T) {
	up := newUpstream(t, 1<<20)
	env, addr := sharedEnv(t, up, watched)
	cl := sharedClient(env, addr, up)
	get := func() int {
		resp, err := cl.Get("https://pan.baidu.com/disk/home")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(); code != 200 {
		t.Fatalf("before: %d", code)
	}
	yes := true
	if code := env.api(t, env.adminToken(t), "PATCH", "/api/admin/users/zhangsan", api.UserChange{Disabled: &yes}, nil); code != 200 {
		t.Fatalf("disable: %d", code)
	}
	if code := get(); code != http.StatusProxyAuthRequired {
		t.Errorf("a disabled user on the same connection: %d", code)
	}
}
