package console

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/store"
)

const browserHint = "install them with: apt-get install -y nodejs chromium && (cd REPO && npm install playwright-core)"

// repoRoot walks up from the package directory to the folder holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, _ := os.Getwd()
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			t.Fatalf("no go.mod above %s", dir)
		}
	}
}

// TestConsoleInChromium signs in as lead and head in real Chromium, approves a request with comments,
// then (after the retry the proxy would record) finds the file in the archive, and shoots a phone-size page.
// Screenshots go to $SLUICE_TEST_OUT when set, else a temp folder (logged).
func TestConsoleInChromium(t *testing.T) {
	root := repoRoot(t)
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed; %s", browserHint)
	}
	chromium := os.Getenv("SLUICE_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("chromium not found at %s; %s", chromium, browserHint)
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", "playwright-core")); err != nil {
		t.Fatalf("playwright-core is not installed in %s/node_modules; %s", root, browserHint)
	}
	out := os.Getenv("SLUICE_TEST_OUT")
	if out == "" {
		out = t.TempDir()
	} else {
		out = filepath.Join(out, "console")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", out)

	c := newConsole(t)
	const fileName = "ACME客户报价单.pdf"
	ev := c.hold(t, "zhang", "mail.qq.com", map[string][]byte{fileName: testPDF("ACME Quote 2026 - customer list")})
	// A page on another site (localhost vs 127.0.0.1) that auto-submits a form to the console.
	evil := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<form method="post" action="%s"><input name="comment" value="evil"></form><script>document.forms[0].submit()</script>`,
			html.EscapeString(r.URL.Query().Get("target")))
	}))
	evil.Start()
	defer evil.Close()
	evilURL := strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)

	reqID := ""
	run := func(phase string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, filepath.Join(root, "proxy", "console", "browsertest", "console.mjs"))
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "SLUICE_URL="+c.url, "SLUICE_PASSWORD="+testPassword, "SLUICE_REQUEST="+reqID,
			"SLUICE_EVENT="+itoa(ev.ID), "SLUICE_FILE="+fileName, "SLUICE_OUT="+out, "SLUICE_PHASE="+phase,
			"SLUICE_CHROMIUM="+chromium, "SLUICE_EVIL="+evilURL)
		var buf bytes.Buffer
		cmd.Stdout, cmd.Stderr = &buf, &buf
		if err := cmd.Run(); err != nil {
			t.Fatalf("browser phase %s failed: %v\n%s", phase, err, buf.String())
		}
		return buf.String()
	}
	outText := run("file")
	if i := strings.LastIndex(outText, "REQUEST "); i >= 0 {
		reqID = strings.TrimSpace(outText[i+len("REQUEST "):])
	}
	req, err := c.db.Request(reqID)
	if err != nil || req.Requester != "zhang" || req.Receiver != "李四（ACME 采购部）" || req.Days != 7 || req.Status != store.StatusPending {
		t.Fatalf("request filed in the browser (%q): %+v %v", reqID, req, err)
	}
	if a := wait(t, c.alerts); a.RequestID != reqID {
		t.Fatalf("reviewers' alert: %+v", a)
	}
	run("approve")

	got, _ := c.db.Request(req.ID)
	if got.Status != store.StatusApproved || len(got.History) != 3 || got.History[1].Actor != "li" || got.History[1].Comment != "同意，仅限本次报价" || got.History[2].Actor != "wang" {
		t.Fatalf("after the browser approvals: %+v", got)
	}
	// What the proxy does on the retry: find and use the grant, archive the outbound file.
	sum := ev.Files[0].SHA256
	gs, err := c.db.UseGrants("zhang", "mail.qq.com", "webmail", []string{sum}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	g := gs[0]
	if err := c.db.PutOutbound(&store.Outbound{EventID: ev.ID + 10, Time: time.Now(), User: "zhang", DisplayName: "张三", StaffID: "A1024",
		Host: "mail.qq.com", Category: "webmail", FileName: fileName, Type: "pdf", OrigSHA256: sum, ApprovalID: req.ID, GrantID: g.ID}); err != nil {
		t.Fatal(err)
	}
	run("archive")

	for _, shot := range []string{"phone-form", "english-history", "lead-queue", "lead-approved", "head-queue", "head-approved", "archive", "phone-request", "phone-nav"} {
		data, err := os.ReadFile(filepath.Join(out, shot+".png"))
		if err != nil || !strings.HasPrefix(string(data), "\x89PNG") {
			t.Fatalf("screenshot %s missing or not a PNG: %v", shot, err)
		}
	}
}

func mustUser(t *testing.T, db *store.DB, name string) *store.User {
	t.Helper()
	u, err := db.User(name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
