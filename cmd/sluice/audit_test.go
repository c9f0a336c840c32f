package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sluice-dlp/sluice/proxy/daemon"
	"github.com/sluice-dlp/sluice/store"
	bolt "go.etcd.io/bbolt"
)

// runWitnessed runs a daemon on dir whose chain head also goes to url, adds the users through its
// API, and stops it (which exports the final head).
func runWitnessed(t *testing.T, dir, url string, users ...string) {
	t.Helper()
	d, err := daemon.New(daemon.Config{DataDir: dir, Listen: "127.0.0.1:0", Console: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Audit: daemon.AuditConfig{WitnessURL: url}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if code, _ := runCaptured(t, dir, "users", "add", u, "--password", "pass-word-1"); code != 0 {
			t.Fatalf("users add %s", u)
		}
	}
	d.Close()
}

// TestAuditVerifyWitnessCatchesRollback: a database restored from an older copy has a valid chain
// (every MAC right, nothing to see without outside help); `audit verify --witness` against the
// witness file or the webhook collector says records are gone, on the store and through the daemon; plain
// `audit verify` uses the data dir's witness file.
func TestAuditVerifyWitnessCatchesRollback(t *testing.T) {
	var mu sync.Mutex
	var got []byte
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Method == http.MethodGet {
			w.Write(got)
			return
		}
		data, _ := io.ReadAll(r.Body)
		got = append(append(got, data...), '\n')
	}))
	defer hook.Close()
	dir := t.TempDir()
	runCaptured(t, dir, "init")
	runWitnessed(t, dir, hook.URL, "zhangsan")
	old := filepath.Join(t.TempDir(), "old.db")
	copyTo(t, filepath.Join(dir, "sluice.db"), old)
	runWitnessed(t, dir, hook.URL, "lisi", "wangwu")
	witness := filepath.Join(dir, "audit-witness.jsonl")
	if code, out := runCaptured(t, dir, "audit", "verify", "--witness", witness, "--witness", hook.URL); code != 0 || !strings.Contains(out, "witnessed heads are still on the chain") {
		t.Fatalf("untouched chain against its witness: %d %s", code, out)
	}

	copyTo(t, old, filepath.Join(dir, "sluice.db")) // the attacker restores the older copy: two user.add records gone
	if code, out := runCaptured(t, dir, "audit", "verify"); code != exitUndecided || !strings.Contains(out, "the chain ends at record") {
		t.Fatalf("plain audit verify compares with the data dir's witness file: exit %d\n%s", code, out)
	}
	if _, out, _ := runLang(t, dir, "zh-CN", "audit", "verify"); !strings.Contains(out, "但见证在") || strings.Contains(out, "the chain ends") {
		t.Errorf("the problems in Chinese:\n%s", out)
	}
	moved := filepath.Join(t.TempDir(), "witness.jsonl")
	os.Rename(witness, moved)
	if code, _ := runCaptured(t, dir, "audit", "verify"); code != 0 {
		t.Fatal("without a witness a restored copy is expected to verify (its chain is genuine)")
	}
	os.Rename(moved, witness)
	for _, src := range []string{witness, hook.URL} {
		code, out := runCaptured(t, dir, "audit", "verify", "--witness", src, "--json")
		if code != exitUndecided || !strings.Contains(out, "the chain ends at record") {
			t.Fatalf("--witness %s: exit %d\n%s", src, code, out)
		}
	}
	d := startDaemon(t, dir)
	code, out := runCaptured(t, dir, "audit", "verify", "--witness", witness)
	if code != exitUndecided || !strings.Contains(out, "the witness saw record") {
		t.Fatalf("through the daemon: exit %d\n%s", code, out)
	}
	d.Close()
}

