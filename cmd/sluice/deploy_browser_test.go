package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/internal/deploy"
	"github.com/sluice-dlp/sluice/proxy/daemon"
)

// TestBrowserPolicyInChromium writes the policies with 'sluice deploy browser-policy', bind-mounts the
// Linux Chromium one over /etc/chromium in a private mount namespace (Chromium on Linux reads only
// /etc/chromium/policies/managed; release builds have no switch to point it elsewhere) and starts real
// Chromium with it: the extension is force-installed from the console, configured from managed storage and
// paired with a one-time code; pages go through Sluice by the PAC; with the PAC file unreachable a page
// that would answer directly fails instead (PacMandatory).
func TestBrowserPolicyInChromium(t *testing.T) {
	node, chromium := browserTools(t)
	requireMountNamespace(t)
	dir := t.TempDir()
	if code, out := runCaptured(t, dir, "init"); code != 0 {
		t.Fatalf("init: %s", out)
	}
	if code, out := runCaptured(t, dir, "users", "add", "zhangsan", "--display-name", "张三", "--staff-id", "A1024", "--password", "pass-word-2"); code != 0 {
		t.Fatalf("users add: %s", out)
	}
	site := newCountingServer(t, "upstream ok") // stands in for pan.baidu.com, reached only through Sluice
	direct := newCountingServer(t, "direct ok") // would answer any browser that reached it directly
	console := "http://" + freePort(t)
	out := filepath.Join(dir, "policy")
	code, stdout, stderr := runLang(t, dir, "en", "deploy", "browser-policy", "--out", out, "--console", console)
	if code != 0 {
		t.Fatalf("deploy browser-policy: exit %d\n%s\n%s", code, stdout, stderr)
	}
	extID := deployedExtensionID(t, out)
	if !strings.Contains(stderr, "chrome-extension://"+extID) || !strings.Contains(string(mustRead(t, filepath.Join(dir, "policy.yaml"))), "chrome-extension://"+extID) {
		t.Fatalf("deploy did not allow the packed extension's origin in policy.yaml: %s", stderr)
	}
	blockDNS(t) // the daemon dials only what --resolve names: nothing leaves loopback
	d := startDaemonConfig(t, daemon.Config{DataDir: dir, Console: strings.TrimPrefix(console, "http://"), Resolve: []string{"pan.baidu.com:80=" + site.addr}, User: "zhangsan"})
	code2 := pairingCode(t, d.ConsoleURL(), "zhangsan", "pass-word-2")

	shots := os.Getenv("SLUICE_TEST_OUT")
	if shots == "" {
		shots = t.TempDir()
	}
	run := func(mode, policyDir string, extra ...string) {
		t.Helper()
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
		if prefs, err := os.ReadFile("/etc/chromium/master_preferences"); err == nil {
			os.WriteFile(filepath.Join(etc, "master_preferences"), prefs, 0o644)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
		defer cancel()
		env := append([]string{"SLUICE_MODE=" + mode, "SLUICE_CHROMIUM=" + chromium, "SLUICE_EXT_ID=" + extID,
			"SLUICE_CONSOLE_URL=" + console, "SLUICE_SITE=http://pan.baidu.com/disk/home",
			"SLUICE_DIRECT_SITE=http://direct.sluice.test:" + portOf(direct.addr) + "/", "SLUICE_OUT=" + shots}, extra...)
		output, err := runInNamespace(ctx, map[string]string{etc: "/etc/chromium"}, env, node, filepath.Join("testdata", "browser-policy.mjs"))
		t.Logf("%s:\n%s", mode, output)
		if err != nil {
			t.Fatalf("Chromium with the %s policy: %v (screenshots in %s)", mode, err, shots)
		}
	}

	run("live", out, "SLUICE_PAIR_CODE="+code2)
	if site.hits.Load() == 0 {
		t.Fatal("the site behind Sluice saw no request")
	}
	if n := d.Hub.Connected("zhangsan"); n != 0 {
		t.Logf("hub still has %d connection(s) right after the browser closed", n)
	}
	// The code was used by the browser: it is gone.
	if _, _, err := d.DB.RedeemPairingCode(code2, time.Now()); err == nil {
		t.Fatal("the pairing code worked a second time")
	}

	// PAC file unreachable: a policy pointing at a dead PAC URL.
	deadOut := filepath.Join(dir, "policy-dead")
	if code, o, e := runLang(t, dir, "en", "deploy", "browser-policy", "--out", deadOut, "--console", console,
		"--pac", "http://"+freePort(t)+"/proxy.pac"); code != 0 {
		t.Fatalf("deploy with --pac: %s %s", o, e)
	}
	if resp, err := httpGet("http://" + direct.addr + "/"); err != nil || !strings.Contains(resp, "direct ok") {
		t.Fatalf("the direct site does not answer a direct request: %v %q", err, resp)
	}
	before := direct.hits.Load()
	run("pac-down", deadOut)
	if direct.hits.Load() != before {
		t.Fatal("Chromium reached the site directly although the PAC file was unreachable (PacMandatory)")
	}
}
