package daemon

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/proxy/pipeline"
	"github.com/sluice-dlp/sluice/store"
)

// upstream is a loopback TLS server standing in for a real service; it records what it received.
type upstream struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []received
	caFile string
}

type received struct {
	Method, Path, ContentType string
	Header                    http.Header
	Body                      []byte
	Size                      int64
	SHA256                    string
}

// newUpstream starts a TLS server answering for upstreamNames; bodies over keepLimit are hashed, not kept.
func newUpstream(t testing.TB, keepLimit int64) *upstream {
	return newUpstreamFor(t, keepLimit, upstreamNames...)
}

// newUpstreamFor starts a TLS server whose certificate names the given hosts.
func newUpstreamFor(t testing.TB, keepLimit int64, names ...string) *upstream {
	u := &upstream{}
	serveUpstream(t, u, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		var keep []byte
		n, _ := io.Copy(io.MultiWriter(h, writerFunc(func(p []byte) (int, error) {
			if int64(len(keep)+len(p)) <= keepLimit {
				keep = append(keep, p...)
			}
			return len(p), nil
		})), r.Body)
		u.mu.Lock()
		u.got = append(u.got, received{Method: r.Method, Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), Header: r.Header.Clone(), Body: keep, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))})
		u.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "upstream ok %s %s %d", r.Method, r.URL.Path, n)
	}), names...)
	return u
}

// serveUpstream starts u's loopback TLS server with handler h and a certificate naming the hosts.
func serveUpstream(t testing.TB, u *upstream, h http.Handler, names ...string) {
	u.srv = httptest.NewUnstartedServer(h)
	cert := selfSignedFor(t, names...)
	u.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	u.srv.EnableHTTP2 = true
	u.srv.StartTLS()
	t.Cleanup(u.srv.Close)
	u.caFile = filepath.Join(t.TempDir(), "upstream-ca.pem")
	os.WriteFile(u.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o644)
}

// upstreamNames are the real service names the loopback upstream answers for.
var upstreamNames = []string{"pan.baidu.com", "d.pcs.baidu.com", "mail.163.com", "mail.qq.com", "outlook.live.com",
	"example.org", "work.weixin.qq.com", "wx.qq.com", "file.wx2.qq.com", "api.aliyundrive.com", "web.telegram.org",
	"ebank.icbc.com.cn", "files.example-transfer.net"}

// selfSignedFor makes a self-signed server certificate for names (it is its own root).
func selfSignedFor(t testing.TB, names ...string) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "loopback upstream " + names[0]},
		DNSNames: names, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// cert returns the upstream's own certificate.
func (u *upstream) cert() *x509.Certificate { return u.srv.TLS.Certificates[0].Leaf }

func (u *upstream) requests() []received {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]received(nil), u.got...)
}

func (u *upstream) addr() string { return u.srv.Listener.Addr().String() }

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// testEnv is a running daemon plus a client that trusts its CA.
type testEnv struct {
	d      *Daemon
	client *http.Client
	dir    string
}

// testUser is the rep the tests browse as.
var testUser = &store.User{Name: "zhangsan", DisplayName: "张三", StaffID: "A1024", Department: "华东销售部", Lead: "lisi", Head: "wangwu", Roles: []string{store.RoleStaff}}

// startEnv starts a daemon whose --resolve maps each host to the upstream.
func startEnv(t testing.TB, up *upstream, hosts []string, mod func(*Config)) *testEnv {
	t.Helper()
	dir := t.TempDir()
	if _, err := Init(dir, false); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(PathsFor(dir).DB, PathsFor(dir).Blobs)
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := store.HashPassword("secret-password")
	for _, u := range []*store.User{
		{Name: "lisi", DisplayName: "李四", StaffID: "A2001", Roles: []string{store.RoleReviewer}, PasswordHash: pw},
		{Name: "wangwu", DisplayName: "王五", StaffID: "A3001", Roles: []string{store.RoleReviewer}, PasswordHash: pw}, testUser} {
		uu := *u
		if uu.PasswordHash == "" {
			uu.PasswordHash = pw
		}
		if err := db.CreateUser("test", &uu); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	cfg := Config{DataDir: dir, Listen: "127.0.0.1:0", Console: "127.0.0.1:0", User: testUser.Name,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), AllowLoopbackWS: true}
	if up != nil {
		cfg.UpstreamCAs = []string{up.caFile}
		for _, h := range hosts {
			cfg.Resolve = append(cfg.Resolve, h+":443="+up.addr())
		}
	}
	if mod != nil {
		mod(&cfg)
	}
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	pool := x509.NewCertPool()
	pool.AddCert(d.CA.Cert)
	if up != nil {
		pool.AddCert(up.cert()) // lets tunnelled (non-MITM) hosts be checked too
	}
	proxyURL, _ := url.Parse("http://" + d.ProxyAddr())
	tr := &http.Transport{Proxy: http.ProxyURL(proxyURL), TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: false,
		DialContext: (&net.Dialer{}).DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &testEnv{d: d, client: &http.Client{Transport: tr}, dir: dir}
}

// customerCSV returns a CSV of n contact rows (names + mobile numbers + e-mail).
func customerCSV(n int) []byte {
	surnames := []rune("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗")
	given := []string{"伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超"}
	var b strings.Builder
	b.WriteString("客户名称,联系人,手机,邮箱\n")
	for i := range n {
		fmt.Fprintf(&b, "上海%s贸易有限公司,%c%s,138%08d,c%d@example.cn\n", given[i%len(given)], surnames[i%len(surnames)], given[(i*7)%len(given)], 10000000+i*7919%90000000, i)
	}
	return []byte(b.String())
}

func storeFilterGranted() store.EventFilter {
	return store.EventFilter{Action: "upload", Verdict: "allow"}
}

func archiveAll() store.ArchiveFilter { return store.ArchiveFilter{} }

// upload POSTs content as a multipart file named name to url through the proxy, as a page's script would.
// It returns the status and the refusal (Verdict "forwarded" when the upload went through).
func (e *testEnv) upload(t testing.TB, url, name string, content []byte) (int, pipeline.Refusal) {
	t.Helper()
	buf, ct := multipartUpload(t, name, content)
	req, _ := http.NewRequest("POST", url, buf)
	req.Header.Set("Content-Type", ct)
	return e.send(t, req)
}

// send sends req through the proxy as a page's script would (Sec-Fetch-Mode: cors) and returns
// the status and the refusal (Verdict "forwarded" when it went through).
func (e *testEnv) send(t testing.TB, req *http.Request) (int, pipeline.Refusal) {
	t.Helper()
	req.Header.Set("Sec-Fetch-Mode", "cors")
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode/100 == 2 {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, pipeline.Refusal{Verdict: "forwarded"}
	}
	return resp.StatusCode, decodeRefusal(t, resp)
}
