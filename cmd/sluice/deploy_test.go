package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/proxy/daemon"
	"github.com/sluice-dlp/sluice/store"
)

// postJSON posts body to u in language lang and returns the status and decoded answer.
func postJSON(t *testing.T, u, lang, body string) (int, map[string]string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", lang)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]string{}
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestPairingCodes drives the console's pairing through the real daemon: a code is shown only to a
// signed-in user, works once, replaces the user's previous one, expires, and wrong guesses are limited.
func TestPairingCodes(t *testing.T) {
	dir := t.TempDir()
	runCaptured(t, dir, "init")
	if code, out := runCaptured(t, dir, "users", "add", "zhangsan", "--display-name", "张三", "--staff-id", "A1024", "--password", "pass-word-2"); code != 0 {
		t.Fatal(out)
	}
	d := startDaemonConfig(t, daemon.Config{DataDir: dir})
	base := d.ConsoleURL()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if resp, err := noRedirect.Get(base + "/pair"); err != nil || resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("/pair without signing in: %v %v", resp, err)
	}
	first := pairingCode(t, base, "zhangsan", "pass-word-2")
	code := pairingCode(t, base, "zhangsan", "pass-word-2")
	if st, out := postJSON(t, base+"/api/pair", "en", `{"code":"`+first+`"}`); st != http.StatusNotFound || !strings.Contains(out["message"], "get a new one") {
		t.Fatalf("the replaced code still works: %d %v", st, out)
	}
	st, out := postJSON(t, base+"/api/pair", "en", `{"code":"`+strings.ToLower(code[:4])+"-"+code[4:]+`"}`)
	if st != http.StatusOK || out["user"] != "zhangsan" || out["display_name"] != "张三" || !strings.HasPrefix(out["token"], "slc_") {
		t.Fatalf("redeeming: %d %v", st, out)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+out["token"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the paired token does not work: %v %v", resp, err)
	}
	resp.Body.Close()
	if st, out := postJSON(t, base+"/api/pair", "zh-CN", `{"code":"`+code+`"}`); st != http.StatusNotFound || !strings.Contains(out["message"], "已使用") {
		t.Fatalf("a used code (Chinese answer by default): %d %v", st, out)
	}
	if err := d.DB.PutPairingCode("zhangsan", "EXPRDCDE", time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if st, _ := postJSON(t, base+"/api/pair", "en", `{"code":"EXPRDCDE"}`); st != http.StatusNotFound {
		t.Fatalf("an expired code: %d", st)
	}
	if st, out := postJSON(t, base+"/api/pair", "en", `{"code":"12"}`); st != http.StatusBadRequest || out["error"] != "invalid" {
		t.Fatalf("a malformed code: %d %v", st, out)
	}
	evs, _ := d.DB.Events(store.EventFilter{Action: "token.pair", Limit: 10})
	if len(evs) != 1 || evs[0].User != "zhangsan" {
		t.Fatalf("the pairing is not in the audit log: %+v", evs)
	}
	// Five failures from this address (three above, two more): the next attempt is refused even with a live code.
	postJSON(t, base+"/api/pair", "en", `{"code":"WRONGONE"}`)
	postJSON(t, base+"/api/pair", "en", `{"code":"WRONGTWO"}`)
	live := pairingCode(t, base, "zhangsan", "pass-word-2")
	if st, out := postJSON(t, base+"/api/pair", "en", `{"code":"`+live+`"}`); st != http.StatusForbidden || !strings.Contains(out["message"], "too many") {
		t.Fatalf("after five wrong codes: %d %v", st, out)
	}
}

// TestConsoleServesPackedExtension: before deploy the console says how to pack the extension; after it,
// it serves the CRX, the XPI and the update manifest naming the packed id.
func TestConsoleServesPackedExtension(t *testing.T) {
	dir := t.TempDir()
	runCaptured(t, dir, "init")
	d := startDaemonConfig(t, daemon.Config{DataDir: dir})
	get := func(path string) (int, string, []byte) {
		resp, err := http.Get(d.ConsoleURL() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), b
	}
	if st, _, body := get("/extension/updates.xml"); st != http.StatusNotFound || !strings.Contains(string(body), "sluice deploy browser-policy") {
		t.Fatalf("before packing: %d %s", st, body)
	}
	out := t.TempDir()
	code, _, stderr := runLang(t, dir, "en", "deploy", "browser-policy", "--out", out)
	if code != 0 {
		t.Fatalf("deploy: %s", stderr)
	}
	id := deployedExtensionID(t, out)
	for path, want := range map[string]string{"/extension/updates.xml": "application/xml", "/extension/sluice.crx": "application/x-chrome-extension", "/extension/sluice.xpi": "application/x-xpinstall"} {
		st, ctype, body := get(path)
		if st != http.StatusOK || !strings.HasPrefix(ctype, want) {
			t.Fatalf("%s: %d %s", path, st, ctype)
		}
		if path == "/extension/updates.xml" && !strings.Contains(string(body), "appid='"+id+"'") {
			t.Fatalf("update manifest does not name %s: %s", id, body)
		}
		if path == "/extension/sluice.crx" && string(body[:4]) != "Cr24" {
			t.Fatal("the CRX is not a CRX")
		}
	}
	for _, p := range []string{"/extension/..%2fca.key", "/extension/extension.key", "/extension/../extension.key"} {
		if _, _, body := get(p); strings.Contains(string(body), "PRIVATE KEY") {
			t.Fatalf("%s served a key", p)
		}
	}
	if code, _ := runCaptured(t, dir, "deploy", "browser-policy", "--pac", "http://a/p.pac", "--proxy", "a:1"); code != exitUsage {
		t.Fatalf("--pac with --proxy: exit %d", code)
	}
	if code, _ := runCaptured(t, dir, "deploy", "browser-policy", "--extension-id", id); code != exitUsage {
		t.Fatalf("--extension-id without --update-url: exit %d", code)
	}
}
