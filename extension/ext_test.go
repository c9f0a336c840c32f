// Package extension holds the Sluice Manifest V3 browser extension and its real-Chromium test.
package extension

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/internal/ops"
	"github.com/sluice-dlp/sluice/internal/testtool"
	"github.com/sluice-dlp/sluice/proxy/console"
	"github.com/sluice-dlp/sluice/proxy/notify"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/store"
)

// ExtensionID is the id Chrome derives from the public key pinned in manifest.json.
const ExtensionID = "hhmdcaggkijegbkceamalgkfeehfdjlg"

// idFromManifestKey computes a Chrome extension id: the first 128 bits of
// SHA-256(public key DER), written with the letters a-p instead of hex digits.
func idFromManifestKey(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Key string `json:"key"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("manifest.json is not valid JSON: %v", err)
	}
	der, err := base64.StdEncoding.DecodeString(m.Key)
	if err != nil || len(der) == 0 {
		t.Fatalf("manifest.json key is not base64 DER: %v", err)
	}
	sum := sha256.Sum256(der)
	h := hex.EncodeToString(sum[:16])
	id := make([]byte, len(h))
	for i, c := range h {
		v := strings.IndexRune("0123456789abcdef", c)
		id[i] = byte('a' + v)
	}
	return string(id)
}

func TestManifestKeyPinsID(t *testing.T) {
	if got := idFromManifestKey(t); got != ExtensionID {
		t.Fatalf("manifest key gives extension id %s, want %s; update ExtensionID and the README together", got, ExtensionID)
	}
}

// requireTools returns node and Chromium ($SLUICE_CHROMIUM, else chromium on the PATH), failing (or
// skipping with SLUICE_ALLOW_MISSING_TOOLS=1) when a tool is missing, like the other browser tests.
func requireTools(t *testing.T) (node, chromium string) {
	t.Helper()
	node = testtool.Require(t, "node")
	if chromium = os.Getenv("SLUICE_CHROMIUM"); chromium == "" {
		chromium = testtool.Require(t, "chromium")
	}
	if _, err := os.Stat(filepath.Join("..", "node_modules", "playwright-core", "package.json")); err != nil {
		t.Fatal("playwright-core is missing; run `npm ci` in the repository root (./scripts/test.sh does)")
	}
	return node, chromium
}

// fixture is the daemon side of the test: a real store, the real notify hub and the console API.
type fixture struct {
	db     *store.DB
	hub    *notify.Hub
	url    string
	tokens map[string]string
	events map[string]uint64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "sluice.db"), filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{db: db, tokens: map[string]string{}, events: map[string]uint64{}}
	users := []*store.User{
		{Name: "lisi", DisplayName: "李四", StaffID: "A0007", Department: "华东销售部", Roles: []string{store.RoleStaff, store.RoleReviewer}},
		{Name: "wangwu", DisplayName: "王五", StaffID: "A0001", Department: "华东销售部", Roles: []string{store.RoleStaff, store.RoleReviewer}},
		{Name: "zhangsan", DisplayName: "张三", StaffID: "A1024", Department: "华东销售部", Lead: "lisi", Head: "wangwu", Roles: []string{store.RoleStaff}},
	}
	for _, u := range users {
		if err := db.CreateUser("test", u); err != nil {
			t.Fatal(err)
		}
		tok, err := db.NewToken("test", u.Name)
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[u.Name] = tok
	}
	blocked := &store.Event{Time: time.Now().UTC(), Action: "upload", User: "zhangsan", Host: "pan.baidu.com",
		Category: "netdisk", Method: "POST", Path: "/rest/2.0/pcs/file", Verdict: "block",
		Reasons: []string{"网盘上传含客户资料：手机号×120"},
		Files:   []store.FileRecord{{Name: "华东客户名单.xlsx", Size: 48213, SHA256: strings.Repeat("ab", 32), Type: "xlsx", Findings: []string{"phone×120"}}}}
	// held2 carries markup in its file name: the pages must show it as text.
	fileName := map[string]string{"held1": "报价单-1.pdf", "held2": `<img src=x onerror="document.title='pwned'">报价单-2.pdf`,
		"held3": "合同-3.pdf", "held4": "报价单-1.pdf"}
	for i, name := range []string{"blocked", "held1", "held2", "held3", "held4"} {
		ev := blocked
		if name != "blocked" {
			ev = &store.Event{Time: time.Now().UTC(), Action: "upload", User: "zhangsan", Host: "mail.qq.com",
				Category: "webmail", Method: "POST", Path: "/cgi-bin/upload", Verdict: "approval",
				Reasons: []string{"个人邮箱外发含客户资料，需审批"},
				Files: []store.FileRecord{{Name: fileName[name], Size: 20480,
					SHA256: strings.Repeat(fmt.Sprintf("%02x", i), 32), Type: "pdf", Findings: []string{"phone×8", "customer_match×3"}}}}
		}
		if err := db.AppendEvent(ev); err != nil {
			t.Fatal(err)
		}
		f.events[name] = ev.ID
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.url = "http://" + ln.Addr().String()
	// The real console and hub; only the extension's pinned origin may open /ws.
	f.hub = notify.NewHub(db, []string{"chrome-extension://" + ExtensionID}, false)
	mux := http.NewServeMux()
	jobs := &ops.Local{DB: db, Policy: policy.Default(), BaseURL: f.url, Notifier: hubOnly{f.hub}}
	mux.Handle("/", console.NewServer(console.Config{Ops: jobs, DB: db, Hub: f.hub, BaseURL: f.url, SpoolDir: dir}))
	mux.HandleFunc("POST /_test/notify", f.testNotify)
	mux.HandleFunc("GET /_test/connected", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, f.hub.Connected("zhangsan"))
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return f
}

// hubOnly tells the extension through the hub; manager alerts are not part of this test.
type hubOnly struct{ h *notify.Hub }

func (n hubOnly) Notify(user string, nt api.Notice) { n.h.Notify(user, nt) }
func (hubOnly) Alert(api.Alert)                     {}

// notice builds the hub notice for one of the fixture's events.
func (f *fixture) notice(kind, name string) api.Notice {
	ev, err := f.db.Event(f.events[name])
	if err != nil {
		panic(err)
	}
	n := api.Notice{Type: kind, EventID: ev.ID, Destination: ev.Host, Reasons: ev.Reasons,
		FormURL: fmt.Sprintf("%s/request/new?event=%d", f.url, ev.ID), Texts: map[string]api.NoticeTexts{}}
	for _, fr := range ev.Files {
		n.Files = append(n.Files, fr.Name)
	}
	if kind == "held" { // as the pipeline tells it: the reviewers in order, the texts in both languages
		n.Reviewers = []api.Reviewer{{Name: "lisi", DisplayName: "李四", Stage: "lead"}, {Name: "wangwu", DisplayName: "王五", Stage: "head"}}
	}
	for _, lang := range []l10n.Lang{l10n.ZH, l10n.EN} {
		var found []string
		for _, fr := range ev.Files {
			found = append(found, fr.Name+lang.Pick("：", ": ")+api.FindingsLine(fr.Findings, lang))
		}
		n.Texts[string(lang)] = api.NoticeTexts{Reasons: ev.Reasons, Findings: found}
	}
	n.Findings = n.Texts["zh-CN"].Findings
	return n
}

// testNotify is the test-only trigger the node script calls: ?kind=held&event=held1 pushes a live notice.
func (f *fixture) testNotify(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("event")
	if _, ok := f.events[name]; !ok {
		http.Error(w, "unknown event", http.StatusBadRequest)
		return
	}
	n := f.notice(r.URL.Query().Get("kind"), name)
	if r.URL.Query().Get("form") == "js" {
		n.FormURL = "javascript:document.title='pwned'"
	}
	if id := r.URL.Query().Get("again"); id != "" { // the earlier approval of this file is used up
		req, err := f.db.Request(id)
		if err != nil {
			http.Error(w, "unknown request", http.StatusBadRequest)
			return
		}
		n.Approval = &api.PastApproval{RequestID: id, State: "used_up", Uses: req.MaxUses, MaxUses: req.MaxUses, Expires: req.ValidUntil()}
		n.AgainURL = n.FormURL + "&again=" + id
	}
	f.hub.Notify("zhangsan", n)
	w.WriteHeader(http.StatusNoContent)
}

// result is what the node script writes to result.json.
type result struct {
	ExtensionID string   `json:"extension_id"`
	Approved    string   `json:"approved_request"`
	Again       string   `json:"again_request"`
	Withdrawn   string   `json:"withdrawn_request"`
	Badge       string   `json:"badge"`
	Notified    int      `json:"notifications"`
	Checks      []string `json:"checks"`
}

func TestExtensionInChromium(t *testing.T) {
	node, chromium := requireTools(t)
	f := newFixture(t)
	// A notice from before the extension connects: it must arrive by replay after hello (since=0).
	f.hub.Notify("zhangsan", f.notice("blocked", "blocked"))

	out := os.Getenv("SLUICE_TEST_OUT")
	if out == "" {
		out = t.TempDir()
	} else if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	ext, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("test", "extension.mjs"))
	cmd.Env = append(os.Environ(),
		"SLUICE_CONSOLE_URL="+f.url,
		"SLUICE_TOKEN="+f.tokens["zhangsan"],
		"SLUICE_LEAD_TOKEN="+f.tokens["lisi"],
		"SLUICE_HEAD_TOKEN="+f.tokens["wangwu"],
		fmt.Sprintf("SLUICE_HELD3_EVENT=%d", f.events["held3"]),
		fmt.Sprintf("SLUICE_HELD4_EVENT=%d", f.events["held4"]),
		"SLUICE_EXT_DIR="+ext,
		"SLUICE_EXT_ID="+ExtensionID,
		"SLUICE_CHROMIUM="+chromium,
		"SLUICE_OUT="+out,
	)
	output, err := cmd.CombinedOutput()
	t.Logf("node output:\n%s", output)
	if err != nil {
		t.Fatalf("extension browser test failed: %v (screenshots in %s)", err, out)
	}
	raw, err := os.ReadFile(filepath.Join(out, "result.json"))
	if err != nil {
		t.Fatalf("node script wrote no result.json: %v", err)
	}
	var res result
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatalf("bad result.json: %v", err)
	}
	if res.ExtensionID != ExtensionID {
		t.Errorf("Chromium loaded the extension as %s, want %s", res.ExtensionID, ExtensionID)
	}

	// The request filed through the extension's form must be in the store, approved by lead and head.
	req, err := f.db.RequestForEvent(f.events["held1"])
	if err != nil {
		t.Fatalf("no request stored for the held event: %v", err)
	}
	if req.ID != res.Approved {
		t.Errorf("stored request %s, page showed %s", req.ID, res.Approved)
	}
	if req.Requester != "zhangsan" || req.Receiver != "李四（ACME 采购部）" || req.Purpose != "报价确认" || req.Days != 7 || req.MaxUses != 1 {
		t.Errorf("stored request has wrong fields: %+v", req)
	}
	if req.Status != store.StatusApproved {
		t.Errorf("request %s status %q, want approved", req.ID, req.Status)
	}
	again, err := f.db.RequestForEvent(f.events["held4"])
	if err != nil || again.ID != res.Again || again.Receiver != req.Receiver || again.Purpose != req.Purpose || again.Days != req.Days ||
		again.Status != store.StatusPending {
		t.Errorf("再次申请 did not file the earlier request again for the new upload: %+v %v (page: %s)", again, err, res.Again)
	}
	w, err := f.db.RequestForEvent(f.events["held2"])
	if err != nil {
		t.Fatalf("no request stored for the second held event: %v", err)
	}
	if w.ID != res.Withdrawn || w.Status != store.StatusWithdrawn || w.Days != 30 {
		t.Errorf("second request: got %s status %q days %d, want %s withdrawn 30 days", w.ID, w.Status, w.Days, res.Withdrawn)
	}
	// The server notices the closed browser's socket on its next read; give it a moment.
	for i := 0; i < 50 && f.hub.Connected("zhangsan") != 0; i++ {
		time.Sleep(100 * time.Millisecond)
	}
	if n := f.hub.Connected("zhangsan"); n != 0 {
		t.Errorf("hub still has %d connections after the browser closed", n)
	}
	t.Logf("checks passed in the browser: %s", strings.Join(res.Checks, "; "))
}
