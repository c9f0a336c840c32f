package daemon

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/proxy/front"
	"github.com/sluice-dlp/sluice/store"
)

// childConfig is what the fd-limited child daemon is started with.
type childConfig struct {
	Dir, UpstreamCA string
	Resolve         []string
}

// TestFdLimitedDaemonChild is the child of TestCanaryServedAmongThousandSlowClients: a daemon in a process
// whose open-file limit is 1,024 (set by the parent's shell). It is skipped in a normal run.
func TestFdLimitedDaemonChild(t *testing.T) {
	raw := os.Getenv("SLUICE_FDLIMIT_CHILD")
	if raw == "" {
		t.Skip("runs only as the child of TestCanaryServedAmongThousandSlowClients")
	}
	var cc childConfig
	json.Unmarshal([]byte(raw), &cc)
	if _, err := Init(cc.Dir, false); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(PathsFor(cc.Dir).DB, PathsFor(cc.Dir).Blobs)
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := store.HashPassword("secret-password")
	u := *testUser
	u.Lead, u.Head, u.PasswordHash = "", "", pw
	db.CreateUser("test", &u)
	db.Close()
	d, err := New(Config{DataDir: cc.Dir, Listen: "127.0.0.1:0", Console: "127.0.0.1:0", User: testUser.Name, UpstreamCAs: []string{cc.UpstreamCA},
		Resolve: cc.Resolve, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Limits: front.Limits{Handshake: 30 * time.Second, Header: 30 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	fmt.Printf("READY %s %s %d\n", d.ProxyAddr(), d.ConsoleAddr(), lim.Cur)
	io.Copy(io.Discard, os.Stdin) // until the parent closes our stdin
	d.Close()
}

// TestCanaryServedAmongThousandSlowClients runs the daemon under a 1,024 open-file limit, holds 1,000
// slow connections to it from one address (CONNECTs that never start TLS, connections that never send a
// request), and checks another client is still served on both ports.
func TestCanaryServedAmongThousandSlowClients(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("needs Linux")
	}
	up := newUpstream(t, 1<<20)
	cc, _ := json.Marshal(childConfig{Dir: t.TempDir(), UpstreamCA: up.caFile, Resolve: []string{"pan.baidu.com:443=" + up.addr()}})
	cmd := exec.Command("sh", "-c", `ulimit -n 1024 && exec "$0" -test.run='^TestFdLimitedDaemonChild$'`, os.Args[0])
	cmd.Env = append(os.Environ(), "SLUICE_FDLIMIT_CHILD="+string(cc))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })
	var proxy, console string
	var nofile int
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "READY %s %s %d", &proxy, &console, &nofile); err == nil {
			break
		}
	}
	if proxy == "" || nofile != 1024 {
		t.Fatalf("child daemon not ready (open-file limit %d)", nofile)
	}
	go io.Copy(io.Discard, stdout)

	var slow []net.Conn
	for i := range 1000 {
		addr := proxy
		if i%4 == 3 {
			addr = console
		}
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("slow client %d: %v", i, err)
		}
		if i%2 == 0 && addr == proxy {
			fmt.Fprintf(c, "CONNECT pan.baidu.com:443 HTTP/1.1\r\nHost: pan.baidu.com:443\r\n\r\n")
		}
		slow = append(slow, c)
	}
	defer func() {
		for _, c := range slow {
			c.Close()
		}
	}()
	time.Sleep(500 * time.Millisecond)
	held := 0
	for _, c := range slow {
		c.SetReadDeadline(time.Now().Add(time.Millisecond))
		var b [64]byte
		if _, err := c.Read(b[:]); err != nil && strings.Contains(err.Error(), "timeout") {
			held++
		} else if err == nil {
			held++ // the CONNECT's 200: still open
		}
	}

	// the canary, from another address: an upload judged through the proxy, and the console's health
	ca, err := os.ReadFile(PathsFor(mustDir(cc)).CACert)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	src := &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}
	pu, _ := url.Parse("http://" + proxy)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: http.ProxyURL(pu), TLSClientConfig: &tls.Config{RootCAs: pool},
		DialContext: (&net.Dialer{LocalAddr: src}).DialContext}}
	buf, ct := multipartUpload(t, "客户.csv", customerCSV(40))
	req, _ := http.NewRequest("POST", "https://pan.baidu.com/upload", buf)
	req.Header.Set("Content-Type", ct)
	resp, err := client.Do(req)
	if err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("the canary upload was not served while %d slow connections were held: %v %v", held, resp, err)
	}
	resp.Body.Close()
	direct := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: (&net.Dialer{LocalAddr: src}).DialContext}}
	resp, err = direct.Get("http://" + console + "/api/health")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("the console did not answer the canary: %v %v", resp, err)
	}
	resp.Body.Close()
	t.Logf("1,000 slow connections from one address under a 1,024 open-file limit: %d held open by the proxy and console, the rest refused at accept; the canary from another address was served on both ports", held)
}

func mustDir(cc []byte) string {
	var c childConfig
	json.Unmarshal(cc, &c)
	return c.Dir
}
