package main

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/ops"
	"github.com/sluice-dlp/sluice/store"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/proxy/policy"
)

// TestInspectCommandsUseDaemonAPI runs the daemon on the same data dir: customers, fingerprints
// and scan must go through its API, and the running daemon must use the new list at once.
func TestInspectCommandsUseDaemonAPI(t *testing.T) {
	dir := t.TempDir()
	d := startDaemon(t, dir)

	list := genCustomers(30, 0)
	csvPath := filepath.Join(dir, "客户名单.csv")
	writeGBKCSV(t, csvPath, list)
	code, out := runCaptured(t, dir, "customers", "import", csvPath)
	if code != 0 || !strings.Contains(out, "Imported 30 customer entries") {
		t.Fatalf("customers import through the API: exit %d %q", code, out)
	}
	if evs, _ := d.DB.Events(store.EventFilter{Action: "customers.import"}); len(evs) != 1 || evs[0].User != "admin" {
		t.Fatalf("import not audited: %+v", evs)
	}
	if st, err := d.DB.CustomerStats(); err != nil || st.Entries != 30 {
		t.Fatalf("the daemon's store after the import: %+v %v", st, err)
	}
	code, out = runCaptured(t, dir, "customers", "stats", "--json")
	var st struct{ Entries, Values int }
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.Entries != 30 || st.Values == 0 {
		t.Fatalf("customers stats through the API: exit %d %s", code, out)
	}

	// the running daemon's own scanner already knows the 5 customers, no restart
	real := writeCustomerText(t, dir, list[10:15])
	text, _ := os.ReadFile(real)
	rep, err := ops.BuildReport(context.Background(), d.Scanner(), d.Policy, api.ScanRequest{Name: "周报.txt", Dest: "pan.baidu.com"},
		bytes.NewReader(text), int64(len(text)))
	if err != nil || rep.Verdict != policy.Block || !rep.Sensitive {
		t.Errorf("daemon scanner after the import: %+v %v", rep, err)
	}
	// and sluice scan asks it
	s := scanFile(t, dir, "--dest", "https://pan.baidu.com/rest/2.0/pcs/file", real)
	if s.count(inspect.KindCustomer) != 5 || !s.Sensitive || s.Verdict != "block" {
		t.Errorf("scan through the API, 5 customers to a netdisk: %+v", s)
	}
	if code, _ := runCaptured(t, dir, "scan", "--policy", filepath.Join(dir, "policy.yaml"), real); code != exitUsage {
		t.Errorf("scan --policy while the daemon runs: exit %d, want %d", code, exitUsage)
	}
	if s := scanFile(t, dir, "--no-store", "--dest", "pan.baidu.com", real); s.count(inspect.KindCustomer) != 0 {
		t.Errorf("scan --no-store used the customer list: %+v", s)
	}

	// fingerprints: registered through the daemon, recognised under another name
	secret := filepath.Join(dir, "底价表.txt")
	os.WriteFile(secret, []byte("产品A 底价 100\n产品B 底价 200\n"), 0o600)
	if code, out := runCaptured(t, dir, "fingerprints", "add", secret); code != 0 || !strings.Contains(out, "Registered 底价表.txt") {
		t.Fatalf("fingerprints add through the API: exit %d %q", code, out)
	}
	if code, _ := runCaptured(t, dir, "fingerprints", "add", secret, filepath.Join(dir, "missing")); code != exitUndecided {
		t.Errorf("fingerprints add with a missing file: exit %d", code)
	}
	code, out = runCaptured(t, dir, "fingerprints", "list", "--json")
	if code != 0 || strings.Count(out, `"sha256"`) != 1 || !strings.Contains(out, "底价表.txt") {
		t.Errorf("fingerprints list through the API: exit %d %s", code, out)
	}
	cp := filepath.Join(dir, "copy.txt")
	os.WriteFile(cp, []byte("产品A 底价 100\n产品B 底价 200\n"), 0o600)
	if s := scanFile(t, dir, "--dest", "mail.qq.com", cp); s.count(inspect.KindFingerprint) != 1 || !s.Sensitive {
		t.Errorf("registered file scanned through the API: %+v", s)
	}

	// usage errors keep their exit code through the API
	plain := filepath.Join(dir, "plain.tsv")
	os.WriteFile(plain, []byte("x\ty\tz\nACME GmbH\t13800138000\ta@acme.de\n"), 0o600)
	if code, _ := runCaptured(t, dir, "customers", "import", plain); code != exitUsage {
		t.Errorf("unknown headers through the API: exit %d, want %d", code, exitUsage)
	}

	// a staff token is refused
	if code, _ := runCaptured(t, dir, "users", "add", "zhangsan", "--display-name", "张三", "--staff-id", "A1024", "--password", "pass-word-2"); code != 0 {
		t.Fatal("users add through the API")
	}
	_, tok := runCaptured(t, dir, "users", "token", "zhangsan")
	tok = strings.TrimSpace(tok)
	for _, args := range [][]string{{"customers", "stats", "--token", tok}, {"customers", "clear", "--token", tok},
		{"customers", "import", "--token", tok, csvPath}, {"fingerprints", "list", "--token", tok},
		{"fingerprints", "add", "--token", tok, secret}, {"scan", "--token", tok, real}} {
		if code, _ := runCaptured(t, dir, args...); code == 0 {
			t.Errorf("a staff token ran %v", args)
		}
	}

	if code, out := runCaptured(t, dir, "customers", "clear"); code != 0 || !strings.Contains(out, "30 entries") {
		t.Fatalf("customers clear through the API: exit %d %q", code, out)
	}
	if s := scanFile(t, dir, "--dest", "pan.baidu.com", real); s.count(inspect.KindCustomer) != 0 || s.Verdict == "block" {
		t.Errorf("after clear the daemon still matches the list: %+v", s)
	}
}
