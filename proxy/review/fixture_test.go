package review

import (
	"image"
	"image/color"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-dlp/sluice/internal/fixture"
	"github.com/sluice-dlp/sluice/store"
)

const testPassword = "correct-horse-9"

// console is a running console on a loopback httptest server with a real bbolt store.
type console struct {
	db     *store.DB
	hub    *Hub
	srv    *Server
	url    string
	tokens map[string]string
	alerts chan received
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
		{Name: "zhang", DisplayName: "张三", StaffID: "A1024", Department: "华东销售部", Lead: "li", Head: "wang", Roles: []string{store.RoleStaff}},
		{Name: "li", DisplayName: "李经理", Roles: []string{store.RoleReviewer}, Head: "wang"},
		{Name: "wang", DisplayName: "王总", Roles: []string{store.RoleReviewer}},
		{Name: "boss", DisplayName: "管理员", Roles: []string{store.RoleAdmin}},
		{Name: "inv", DisplayName: "调查员", Roles: []string{store.RoleInvestigator}},
		{Name: "eve", DisplayName: "路人", Roles: []string{store.RoleStaff}},
	}
	c := &console{db: db, tokens: map[string]string{}}
	for _, u := range users {
		u.PasswordHash = hash
		if err := db.PutUser(u); err != nil {
			t.Fatal(err)
		}
		if c.tokens[u.Name], err = db.NewToken(u.Name); err != nil {
			t.Fatal(err)
		}
	}
	hookURL, hook := receiver(t)
	al := NewAlerter([]AlertChannel{{Type: "webhook", URL: hookURL}}, quietLogger())
	t.Cleanup(al.Close)
	c.alerts = hook
	c.hub = NewHub(db, []string{extOrigin}, true)
	mux := http.NewServeMux()
	ts := httptest.NewUnstartedServer(mux)
	c.url = "http://" + ts.Listener.Addr().String()
	c.srv = NewServer(Config{DB: db, Hub: c.hub, Alerter: al, BaseURL: c.url, Logger: quietLogger()})
	c.srv.Register(mux)
	ts.Start()
	t.Cleanup(ts.Close)
	return c
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
