package truststore

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/internal/testtool"
	"github.com/sluice-dlp/sluice/proxy/front"
)

// debianRoot lays out a Debian system trust store under a temp root and returns the real
// update-ca-certificates command pointed at it. ca-certificates.conf is not empty, so the tool runs as on
// an installed system (not --fresh), where it does not clean up links to removed local certificates.
func debianRoot(t *testing.T) (string, []string) {
	t.Helper()
	tool := testtool.Require(t, "update-ca-certificates")
	testtool.Require(t, "openssl")
	root := t.TempDir()
	for _, d := range []string{"usr/local/share/ca-certificates", "usr/share/ca-certificates", "etc/ssl/certs", "etc/ca-certificates/update.d"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	// one distribution certificate, as every installed system has some
	os.MkdirAll(filepath.Join(root, "usr/share/ca-certificates/test"), 0o755)
	os.WriteFile(filepath.Join(root, "usr/share/ca-certificates/test/distro-root.crt"), newCA(t).CertPEM, 0o644)
	os.WriteFile(filepath.Join(root, "etc/ca-certificates.conf"), []byte("test/distro-root.crt\n"), 0o644)
	return root, []string{tool, "--certsconf", filepath.Join(root, "etc/ca-certificates.conf"),
		"--certsdir", filepath.Join(root, "usr/share/ca-certificates"), "--localcertsdir", filepath.Join(root, "usr/local/share/ca-certificates"),
		"--etccertsdir", filepath.Join(root, "etc/ssl/certs"), "--hooksdir", filepath.Join(root, "etc/ca-certificates/update.d")}
}

func newCA(t *testing.T) *front.CA {
	ca, err := front.LoadOrCreateCA(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func trusted(t *testing.T, o Options) map[string]bool {
	t.Helper()
	sts, err := Check(o)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, s := range sts {
		out[s.Path] = s.Trusted
	}
	return out
}

// symlinks lists the links in dir and the ones among them that lead nowhere.
func symlinks(t *testing.T, dir string) (all, dangling []string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if e.Type()&os.ModeSymlink != 0 {
			all = append(all, e.Name())
			if _, err := os.Stat(p); err != nil {
				dangling = append(dangling, e.Name())
			}
		}
	}
	return all, dangling
}

// TestInstallCreatesStoresAndUninstallLeavesNothing installs a real CA on a fresh home (no NSS database,
// a Firefox profile that never started) and a Debian store refreshed by the real update-ca-certificates,
// as another user (sudo), then checks and uninstalls it.
func TestInstallCreatesStoresAndUninstallLeavesNothing(t *testing.T) {
	testtool.Require(t, "certutil")
	root, update := debianRoot(t)
	ca := newCA(t)
	home := t.TempDir()
	profile := filepath.Join(home, ".mozilla/firefox/abcd1234.default-esr")
	os.MkdirAll(profile, 0o700)
	os.WriteFile(filepath.Join(profile, "times.json"), []byte("{}"), 0o600)
	stateFile := filepath.Join(t.TempDir(), "truststore.json")
	o := Options{CertPath: ca.CertPath, Root: root, Home: home, SystemUpdate: update, StateFile: stateFile, Owner: &Owner{UID: 65534, GID: 65534}}
	chromeDB := filepath.Join(home, ".pki/nssdb")
	bundle := filepath.Join(root, "etc/ssl/certs/ca-certificates.crt")

	for p, ok := range trusted(t, o) {
		if ok {
			t.Fatalf("%s trusts the CA before install", p)
		}
	}
	res, err := Install(o)
	if err != nil {
		t.Fatalf("install: %v %+v", err, res)
	}
	done := joinLines(res.Done, l10n.EN)
	if !strings.Contains(done, "created the Chrome/Chromium NSS database "+chromeDB) || !strings.Contains(done, "created the Firefox NSS database "+profile) {
		t.Fatalf("install does not say it created the databases:\n%s", done)
	}
	for _, f := range []string{filepath.Join(home, ".pki"), chromeDB, filepath.Join(chromeDB, "cert9.db"), filepath.Join(profile, "cert9.db")} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatalf("%s missing after install", f)
		}
		if st := fi.Sys().(*syscall.Stat_t); st.Uid != 65534 || st.Gid != 65534 {
			t.Fatalf("%s belongs to %d:%d, want the invoking user 65534:65534", f, st.Uid, st.Gid)
		}
	}
	links, dangling := symlinks(t, filepath.Join(root, "etc/ssl/certs"))
	if len(links) < 4 || len(dangling) > 0 { // NAME.pem → certificate and HASH.0 → NAME.pem, for both
		t.Fatalf("links after install: %v (dangling %v)", links, dangling)
	}
	for p, ok := range trusted(t, o) {
		if !ok {
			t.Fatalf("--check: %s does not trust the CA after install", p)
		}
	}
	if !strings.Contains(string(must(os.ReadFile(bundle))), strings.TrimSpace(string(ca.CertPEM))[30:90]) {
		t.Fatal("the CA is not in the bundle update-ca-certificates wrote")
	}
	// Installing twice changes nothing and is not an error.
	if _, err := Install(o); err != nil {
		t.Fatal(err)
	}

	res, err = Uninstall(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("uninstall:\n  %s", joinLines(res.Done, l10n.EN))
	links, dangling = symlinks(t, filepath.Join(root, "etc/ssl/certs"))
	if len(links) != 2 || len(dangling) != 0 || strings.Contains(strings.Join(links, " "), "sluice") {
		t.Fatalf("uninstall left links in etc/ssl/certs: %v (dangling %v)", links, dangling)
	}
	if b := string(must(os.ReadFile(bundle))); strings.Contains(b, strings.TrimSpace(string(ca.CertPEM))[30:90]) || !strings.Contains(b, "BEGIN CERTIFICATE") {
		t.Fatal("after uninstall the bundle should hold the distribution certificate and not the CA")
	}
	if _, err := os.Stat(filepath.Join(home, ".pki")); !os.IsNotExist(err) {
		t.Fatal("uninstall left the ~/.pki it created")
	}
	if _, err := os.Stat(filepath.Join(profile, "cert9.db")); !os.IsNotExist(err) {
		t.Fatal("uninstall left the Firefox database it created")
	}
	if _, err := os.Stat(profile); err != nil {
		t.Fatal("uninstall removed the Firefox profile itself")
	}
	if _, err := os.Stat(stateFile); !os.IsNotExist(err) {
		t.Fatal("the state file remains although nothing is installed")
	}
	for p, ok := range trusted(t, o) {
		if ok {
			t.Fatalf("--check: %s still trusts the CA after uninstall", p)
		}
	}
}

// TestUninstallKeepsDatabasesItDidNotCreate: a database the browser made, or used since, stays; only the CA goes.
func TestUninstallKeepsDatabasesItDidNotCreate(t *testing.T) {
	testtool.Require(t, "certutil")
	ca, other := newCA(t), newCA(t)
	home := t.TempDir()
	db := filepath.Join(home, ".pki/nssdb")
	os.MkdirAll(db, 0o700)
	if out, err := exec.Command("certutil", "-N", "--empty-password", "-d", "sql:"+db).CombinedOutput(); err != nil {
		t.Fatalf("certutil -N: %v %s", err, out)
	}
	o := Options{CertPath: ca.CertPath, Home: home, Stores: []string{"nss"}, StateFile: filepath.Join(t.TempDir(), "state.json")}
	if _, err := Install(o); err != nil {
		t.Fatal(err)
	}
	// Someone adds their own certificate afterwards.
	if out, err := exec.Command("certutil", "-A", "-d", "sql:"+db, "-t", "C,,", "-n", "corp-root", "-i", other.CertPath).CombinedOutput(); err != nil {
		t.Fatalf("certutil -A: %v %s", err, out)
	}
	if _, err := Uninstall(o); err != nil {
		t.Fatal(err)
	}
	if exec.Command("certutil", "-L", "-d", "sql:"+db, "-n", "sluice-ca").Run() == nil {
		t.Fatal("the CA is still in the database")
	}
	if out, err := exec.Command("certutil", "-L", "-d", "sql:"+db, "-n", "corp-root").CombinedOutput(); err != nil {
		t.Fatalf("uninstall removed someone else's certificate: %s", out)
	}
}

func TestMissingCertutilGivesInstallHint(t *testing.T) {
	ca := newCA(t)
	home := t.TempDir()
	t.Setenv("PATH", t.TempDir()) // no certutil, no update tools
	res, err := Install(Options{CertPath: ca.CertPath, Root: t.TempDir(), Home: home})
	if err == nil {
		t.Fatal("install with no store and no certutil reported success")
	}
	if !strings.Contains(joinLines(res.Problems, l10n.EN), "apt-get install libnss3-tools") || !strings.Contains(l10n.Text(err, l10n.ZH), "libnss3-tools") {
		t.Fatalf("no install hint: %v / %v", res.Problems, err)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// TestRefreshAloneLeavesDanglingLinks is the control for the test above: deleting the file and running
// update-ca-certificates (as a naive uninstall would) leaves links to it behind.
func TestRefreshAloneLeavesDanglingLinks(t *testing.T) {
	root, update := debianRoot(t)
	ca := newCA(t)
	anchor := filepath.Join(root, "usr/local/share/ca-certificates/sluice-ca.crt")
	os.WriteFile(anchor, ca.CertPEM, 0o644)
	if out, err := exec.Command(update[0], update[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("update-ca-certificates: %v %s", err, out)
	}
	os.Remove(anchor)
	if out, err := exec.Command(update[0], update[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("update-ca-certificates: %v %s", err, out)
	}
	if _, dangling := symlinks(t, filepath.Join(root, "etc/ssl/certs")); len(dangling) == 0 {
		t.Fatal("update-ca-certificates now cleans up after a removed local certificate; removeLinks may be unnecessary")
	}
}