func copyTo(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// unkey turns the database into one from before keyed chains: SHA-256 hashes, a head of id and hash,
// no keyed marker.
func unkey(t *testing.T, path string) {
	t.Helper()
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.Update(func(tx *bolt.Tx) error {
		events, meta := tx.Bucket([]byte("events")), tx.Bucket([]byte("meta"))
		prev, last := "", []byte(nil)
		c := events.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			var e store.Event
			json.Unmarshal(v, &e)
			e.Prev, e.Hash = prev, ""
			data, _ := json.Marshal(&e)
			h := sha256.Sum256(append([]byte(prev), data...)) // the old, unkeyed chain hash
			e.Hash = hex.EncodeToString(h[:])
			prev = e.Hash
			data, _ = json.Marshal(&e)
			events.Put(k, data)
			last = append([]byte(nil), k...)
		}
		meta.Put([]byte("audit.head"), append(last, prev...))
		return meta.Delete([]byte("audit.keyed"))
	})
}

// TestAuditRekeyMigratesOnce: an unkeyed database (from an older Sluice) is reported, refuses changes
// and the daemon, until `sluice audit rekey` verifies the old chain and records the migration.
func TestAuditRekeyMigratesOnce(t *testing.T) {
	dir := t.TempDir()
	runCaptured(t, dir, "init")
	runCaptured(t, dir, "users", "add", "zhangsan", "--password", "pass-word-1")
	unkey(t, filepath.Join(dir, "sluice.db"))
	if code, out := runCaptured(t, dir, "audit", "verify"); code != exitUndecided || !strings.Contains(out, "sluice audit rekey") {
		t.Fatalf("unkeyed chain: exit %d %s", code, out)
	}
	if code, _, errOut := runLang(t, dir, "en", "users", "add", "lisi", "--password", "pass-word-1"); code == 0 || !strings.Contains(errOut, "sluice audit rekey") {
		t.Fatalf("a change to an unkeyed database: exit %d %s", code, errOut)
	}
	code, out := runCaptured(t, dir, "audit", "rekey", "--json")
	var res store.RekeyResult
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res.OldRecords < 3 || len(res.OldProblems) != 0 {
		t.Fatalf("rekey: exit %d %s", code, out)
	}
	if code, _ := runCaptured(t, dir, "audit", "verify"); code != 0 {
		t.Fatal("chain after rekey")
	}
	code, out = runCaptured(t, dir, "audit", "list", "--action", "audit.rekey", "--json")
	if code != 0 || !strings.Contains(out, `"old_head": "`+res.OldHead+`"`) {
		t.Fatalf("migration event: %s", out)
	}
	if code, _ := runCaptured(t, dir, "audit", "rekey"); code != exitUsage {
		t.Fatalf("second rekey: exit %d", code)
	}
}

// TestAuditKeyElsewhere: --audit-key puts the key on other storage; without it the keyed database is
// refused with what to do, and SLUICE_AUDIT_KEY can carry the key itself.
func TestAuditKeyElsewhere(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(t.TempDir(), "usb", "sluice-audit.key")
	os.MkdirAll(filepath.Dir(key), 0o700)
	if code, _ := runCaptured(t, dir, "--audit-key", key, "init"); code != 0 {
		t.Fatal("init with --audit-key")
	}
	if _, err := os.Stat(filepath.Join(dir, "audit.key")); err == nil {
		t.Fatal("the key was written to the data dir too")
	}
	if code, _ := runCaptured(t, dir, "users", "add", "zhangsan", "--password", "pass-word-1", "--audit-key", key); code != 0 {
		t.Fatal("users add with the key elsewhere")
	}
	code, _, errOut := runLang(t, dir, "en", "users", "list")
	if code == 0 || !strings.Contains(errOut, "--audit-key") {
		t.Fatalf("without the key: exit %d %s", code, errOut)
	}
	raw, _ := os.ReadFile(key)
	t.Setenv("SLUICE_AUDIT_KEY", hex.EncodeToString(raw))
	if code, out := runCaptured(t, dir, "users", "list", "--json"); code != 0 || !strings.Contains(out, "zhangsan") {
		t.Fatalf("SLUICE_AUDIT_KEY: exit %d %s", code, out)
	}
}
