package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/internal/testtool"
	"github.com/sluice-dlp/sluice/proxy/daemon"
)

// TestCAInstallTrustedByChromium installs the CA on a fresh home with real certutil ('ca install' creates
// ~/.pki/nssdb as Chromium would), then real Chromium with that HOME loads an intercepted HTTPS page
// through Sluice without a certificate error; after 'ca uninstall' the same page is refused.
func TestCAInstallTrustedByChromium(t *testing.T) {
	node, chromium := browserTools(t)
	testtool.Require(t, "certutil")
	home := t.TempDir()
	t.Setenv("HOME", home)
	dir := filepath.Join(home, ".sluice")
	if code, out := runCaptured(t, dir, "init"); code != 0 {
		t.Fatalf("init: %s", out)
	}
	if code, out := runCaptured(t, dir, "ca", "install", "--check", "--store", "nss"); code != exitUndecided || !strings.Contains(out, "no database yet") {
		t.Fatalf("--check before install: exit %d\n%s", code, out)
	}
	code, out, errOut := runLang(t, dir, "en", "ca", "install", "--store", "nss")
	if code != 0 || !strings.Contains(out, "created the Chrome/Chromium NSS database "+filepath.Join(home, ".pki/nssdb")) {
		t.Fatalf("ca install: exit %d\n%s%s", code, out, errOut)
	}
	if code, out := runCaptured(t, dir, "ca", "install", "--check", "--store", "nss"); code != 0 || !strings.Contains(out, "✓ NSS (Chrome/Chromium)") {
		t.Fatalf("--check after install: exit %d\n%s", code, out)
	}
	// Chinese by default.
	if _, out, _ := runLang(t, dir, "zh-CN", "ca", "install", "--check", "--store", "nss"); !strings.Contains(out, "信任根证书") {
		t.Fatalf("--check is not in Chinese by default: %s", out)
	}

	// A loopback HTTPS site named as a real service, reached only through Sluice (--resolve).
	site := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte("<!doctype html><title>netdisk</title><body>upstream ok " + r.Host + "</body>"))
	}))
	site.TLS = &tls.Config{Certificates: []tls.Certificate{selfSigned(t, "pan.baidu.com")}}
	site.StartTLS()
	t.Cleanup(site.Close)
	upstreamCA := filepath.Join(t.TempDir(), "upstream.pem")
	os.WriteFile(upstreamCA, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: site.TLS.Certificates[0].Certificate[0]}), 0o644)
	blockDNS(t)
	d := startDaemonConfig(t, daemon.Config{DataDir: dir, Resolve: []string{"pan.baidu.com:443=" + site.Listener.Addr().String()}, UpstreamCAs: []string{upstreamCA}})

	shots := os.Getenv("SLUICE_TEST_OUT")
	if shots == "" {
		shots = t.TempDir()
	}
	load := func(expect string) map[string]any {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "ca-page.mjs"))
		cmd.Env = append(os.Environ(), "SLUICE_CHROMIUM="+chromium, "SLUICE_PROXY="+d.ProxyAddr(), "SLUICE_URL=https://pan.baidu.com/disk/home",
			"SLUICE_EXPECT="+expect, "SLUICE_OUT="+shots)
		output, err := cmd.CombinedOutput()
		t.Logf("%s: %s", expect, output)
		if err != nil {
			t.Fatalf("chromium: %v", err)
		}
		var res map[string]any
		lines := strings.Split(strings.TrimSpace(string(output)), "\n")
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
			t.Fatalf("no result from the browser: %v", err)
		}
		return res
	}
	res := load("trusted")
	if body, issuer := fmt.Sprint(res["body"]), fmt.Sprint(res["issuer"]); res["status"] != float64(200) || !strings.Contains(body, "upstream ok pan.baidu.com") || !strings.Contains(issuer, "Sluice") {
		t.Fatalf("Chromium did not load the intercepted page cleanly: %v", res)
	}

	code, out, errOut = runLang(t, dir, "en", "ca", "uninstall", "--store", "nss")
	if code != 0 || !strings.Contains(out, "deleted the NSS database") {
		t.Fatalf("ca uninstall: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(home, ".pki")); !os.IsNotExist(err) {
		t.Fatal("uninstall left the ~/.pki it created")
	}
	if code, out := runCaptured(t, dir, "ca", "uninstall", "--check", "--store", "nss"); code != 0 {
		t.Fatalf("uninstall --check: exit %d\n%s", code, out)
	}
	res = load("untrusted")
	if e, _ := res["error"].(string); !strings.Contains(e, "ERR_CERT_AUTHORITY_INVALID") {
		t.Fatalf("without the CA Chromium should refuse the page: %v", res)
	}
}

// TestSudoUsesInvokersHomeAndRefusesSecondCA: under sudo, 'ca install' writes the invoking user's NSS
// database and gives it to them; a data dir of root's without a CA is refused while the user has one.
func TestSudoUsesInvokersHomeAndRefusesSecondCA(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("sudo behaviour needs root (CI runs as root)")
	}
	testtool.Require(t, "certutil")
	repHome := t.TempDir()
	theirs := filepath.Join(repHome, ".sluice")
	if code, out := runCaptured(t, theirs, "init"); code != 0 {
		t.Fatalf("init: %s", out)
	}
	lookupUser = func(name string) (*user.User, error) {
		return &user.User{Username: name, Uid: "65534", Gid: "65534", HomeDir: repHome}, nil
	}
	t.Cleanup(func() { lookupUser = user.Lookup })
	t.Setenv("SUDO_USER", "rep")
	rootDir := t.TempDir()
	for _, args := range [][]string{{"ca", "install"}, {"init"}} {
		code, _, errOut := runLang(t, rootDir, "en", args...)
		if code != exitUsage || !strings.Contains(errOut, filepath.Join(theirs, "ca.pem")) || !strings.Contains(errOut, rootDir) {
			t.Fatalf("%v under sudo with root's empty data dir: exit %d\n%s", args, code, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(rootDir, "ca.pem")); err == nil {
		t.Fatal("a second CA was created under root")
	}
	code, out, errOut := runLang(t, theirs, "en", "ca", "install", "--store", "nss")
	if code != 0 {
		t.Fatalf("ca install under sudo: %d %s %s", code, out, errOut)
	}
	fi, err := os.Stat(filepath.Join(repHome, ".pki/nssdb/cert9.db"))
	if err != nil {
		t.Fatal("no NSS database in the invoking user's home")
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 65534 {
		t.Fatalf("the database belongs to uid %d, not the invoking user", st.Uid)
	}
}
