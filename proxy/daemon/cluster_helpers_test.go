package daemon

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/pgtest"
	"github.com/sluice-dlp/sluice/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// nodeFiles are what every node of one company shares besides the database: the CA (browsers trust
// one), the mark key (a mark made on one node is read on another), the audit key and the policy.
var nodeFiles = []string{"ca.pem", "ca.key", "mark.key", "audit.key", "policy.yaml"}

// clusterDirs prepares a PostgreSQL database and n data dirs sharing the node files, with the test's
// users in the database.
func clusterDirs(t testing.TB, n int) (url string, dirs []string) {
	t.Helper()
	url = pgtest.URL(t)
	first := t.TempDir()
	audit := AuditConfig{Store: url, SharedBlobs: true}
	if _, err := InitKeyed(first, false, audit); err != nil {
		t.Fatal(err)
	}
	dirs = append(dirs, first)
	for range n - 1 {
		d := t.TempDir()
		for _, f := range nodeFiles {
			data, err := os.ReadFile(filepath.Join(first, f))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(d, f), data, 0o600)
		}
		dirs = append(dirs, d)
	}
	db, err := audit.OpenStore(PathsFor(first))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pw, _ := store.HashPassword("secret-password")
	for _, u := range []*store.User{
		{Name: "lisi", DisplayName: "李四", StaffID: "A2001", Roles: []string{store.RoleReviewer}, PasswordHash: pw},
		{Name: "wangwu", DisplayName: "王五", StaffID: "A3001", Roles: []string{store.RoleReviewer}, PasswordHash: pw}, testUser} {
		uu := *u
		uu.PasswordHash = pw
		if err := db.CreateUser("test", &uu); err != nil {
			t.Fatal(err)
		}
	}
	return url, dirs
}

// nodeConfig is one node's configuration on the shared store.
func nodeConfig(dir, url string, up *upstream, single bool) Config {
	if up == nil {
		return nodeConfigFor(dir, url, "", "", single)
	}
	return nodeConfigFor(dir, url, up.caFile, up.addr(), single)
}

// nodeConfigFor is nodeConfig with the upstream given by its CA file and address ("": none).
func nodeConfigFor(dir, url, upCA, upAddr string, single bool) Config {
	cfg := Config{DataDir: dir, Listen: "127.0.0.1:0", Console: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), AllowLoopbackWS: true,
		Audit: AuditConfig{Store: url, SharedBlobs: true}}
	if single {
		cfg.User = testUser.Name
	}
	if upAddr != "" {
		cfg.UpstreamCAs = []string{upCA}
		for _, h := range watched {
			cfg.Resolve = append(cfg.Resolve, h+":443="+upAddr)
		}
	}
	return cfg
}

// startNode starts a daemon in this process on the shared store.
func startNode(t testing.TB, cfg Config) *testEnv {
	t.Helper()
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return &testEnv{d: d, client: proxyClient(t, d.CA.Cert, d.ProxyAddr()), dir: cfg.DataDir}
}

// proxyClient is an HTTP client going through the proxy at addr and trusting ca.
func proxyClient(t testing.TB, ca *x509.Certificate, addr string) *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	proxyURL, _ := url.Parse("http://" + addr)
	tr := &http.Transport{Proxy: http.ProxyURL(proxyURL), TLSClientConfig: &tls.Config{RootCAs: pool},
		DialContext: (&net.Dialer{}).DialContext, MaxIdleConnsPerHost: 32}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

// extension is a browser extension's WebSocket to one node's console.
type extension struct {
	conn *websocket.Conn
}

// connectExtension says hello to consoleAddr's /ws with token and since, and reads the welcome.
func connectExtension(t testing.TB, consoleAddr, token string, since uint64) *extension {
	t.Helper()
	h := http.Header{"Origin": {"http://127.0.0.1"}}
	c, _, err := websocket.DefaultDialer.Dial("ws://"+consoleAddr+"/ws", h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.WriteJSON(map[string]any{"type": "hello", "token": token, "since": since}); err != nil {
		t.Fatal(err)
	}
	var welcome map[string]string
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := c.ReadJSON(&welcome); err != nil || welcome["type"] != "welcome" {
		t.Fatalf("welcome: %v %v", welcome, err)
	}
	return &extension{conn: c}
}

// next reads the next notice, waiting up to 10 s.
func (e *extension) next(t testing.TB) api.Notice {
	t.Helper()
	e.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, data, err := e.conn.ReadMessage()
	if err != nil {
		t.Fatalf("no notice: %v", err)
	}
	var n api.Notice
	json.Unmarshal(data, &n)
	return n
}
