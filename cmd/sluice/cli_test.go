package main

import (
	"encoding/json"
	"github.com/sluice-dlp/sluice/internal/api"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-dlp/sluice/internal/fixture"
	"github.com/sluice-dlp/sluice/proxy/daemon"
	bolt "go.etcd.io/bbolt"
)

func TestInitUsersPolicyAndUsageErrors(t *testing.T) {
	dir := t.TempDir()
	if code, _ := runCaptured(t, dir, "init"); code != 0 {
		t.Fatalf("init exit %d", code)
	}
	for _, f := range []string{"ca.pem", "ca.key", "policy.yaml", "sluice.db", "mark.key", "admin.token"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("init did not create %s", f)
		}
	}
	if code, _ := runCaptured(t, dir, "users", "add", "lisi", "--display-name", "李四", "--staff-id", "A2001", "--role", "reviewer", "--password", "pass-word-1"); code != 0 {
		t.Fatal("users add lisi")
	}
	if code, _ := runCaptured(t, dir, "users", "add", "zhangsan", "--display-name", "张三", "--staff-id", "A1024", "--lead", "lisi", "--password", "pass-word-2"); code != 0 {
		t.Fatal("users add zhangsan")
	}
	code, out := runCaptured(t, dir, "users", "list", "--json")
	var users struct {
		Users []struct{ Name, Lead, DisplayName, PasswordHash string }
	}
	if code != 0 || json.Unmarshal([]byte(out), &users) != nil || len(users.Users) != 3 {
		t.Fatalf("users list: %d %s", code, out)
	}
	for _, u := range users.Users {
		if u.PasswordHash != "" {
			t.Fatal("users list leaks password hashes")
		}
	}
	if code, _ := runCaptured(t, dir, "users", "add", "zhangsan", "--password", "pass-word-3"); code != exitUsage {
		t.Fatalf("adding an existing user: exit %d", code)
	}
	if code, _ := runCaptured(t, dir, "users", "add"); code != exitUsage {
		t.Fatalf("users add without a name: exit %d", code)
	}
	if code, _ := runCaptured(t, dir, "audit", "list", "--bogus"); code != exitUsage {
		t.Fatalf("unknown flag: exit %d", code)
	}
	if code, _ := runCaptured(t, dir, "policy", "check"); code != 0 {
		t.Fatal("default policy does not check")
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(strings.Replace(string(mustRead(t, filepath.Join(dir, "policy.yaml"))), "sensitive_file: block", "sensitive_file: blok", 1)), 0o644)
	if code, _ := runCaptured(t, dir, "policy", "check", bad); code != exitUndecided {
		t.Fatalf("bad policy: exit %d", code)
	}
}

func mustRead(t *testing.T, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMarkTraceAndAuditVerify(t *testing.T) {
	dir := t.TempDir()
	runCaptured(t, dir, "init")
	runCaptured(t, dir, "users", "add", "zhangsan", "--display-name", "张三", "--staff-id", "A1024", "--password", "pass-word-2")
	in := filepath.Join(dir, "photo.jpg")
	os.WriteFile(in, fixture.JPEG(fixture.Photo(900, 700, 1), 90), 0o644)
	out := filepath.Join(dir, "marked.jpg")
	if code, _ := runCaptured(t, dir, "mark", "--user", "zhangsan", "--dest", "https://pan.baidu.com/disk", "-o", out, in); code != 0 {
		t.Fatal("mark failed")
	}
	if code, _ := runCaptured(t, dir, "mark", "--user", "zhangsan", "--dest", "https://", "-o", out+".bad", in); code == 0 {
		t.Fatal("mark accepted a destination without a host")
	}
	code, js := runCaptured(t, dir, "trace", "--json", out)
	var tr api.Trace
	if code != 0 || json.Unmarshal([]byte(js), &tr) != nil || !tr.Found || tr.User != "zhangsan" || tr.StaffID != "A1024" || tr.Destination != "pan.baidu.com" || tr.Time == "" {
		t.Fatalf("trace: exit %d %s", code, js)
	}
	code, js = runCaptured(t, dir, "trace", "--json", in)
	if code != exitUndecided || !strings.Contains(js, `"found": false`) {
		t.Fatalf("unmarked file: exit %d %s", code, js)
	}
	if code, _ := runCaptured(t, dir, "audit", "verify"); code != 0 {
		t.Fatal("fresh audit chain does not verify")
	}
	// an investigator edits the db behind Sluice's back: verify names the record
	b, err := bolt.Open(filepath.Join(dir, "sluice.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket([]byte("events"))
		c := bk.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if strings.Contains(string(v), "zhangsan") {
				return bk.Put(k, []byte(strings.Replace(string(v), "zhangsan", "someone", 1)))
			}
		}
		return nil
	})
	b.Close()
	code, js = runCaptured(t, dir, "audit", "verify", "--json")
	if code != exitUndecided || !strings.Contains(js, `"problems": [`) || strings.Contains(js, `"problems": []`) {
		t.Fatalf("tampered chain: exit %d %s", code, js)
	}
}

