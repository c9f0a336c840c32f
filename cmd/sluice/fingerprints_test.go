package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/store"
)

func TestFingerprintsAddListAndDetect(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "客户清单.csv")
	os.WriteFile(a, []byte("客户名称,手机\n上海星河贸易有限公司,13800138000\n"), 0o600)
	b := filepath.Join(dir, "报价.txt")
	os.WriteFile(b, []byte("底价 100 元"), 0o600)
	if code := sluice(t, dir, "fingerprints", "add", a, b); code != 0 {
		t.Fatalf("add exit %d", code)
	}
	if code := sluice(t, dir, "fingerprints", "add", filepath.Join(dir, "missing")); code != exitUndecided {
		t.Errorf("missing file: exit %d", code)
	}
	if code := sluice(t, dir, "fingerprints", "add"); code != exitUsage {
		t.Errorf("no args: exit %d", code)
	}
	if code := sluice(t, dir, "fingerprints", "list"); code != 0 {
		t.Errorf("list exit %d", code)
	}
	db, err := store.Open(filepath.Join(dir, "sluice.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fps, _ := db.Fingerprints()
	if len(fps) != 2 || fps[0].Name != "客户清单.csv" {
		t.Fatalf("fingerprints = %+v", fps)
	}
	ix, err := db.LoadFingerprintIndex()
	if err != nil {
		t.Fatal(err)
	}
	// the detector reports a match by sha256, and by a declared block list (rapid upload)
	d := inspect.NewDetector(inspect.DetectOptions{Fingerprints: ix})
	d.CheckFingerprint(fps[0].SHA256)
	d.CheckBlockList(fps[1].BlockMD5s)
	d.CheckMD5(strings.ToUpper(fps[1].MD5))
	var got *inspect.Finding
	for _, f := range d.Findings() {
		if f.Kind == inspect.KindFingerprint {
			got = &f
		}
	}
	if got == nil || got.Count != 3 || !strings.Contains(got.Detail, "客户清单.csv") || !strings.Contains(got.Detail, "报价.txt") {
		t.Fatalf("fingerprint finding = %+v", got)
	}
	other := inspect.NewDetector(inspect.DetectOptions{Fingerprints: ix})
	other.CheckFingerprint("00" + fps[0].SHA256[2:])
	other.CheckBlockList([]string{"0123456789abcdef0123456789abcdef"})
	other.CheckMD5("0123456789abcdef0123456789abcdef")
	if len(other.Findings()) != 0 {
		t.Errorf("unregistered hashes matched: %+v", other.Findings())
	}
}
