package truststore

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-dlp/sluice/proxy/front"
)

// TestInstallIntoNSSAndSystemStore installs a real CA into a real NSS database (certutil) and a
// Debian-layout system store under a temp root, then removes it again.
func TestInstallIntoNSSAndSystemStore(t *testing.T) {
	if _, err := exec.LookPath("certutil"); err != nil {
		t.Fatal("certutil missing: apt-get install libnss3-tools (the test script installs it)")
	}
	dir := t.TempDir()
	ca, err := front.LoadOrCreateCA(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	home, root := t.TempDir(), t.TempDir()
	nss := filepath.Join(home, ".pki", "nssdb")
	os.MkdirAll(nss, 0o700)
	if out, err := exec.Command("certutil", "-N", "--empty-password", "-d", "sql:"+nss).CombinedOutput(); err != nil {
		t.Fatalf("certutil -N: %v %s", err, out)
	}
	os.MkdirAll(filepath.Join(root, "usr/local/share/ca-certificates"), 0o755)
	o := Options{CertPath: ca.CertPath, Root: root, Home: home, SystemUpdate: []string{"true"}}
	res, err := Install(o)
	if err != nil || len(res.Done) != 2 {
		t.Fatalf("install: %v %+v", err, res)
	}
	out, err := exec.Command("certutil", "-L", "-d", "sql:"+nss, "-n", "sluice-ca").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Sluice DLP Root CA") {
		t.Fatalf("CA not in NSS db: %v %s", err, out)
	}
	if _, err := os.Stat(filepath.Join(root, "usr/local/share/ca-certificates/sluice-ca.crt")); err != nil {
		t.Fatal("CA not in the system anchors dir")
	}
	if _, err := Uninstall(o); err != nil {
		t.Fatal(err)
	}
	if exec.Command("certutil", "-L", "-d", "sql:"+nss, "-n", "sluice-ca").Run() == nil {
		t.Fatal("CA still in NSS db after uninstall")
	}
	if _, err := os.Stat(filepath.Join(root, "usr/local/share/ca-certificates/sluice-ca.crt")); !os.IsNotExist(err) {
		t.Fatal("CA still in system anchors after uninstall")
	}
}

func TestMissingCertutilGivesInstallHint(t *testing.T) {
	dir := t.TempDir()
	ca, _ := front.LoadOrCreateCA(dir, nil)
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, ".pki", "nssdb"), 0o700)
	os.WriteFile(filepath.Join(home, ".pki", "nssdb", "cert9.db"), []byte("x"), 0o600)
	t.Setenv("PATH", t.TempDir()) // no certutil, no update tools
	res, err := Install(Options{CertPath: ca.CertPath, Root: t.TempDir(), Home: home})
	if err == nil {
		t.Fatal("install with no store and no certutil reported success")
	}
	if !strings.Contains(strings.Join(res.Problems, "\n"), "apt-get install libnss3-tools") {
		t.Fatalf("no install hint: %v", res.Problems)
	}
}