// TestCommandsUseDaemonAPI runs the daemon on the same data dir: the CLI must go through its API.
func TestCommandsUseDaemonAPI(t *testing.T) {
	dir := t.TempDir()
	d := startDaemon(t, dir)
	if code, _ := runCaptured(t, dir, "users", "add", "zhangsan", "--display-name", "张三", "--staff-id", "A1024", "--password", "pass-word-2"); code != 0 {
		t.Fatal("users add through the API")
	}
	if u, err := d.DB.User("zhangsan"); err != nil || u.StaffID != "A1024" {
		t.Fatalf("user not created by the daemon: %v", err)
	}
	in := filepath.Join(dir, "p.png")
	os.WriteFile(in, fixture.PNG(fixture.Photo(700, 600, 2)), 0o644)
	out := filepath.Join(dir, "m.png")
	if code, _ := runCaptured(t, dir, "mark", "--user", "zhangsan", "-o", out, in); code != 0 {
		t.Fatal("mark through the API")
	}
	code, js := runCaptured(t, dir, "trace", "--json", out)
	if code != 0 || !strings.Contains(js, `"user": "zhangsan"`) {
		t.Fatalf("trace through the API: %d %s", code, js)
	}
	if _, text, _ := runLang(t, dir, "zh-CN", "trace", out); !strings.Contains(text, "目的地：手工加水印（sluice mark）\n") {
		t.Errorf("trace names a hand-marked file's destination in words:\n%s", text)
	}
	code, js = runCaptured(t, dir, "audit", "list", "--json", "--user", "zhangsan")
	if code != 0 || !strings.Contains(js, "mark.manual") {
		t.Fatalf("audit list through the API: %d %s", code, js)
	}
	if code, _ := runCaptured(t, dir, "audit", "verify"); code != 0 {
		t.Fatal("audit verify through the API")
	}
	tok := strings.TrimSpace(func() string { _, s := runCaptured(t, dir, "users", "token", "zhangsan"); return s }())
	if !strings.HasPrefix(tok, "slc_") {
		t.Fatalf("token: %q", tok)
	}
	if code, _ := runCaptured(t, dir, "audit", "list", "--token", tok); code == 0 {
		t.Fatal("a staff token read the audit log")
	}
}

// startDaemon runs a daemon on dir (loopback, random ports) for the test's lifetime.
func startDaemon(t *testing.T, dir string) *daemon.Daemon {
	t.Helper()
	d, err := daemon.New(daemon.Config{DataDir: dir, Listen: "127.0.0.1:0", Console: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// TestResentMarkedFileNamesBothSenders: a marked photo sent again by someone else keeps its first mark;
// trace names the first sender and lists the re-send.
func TestResentMarkedFileNamesBothSenders(t *testing.T) {
	dir := t.TempDir()
	runCaptured(t, dir, "init")
	runCaptured(t, dir, "users", "add", "zhangsan", "--display-name", "张三", "--staff-id", "A1024", "--password", "pass-word-2")
	runCaptured(t, dir, "users", "add", "zhaoliu", "--display-name", "赵六", "--staff-id", "A1031", "--password", "pass-word-3")
	in := filepath.Join(dir, "photo.jpg")
	os.WriteFile(in, fixture.JPEG(fixture.Photo(1000, 750, 4), 90), 0o644)
	first, second := filepath.Join(dir, "a.jpg"), filepath.Join(dir, "b.jpg")
	if code, _ := runCaptured(t, dir, "mark", "--user", "zhangsan", "--dest", "mail.qq.com", "-o", first, in); code != 0 {
		t.Fatal("first mark failed")
	}
	code, out, _ := runLang(t, dir, "en", "mark", "--user", "zhaoliu", "--dest", "pan.baidu.com", "-o", second, first)
	if code != 0 || !strings.Contains(out, "a re-send") {
		t.Fatalf("second mark (exit %d): %s", code, out)
	}
	code, js := runCaptured(t, dir, "trace", "--json", second)
	var tr api.Trace
	if code != 0 || json.Unmarshal([]byte(js), &tr) != nil || !tr.Found || tr.User != "zhangsan" || len(tr.Resends) != 1 ||
		tr.Resends[0].User != "zhaoliu" || tr.Resends[0].Destination != "pan.baidu.com" {
		t.Fatalf("trace of the re-sent copy: exit %d %s", code, js)
	}
}
