package console

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"image"
	"image/color"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/fixture"
	"github.com/sluice-dlp/sluice/internal/ops"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/store"
)

const testPassword = "correct-horse-9"

// console is a running console on a loopback httptest server with a real bbolt store.
type console struct {
	db     *store.DB
	ops    *ops.Local
	srv    *Server
	url    string
	tokens map[string]string
	rec    *recorder
	alerts chan api.Alert
}

// recorder is the console's notifier in tests: it keeps notices per user and passes alerts on.
type recorder struct {
	mu      sync.Mutex
	notices map[string][]api.Notice
	alerts  chan api.Alert
}

func (r *recorder) Notify(user string, n api.Notice) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notices[user] = append(r.notices[user], n)
}

func (r *recorder) Alert(a api.Alert) { r.alerts <- a }

// noticesFor returns what user's extension was told so far.
func (r *recorder) noticesFor(user string) []api.Notice {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]api.Notice(nil), r.notices[user]...)
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func wait[T any](t *testing.T, ch chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(15 * time.Second):
		t.Fatal("nothing received")
	}
	panic("unreachable")
}

// newConsole starts a console with an org: zhang (staff; lead li, head wang), li and wang (reviewers),
// boss (admin), inv (investigator), eve (staff, unrelated). Everyone's password is testPassword.
func newConsole(t *testing.T) *console {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "sluice.db"), filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	hash, err := store.HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	users := []*store.User{
		{Name: "wang", DisplayName: "王总", Roles: []string{store.RoleReviewer}},
		{Name: "li", DisplayName: "李经理", Roles: []string{store.RoleReviewer}, Head: "wang"},
		{Name: "zhang", DisplayName: "张三", StaffID: "A1024", Department: "华东销售部", Lead: "li", Head: "wang", Roles: []string{store.RoleStaff}},
		{Name: "boss", DisplayName: "管理员", Roles: []string{store.RoleAdmin}},
		{Name: "inv", DisplayName: "调查员", Roles: []string{store.RoleInvestigator}},
		{Name: "eve", DisplayName: "路人", Roles: []string{store.RoleStaff}},
	}
	c := &console{db: db, tokens: map[string]string{}}
	for _, u := range users {
		u.PasswordHash = hash
		if err := db.CreateUser("test", u); err != nil {
			t.Fatal(err)
		}
		if c.tokens[u.Name], err = db.NewToken("test", u.Name); err != nil {
			t.Fatal(err)
		}
	}
	c.rec = &recorder{notices: map[string][]api.Notice{}, alerts: make(chan api.Alert, 10)}
	c.alerts = c.rec.alerts
	ts := httptest.NewUnstartedServer(nil)
	c.url = "http://" + ts.Listener.Addr().String()
	c.ops = &ops.Local{DB: db, Policy: policy.Default(), BaseURL: c.url, Notifier: c.rec}
	c.srv = NewServer(Config{Ops: c.ops, DB: db, BaseURL: c.url, Logger: quietLogger(), SpoolDir: dir,
		Site: Site{CA: testCA(t), CAPEM: []byte("-"), ProxyAddr: func() string { return "127.0.0.1:8080" },
			PAC: func(addr string) []byte { return []byte("// PAC for " + addr) }}})
	ts.Config.Handler = c.srv
	ts.Start()
	t.Cleanup(ts.Close)
	return c
}

// testCA is a throwaway self-signed certificate for the CA page.
func testCA(t *testing.T) *x509.Certificate {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Sluice test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert
}

// testPNG draws a small gradient image.
func testPNG(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 160, 255})
		}
	}
	return fixture.PNG(img)
}

// testPDF builds a one-page A4 PDF with text as a large title above a blue block, so that previews show something.
func testPDF(text string) []byte {
	return fixture.PDFPage(595, 842, "BT /F1 28 Tf 60 760 Td "+fixture.PDFLiteral(text)+" Tj ET\n0 0 1 rg 60 500 300 180 re f")
}

// hold records what the proxy records for a held upload: kept blobs and an approval-verdict event.
func (c *console) hold(t *testing.T, user, host string, files map[string][]byte) *store.Event {
	t.Helper()
	e := &store.Event{Action: "upload", User: user, Host: host, Category: "webmail", Method: "POST", Path: "/upload",
		Verdict: "approval", Reasons: []string{"含客户数据：手机号×12"}}
	for name, data := range files {
		sum, err := c.db.PutBlobBytes(data)
		if err != nil {
			t.Fatal(err)
		}
		e.Files = append(e.Files, store.FileRecord{Name: name, Size: int64(len(data)), SHA256: sum, Blob: sum, Findings: []string{"phone×12"}})
	}
	if err := c.db.AppendEvent(e); err != nil {
		t.Fatal(err)
	}
	return e
}

// client returns an HTTP client with a cookie jar that does not follow redirects.
func (c *console) client(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// login signs user in on a fresh client and returns it.
func (c *console) login(t *testing.T, user string) *http.Client {
	t.Helper()
	cl := c.client(t)
	resp, err := cl.PostForm(c.url+"/login", url.Values{"username": {user}, "password": {testPassword}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login %s: %s", user, resp.Status)
	}
	ck := resp.Header.Get("Set-Cookie")
	if !strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "SameSite=Strict") {
		t.Fatalf("session cookie lacks flags: %s", ck)
	}
	return cl
}
