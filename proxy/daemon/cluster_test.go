package daemon

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/store"
)

// TestTwoNodesOneStore: an upload held on node A is approved through node B's console API, retried
// through B, released and archived once; the extension connected to B hears about A's hold, and
// after reconnecting to A replays with since= what B decided meanwhile.
func TestTwoNodesOneStore(t *testing.T) {
	up := newUpstream(t, 1<<20)
	url, dirs := clusterDirs(t, 2)
	a := startNode(t, nodeConfig(dirs[0], url, up, true))
	b := startNode(t, nodeConfig(dirs[1], url, up, true))
	rep, lead, head := a.token(t, "zhangsan"), a.token(t, "lisi"), b.token(t, "wangwu")
	extB := connectExtension(t, b.d.ConsoleAddr(), rep, 0)

	list := customerCSV(40)
	code, ref := a.upload(t, "https://mail.qq.com/cgi-bin/upload", "客户清单.csv", list)
	if code != 403 || ref.Verdict != "approval" {
		t.Fatalf("held on A: %d %+v", code, ref)
	}
	if n := extB.next(t); n.Type != "held" || n.EventID != ref.EventID || n.ID == 0 {
		t.Fatalf("notice on B of A's hold: %+v", n)
	}
	var filed struct {
		RequestID string `json:"request_id"`
	}
	if code := b.api(t, rep, "POST", "/api/requests", map[string]any{"event_id": ref.EventID, "receiver": "ACME 采购部",
		"purpose": "年度报价确认", "days": 7, "max_uses": 1}, &filed); code != 201 {
		t.Fatalf("filing on B: %d", code)
	}
	if code := b.api(t, lead, "POST", "/api/requests/"+filed.RequestID+"/approve", nil, nil); code != 200 {
		t.Fatalf("lead approval on B: %d", code)
	}
	// the two approvals of the head race on both nodes: exactly one wins
	codes := make(chan int, 2)
	for _, n := range []*testEnv{a, b} {
		go func() { codes <- n.api(t, head, "POST", "/api/requests/"+filed.RequestID+"/approve", nil, nil) }()
	}
	if c1, c2 := <-codes, <-codes; c1+c2 != 200+409 {
		t.Fatalf("head approval on both nodes: %d and %d", c1, c2)
	}
	approved := extB.next(t)
	if approved.Type != "approved" || approved.RequestID != filed.RequestID {
		t.Fatalf("approval notice: %+v", approved)
	}
	lastSeen := approved.ID
	extB.conn.Close()

	if code, ref := b.upload(t, "https://mail.qq.com/cgi-bin/upload", "客户清单.csv", list); code != 200 {
		t.Fatalf("retry through B: %d %+v", code, ref)
	}
	if code, _ := a.upload(t, "https://mail.qq.com/cgi-bin/upload", "客户清单.csv", list); code != 403 {
		t.Fatal("the one-use grant released the file a second time, on the other node")
	}
	if got := up.requests(); len(got) != 1 || !bytes.Contains(got[0].Body, list) {
		t.Fatalf("upstream got %d requests", len(got))
	}
	arch, _ := a.d.DB.Archive(archiveAll())
	if len(arch) != 1 || arch[0].ApprovalID != filed.RequestID {
		t.Fatalf("archived %d times: %+v", len(arch), arch)
	}
	// reconnecting to the other node replays exactly what happened since the last notice seen
	extA := connectExtension(t, a.d.ConsoleAddr(), rep, lastSeen)
	if n := extA.next(t); n.ID <= lastSeen || n.Type != "held" {
		t.Fatalf("replay on A after %d: %+v", lastSeen, n)
	}
	if n, problems, err := b.d.DB.VerifyChain(); err != nil || len(problems) > 0 {
		t.Fatalf("chain of %d: %v %v", n, problems, err)
	}
}

// TestTwoNodesFollowChanges: a fingerprint added on A reloads B's inspection, and a password changed on
// A stops B accepting the old one (its proxy-login cache is dropped), both within seconds.
func TestTwoNodesFollowChanges(t *testing.T) {
	url, dirs := clusterDirs(t, 2)
	a := startNode(t, nodeConfig(dirs[0], url, nil, false))
	b := startNode(t, nodeConfig(dirs[1], url, nil, false))
	basic := func(pw string) *http.Request {
		r, _ := http.NewRequest("GET", "http://example.org/", nil)
		r.SetBasicAuth("zhangsan", pw)
		r.Header.Set("Proxy-Authorization", r.Header.Get("Authorization"))
		r.RemoteAddr = "127.0.0.1:1"
		return r.WithContext(context.Background())
	}
	if _, err := b.d.auth.Identify(basic("secret-password")); err != nil {
		t.Fatal(err)
	}
	if err := a.d.DB.SetPassword("admin", "zhangsan", "another-password"); err != nil {
		t.Fatal(err)
	}
	a.d.credentialsChanged()
	fp, _ := store.ComputeFingerprint(strings.NewReader("price list"), "价格表.xlsx")
	if err := a.d.DB.AddFingerprint(fp, "admin"); err != nil {
		t.Fatal(err)
	}
	a.d.inspectionChanged()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, oldErr := b.d.auth.Identify(basic("secret-password"))
		_, known := b.d.Scanner().Fingerprints().LookupSHA256(fp.SHA256)
		if oldErr != nil && known {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 5 s node B still accepts the old password (%v) or lacks the fingerprint (%v)", oldErr == nil, !known)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// console sessions are stored: a reviewer signed in on A is signed in on B
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.PostForm("http://"+a.d.ConsoleAddr()+"/login", map[string][]string{"username": {"lisi"}, "password": {"secret-password"}, "next": {"/queue"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "sluice_session" && c.Value != "" {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatalf("no session cookie from A's login (%d)", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", "http://"+b.d.ConsoleAddr()+"/queue", nil)
	req.AddCookie(cookie)
	resp, err = noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("B answers A's session with %d", resp.StatusCode)
	}
}

// TestPACNamesEveryNode: with --pac-proxy the PAC sends browsers to the nodes in order, the next one
// when a node does not answer.
func TestPACNamesEveryNode(t *testing.T) {
	env := startEnv(t, nil, nil, func(c *Config) { c.PACProxies = []string{"sluice-a.corp:8080", "sluice-b.corp:8080"} })
	resp, err := http.Get("http://" + env.d.ConsoleAddr() + "/proxy.pac")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), `"PROXY sluice-a.corp:8080; PROXY sluice-b.corp:8080"`) {
		t.Fatalf("PAC without both nodes:\n%s", body)
	}
}

// TestPACProxyRefusesNonAddress: a --pac-proxy that is not HOST:PORT (it would break out of the PAC's
// JavaScript string) stops the daemon before it starts.
func TestPACProxyRefusesNonAddress(t *testing.T) {
	for _, bad := range []string{"sluice-a.corp", `a.corp:8080"; alert(1); "`, ":8080", "a.corp:8080; DIRECT"} {
		if _, err := New(Config{DataDir: t.TempDir(), PACProxies: []string{bad}}); err == nil || !strings.Contains(err.Error(), "--pac-proxy") {
			t.Errorf("--pac-proxy %q: %v", bad, err)
		}
	}
}
