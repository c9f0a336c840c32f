package decisions

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/internal/pgtest"
	"github.com/sluice-dlp/sluice/proxy/daemon"
	"github.com/sluice-dlp/sluice/store"
)

// BenchmarkDecisions measures decisions per second: concurrent clients (16) upload a small customer
// list (about 3 KB, every one different) to webmail through the proxy; each is held for approval,
// which inspects it, keeps the original, appends a keyed audit event and answers 403. Backends:
// bbolt (one node, fsync per commit), PostgreSQL with one node and with two nodes (clients split over
// both), PostgreSQL started with fsync on (durable, like bbolt) by this benchmark on loopback.
//
//	go test ./bench/decisions -run '^$' -bench . -benchtime 2000x -count 3
func BenchmarkDecisions(b *testing.B) {
	pg, err := pgtest.Start(b, pgtest.Options{Durable: true})
	if err != nil {
		b.Fatal(err)
	}
	defer pg.Stop()
	up := newUpstream(b)
	for _, c := range []struct {
		name  string
		nodes int
		pg    bool
	}{{"bbolt/1node", 1, false}, {"postgres/1node", 1, true}, {"postgres/2nodes", 2, true}} {
		b.Run(c.name, func(b *testing.B) {
			storeURL := ""
			if c.pg {
				if storeURL, err = pg.NewDatabase(); err != nil {
					b.Fatal(err)
				}
			}
			clients := startNodes(b, c.nodes, storeURL, up)
			var next atomic.Int64
			b.SetParallelism(8) // 8 × GOMAXPROCS clients
			b.ResetTimer()
			b.RunParallel(func(p *testing.PB) {
				for p.Next() {
					i := next.Add(1)
					if code := upload(b, clients[int(i)%len(clients)], i); code != 403 {
						b.Errorf("upload %d: %d, want 403 (held)", i, code)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
		})
	}
}

// startNodes starts n daemons on one store ("" for bbolt) and returns a proxy client for each.
func startNodes(b *testing.B, n int, storeURL string, up *upstream) []*http.Client {
	audit := daemon.AuditConfig{Store: storeURL, SharedBlobs: storeURL != ""}
	first := b.TempDir()
	if _, err := daemon.InitKeyed(first, false, audit); err != nil {
		b.Fatal(err)
	}
	p := daemon.PathsFor(first)
	db, err := audit.OpenStore(p)
	if err != nil {
		b.Fatal(err)
	}
	pw, _ := store.HashPassword("secret-password")
	for _, u := range []*store.User{{Name: "lisi", Roles: []string{store.RoleReviewer}}, {Name: "wangwu", Roles: []string{store.RoleReviewer}},
		{Name: "zhangsan", DisplayName: "张三", StaffID: "A1024", Lead: "lisi", Head: "wangwu", Roles: []string{store.RoleStaff}}} {
		u.PasswordHash = pw
		if err := db.CreateUser("bench", u); err != nil {
			b.Fatal(err)
		}
	}
	db.Close()
	var clients []*http.Client
	for i := range n {
		dir := first
		if i > 0 {
			dir = b.TempDir()
			for _, f := range []string{"ca.pem", "ca.key", "mark.key", "audit.key", "policy.yaml"} {
				data, _ := os.ReadFile(filepath.Join(first, f))
				os.WriteFile(filepath.Join(dir, f), data, 0o600)
			}
		}
		d, err := daemon.New(daemon.Config{DataDir: dir, Listen: "127.0.0.1:0", Console: "127.0.0.1:0", User: "zhangsan",
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Audit: audit,
			UpstreamCAs: []string{up.caFile}, Resolve: []string{"mail.qq.com:443=" + up.addr}})
		if err != nil {
			b.Fatal(err)
		}
		if err := d.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { d.Close() })
		pool := x509.NewCertPool()
		pool.AddCert(d.CA.Cert)
		proxy, _ := url.Parse("http://" + d.ProxyAddr())
		tr := &http.Transport{Proxy: http.ProxyURL(proxy), TLSClientConfig: &tls.Config{RootCAs: pool}, MaxIdleConnsPerHost: 64}
		b.Cleanup(tr.CloseIdleConnections)
		clients = append(clients, &http.Client{Transport: tr, Timeout: time.Minute})
	}
	return clients
}

// upload sends customer list i as a page's script would and returns the status.
func upload(b *testing.B, c *http.Client, i int64) int {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", fmt.Sprintf("客户清单%d.csv", i))
	fw.Write(customers(i))
	mw.Close()
	req, _ := http.NewRequest("POST", "https://mail.qq.com/cgi-bin/upload", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Mode", "cors")
	resp, err := c.Do(req)
	if err != nil {
		b.Error(err)
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// customers is a CSV of 40 contacts, different for every i.
func customers(i int64) []byte {
	var b bytes.Buffer
	b.WriteString("客户名称,联系人,手机,邮箱\n")
	for r := range int64(40) {
		fmt.Fprintf(&b, "上海%d贸易有限公司,王伟,138%08d,c%d@example.cn\n", i, (i*40+r)%100000000, r)
	}
	return b.Bytes()
}

// upstream is a loopback TLS site for mail.qq.com (held uploads never reach it).
type upstream struct {
	addr, caFile string
}

func newUpstream(b *testing.B) *upstream {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mail.qq.com"}, DNSNames: []string{"mail.qq.com"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.StartTLS()
	b.Cleanup(srv.Close)
	ca := filepath.Join(b.TempDir(), "up.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	return &upstream{addr: srv.Listener.Addr().String(), caFile: ca}
}
