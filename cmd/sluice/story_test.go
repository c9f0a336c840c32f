package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/deploy"
	fx "github.com/sluice-dlp/sluice/internal/fixture"
	"github.com/sluice-dlp/sluice/internal/testtool"
	"github.com/sluice-dlp/sluice/proxy/daemon"
	"github.com/sluice-dlp/sluice/store"
)

// storyPage is QQ Mail's compose page as the loopback site serves it: one attachment, one send button.
const storyPage = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>QQ邮箱 - 写信</title></head><body>
<h1>写信</h1><form id="up" method="post" action="/cgi-bin/upload" enctype="multipart/form-data">
<input type="hidden" name="sid" value="qq-session-1"><input type="hidden" name="subject" value="报价">
<label>附件 <input id="file" type="file" name="file"></label> <button id="send" type="submit">发送</button></form></body></html>`

// storySite stands in for QQ Mail (mail.qq.com over loopback TLS) and keeps what reached its upload endpoint.
type storySite struct {
	srv    *httptest.Server
	caFile string // its self-signed certificate, for the daemon's --upstream-ca
	mu     sync.Mutex
	got    [][]byte
}

func newStorySite(t *testing.T) *storySite {
	t.Helper()
	s := &storySite{}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.Method == http.MethodPost {
			data, _ := io.ReadAll(r.Body)
			s.mu.Lock()
			s.got = append(s.got, data)
			s.mu.Unlock()
			fmt.Fprint(w, `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>QQ邮箱</title></head><body><h1 id="sent">邮件已发送</h1></body></html>`)
			return
		}
		fmt.Fprint(w, storyPage)
	}))
	s.srv.TLS = &tls.Config{Certificates: []tls.Certificate{selfSigned(t, "mail.qq.com")}}
	s.srv.StartTLS()
	t.Cleanup(s.srv.Close)
	s.caFile = filepath.Join(t.TempDir(), "site-ca.pem")
	os.WriteFile(s.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.TLS.Certificates[0].Certificate[0]}), 0o644)
	return s
}

// storyResult is what testdata/story.mjs writes to story.json.
type storyResult struct {
	Request    string            `json:"request"`     // filed from the extension for the first held upload
	AgainExt   string            `json:"again_ext"`   // filed by 再次申请 on the extension's card (third send)
	AgainPage  string            `json:"again_page"`  // filed by 再次申请 from the block page (fourth send)
	ThirdEvent uint64            `json:"third_event"` // the event of the third send, from its JSON refusal
	Refusal    json.RawMessage   `json:"refusal"`     // the third send's JSON refusal, as the site's script got it
	Texts      map[string]string `json:"texts"`       // screenshot → the text on screen when it was taken
}

// TestStoryInChromium drives the whole story as a fresh staff PC sees it: the server set up with the CLI
// (init, users with their lead and head, the customer list), the CA trusted with 'sluice ca install' on a
// fresh HOME, and real Chromium configured only by the policy 'sluice deploy browser-policy' wrote
// (bind-mounted over /etc/chromium: the PAC with no direct fallback, the extension force-installed and
// paired with a one-time code). An upload to QQ Mail is held and the block page says why in words; the
// extension's notice (in Chinese) names the next reviewer and files the request; the lead and the head
// approve it on a 390×844 console; the retry goes through once; a third send explains the used-up
// approval and 再次申请 files the request again, from the card and from the block page. Every screenshot
// is checked for English, raw finding codes and "(message)". Screenshots: $SLUICE_TEST_OUT/story.
func TestStoryInChromium(t *testing.T) {
	node, chromium := browserTools(t)
	testtool.Require(t, "certutil")
	requireMountNamespace(t)
	home := t.TempDir()
	t.Setenv("HOME", home) // the staff PC's account: a fresh HOME without ~/.pki
	dir := filepath.Join(home, ".sluice")
	const password = "story-pass-1"
	cli := func(args ...string) string {
		t.Helper()
		code, out, errOut := runLang(t, dir, "en", args...)
		if code != 0 {
			t.Fatalf("sluice %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		return out + errOut
	}
	cli("init")
	cli("users", "add", "lisi", "--display-name", "李四", "--staff-id", "A2001", "--role", "reviewer", "--password", password)
	cli("users", "add", "wangwu", "--display-name", "王五", "--staff-id", "A3001", "--role", "reviewer", "--role", "investigator", "--password", password)
	cli("users", "add", "zhangsan", "--display-name", "张三", "--staff-id", "A1024", "--department", "华东销售部",
		"--lead", "lisi", "--head", "wangwu", "--password", password)
	list := fx.Customers(60, 21)
	listFile := filepath.Join(t.TempDir(), "客户名单.csv")
	os.WriteFile(listFile, fx.CSV(list), 0o644)
	cli("customers", "import", listFile)
	cli("ca", "install", "--store", "nss")

	console := "http://" + freePort(t)
	policyDir := filepath.Join(dir, "policy")
	cli("deploy", "browser-policy", "--out", policyDir, "--console", console)
	extID := deployedExtensionID(t, policyDir)

	site := newStorySite(t)
	blockDNS(t) // the daemon dials only what --resolve names: nothing leaves loopback
	d := startDaemonConfig(t, daemon.Config{DataDir: dir, Console: strings.TrimPrefix(console, "http://"), User: "zhangsan",
		UpstreamCAs: []string{site.caFile}, Resolve: []string{"mail.qq.com:443=" + site.srv.Listener.Addr().String()}})
	pairCode := pairingCode(t, d.ConsoleURL(), "zhangsan", password)

	out := filepath.Join(t.TempDir(), "story")
	if o := os.Getenv("SLUICE_TEST_OUT"); o != "" {
		out = filepath.Join(o, "story")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", out)
	etc := filepath.Join(t.TempDir(), "etc-chromium") // what Chromium sees as /etc/chromium
	managed := filepath.Join(etc, "policies", "managed")
	os.MkdirAll(managed, 0o755)
	// Test only: Chromium refuses DevTools (and so Playwright) on pages of policy-installed extensions
	// unless DeveloperToolsAvailability allows it; the shipped policy leaves that default alone.
	var pol map[string]any
	json.Unmarshal(mustRead(t, filepath.Join(policyDir, filepath.FromSlash(deploy.LinuxChromium))), &pol)
	pol["DeveloperToolsAvailability"] = 1
	js, _ := json.Marshal(pol)
	os.WriteFile(filepath.Join(managed, "sluice.json"), js, 0o644)

	upload := filepath.Join(t.TempDir(), "华东客户名单.csv")
	content := fx.CSV(list)
	os.WriteFile(upload, content, 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	env := []string{"LANG=C.UTF-8", "SLUICE_CONSOLE_URL=" + console, "SLUICE_PAIR_CODE=" + pairCode, "SLUICE_PASSWORD=" + password,
		"SLUICE_FILE=" + upload, "SLUICE_EXT_ID=" + extID, "SLUICE_CHROMIUM=" + chromium, "SLUICE_OUT=" + out}
	output, err := runInNamespace(ctx, map[string]string{etc: "/etc/chromium"}, env, node, filepath.Join("testdata", "story.mjs"))
	t.Logf("node output:\n%s", output)
	if err != nil {
		t.Fatalf("story failed: %v (screenshots in %s)", err, out)
	}
	var res storyResult
	if err := json.Unmarshal(mustRead(t, filepath.Join(out, "story.json")), &res); err != nil {
		t.Fatalf("story.json: %v", err)
	}
	checkStory(t, d, site, res, content, out)
}

// checkStory checks what the browser did against the site and the daemon's records, and the screenshots.
func checkStory(t *testing.T, d *daemon.Daemon, site *storySite, res storyResult, content []byte, out string) {
	t.Helper()
	// The retry went through once, and only it: the held sends never reached the site.
	site.mu.Lock()
	got := site.got
	site.mu.Unlock()
	if len(got) != 1 || !strings.Contains(string(got[0]), string(content[:200])) {
		t.Errorf("the site received %d uploads, want exactly the approved retry", len(got))
	}
	first, err := d.DB.Request(res.Request)
	if err != nil || first.Status != store.StatusApproved || first.Receiver != "赵六（ACME 采购部）" {
		t.Fatalf("the request filed in the extension: %+v %v", first, err)
	}
	if g, err := d.DB.Grant(first.GrantID); err != nil || g.Uses != 1 || g.MaxUses != 1 {
		t.Errorf("the approval was not used exactly once: %+v %v", g, err)
	}
	// The site's own form fields (sid, subject) came with the file: they are not approved as a file.
	if len(first.GrantIDs) != 1 {
		t.Errorf("the approval made %d grants, want one for the list alone", len(first.GrantIDs))
	}
	for _, f := range first.Files {
		if f.Kind != store.FileKindMessage {
			continue
		}
		for _, id := range first.GrantIDs {
			if g, err := d.DB.Grant(id); err != nil || g.SHA256 == f.SHA256 {
				t.Errorf("the form's text fields were granted as a file: %+v %v", g, err)
			}
		}
	}
	for what, id := range map[string]string{"extension": res.AgainExt, "block page": res.AgainPage} {
		r, err := d.DB.Request(id)
		if err != nil || r.Status != store.StatusPending || r.Receiver != first.Receiver || r.Purpose != first.Purpose || r.Days != first.Days || r.ID == first.ID {
			t.Errorf("再次申请 from the %s: %+v %v", what, r, err)
		}
	}
	if r, err := d.DB.RequestForEvent(res.ThirdEvent); err != nil || r.ID != res.AgainExt {
		t.Errorf("再次申请 on the card did not file for the third send's event %d: %+v %v", res.ThirdEvent, r, err)
	}
	// The site's script got the explanation in Chinese, without codes.
	if bad := api.Untranslated(api.JSONTexts(res.Refusal, "message", "reasons", "findings")); len(bad) > 0 {
		t.Errorf("English in the zh-CN refusal: %q", bad)
	}
	// What was on screen: no English sentences, no raw codes, no "(message)".
	if len(res.Texts) < 12 {
		t.Errorf("only %d screenshots were checked", len(res.Texts))
	}
	for shot, text := range res.Texts {
		if data, err := os.ReadFile(filepath.Join(out, shot)); err != nil || !strings.HasPrefix(string(data), "\x89PNG") {
			t.Errorf("screenshot %s missing: %v", shot, err)
		}
		for _, code := range []string{"(message)", "×", "phone_cn", "contact_record", "customer_list", "customer_match", "keyword", "email"} {
			if strings.Contains(text, code) {
				t.Errorf("%s shows %q", shot, code)
			}
		}
		if bad := api.Untranslated(strings.Split(text, "\n")); len(bad) > 0 {
			t.Errorf("%s shows English: %q", shot, bad)
		}
	}
}
