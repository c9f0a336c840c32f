package daemon

import (
	"bytes"
	"context"
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
	"time"

	"github.com/sluice-dlp/sluice/proxy/notify"
	"github.com/sluice-dlp/sluice/store"
	bolt "go.etcd.io/bbolt"
)

// collector is a loopback HTTP receiver: it keeps every JSON body POSTed to it and answers GET with
// them as JSON lines, as a log collector serving a witness would.
type collector struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies [][]byte
}

func newCollector(t *testing.T) *collector {
	c := &collector{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if r.Method == http.MethodGet {
			for _, b := range c.bodies {
				w.Write(append(b, '\n'))
			}
			return
		}
		data, _ := io.ReadAll(r.Body)
		if !json.Valid(data) {
			http.Error(w, "not JSON", 400)
			return
		}
		c.bodies = append(c.bodies, data)
		io.WriteString(w, `{"errcode":0}`)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

// records decodes what the collector received.
func (c *collector) records() []map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []map[string]any
	for _, b := range c.bodies {
		var m map[string]any
		json.Unmarshal(b, &m)
		out = append(out, m)
	}
	return out
}

// TestWitnessExportsHeadToFileAndWebhook: the chain head goes to the witness file (JSON lines, append
// only) and the webhook at start, whenever it moved, and on shutdown; both read back as heads that
// the chain still holds.
func TestWitnessExportsHeadToFileAndWebhook(t *testing.T) {
	up := newUpstream(t, 1<<20)
	hook := newCollector(t)
	file := filepath.Join(t.TempDir(), "witness.jsonl")
	env := startEnv(t, up, watched, func(c *Config) {
		c.Audit = AuditConfig{WitnessFile: file, WitnessURL: hook.srv.URL, WitnessInterval: 20 * time.Millisecond}
	})
	for range 3 {
		if code, _ := env.upload(t, "https://pan.baidu.com/api/upload", "客户清单.csv", customerCSV(40)); code != 403 {
			t.Fatalf("upload: %d", code)
		}
		head, _ := env.d.DB.Head()
		deadline := time.Now().Add(5 * time.Second)
		for {
			recs := hook.records()
			if n := len(recs); n > 0 && uint64(recs[n-1]["id"].(float64)) == head.ID {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("head %d never reached the webhook: %v", head.ID, recs)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	final, _ := env.d.DB.Head()
	env.d.Close()
	recs := hook.records()
	last := recs[len(recs)-1]
	if recs[0]["reason"] != "start" || last["reason"] != "shutdown" || last["kind"] != "sluice.audit.head" ||
		uint64(last["id"].(float64)) != final.ID || last["mac"] != final.MAC || len(recs) < 5 {
		t.Fatalf("webhook records: %v", recs)
	}
	lines := strings.Split(strings.TrimSpace(string(mustReadFile(t, file))), "\n")
	if len(lines) != len(recs) {
		t.Fatalf("witness file has %d lines, webhook %d records", len(lines), len(recs))
	}
	if st, _ := os.Stat(file); st.Mode().Perm() != 0o600 {
		t.Fatalf("witness file mode %v", st.Mode().Perm())
	}
	db, err := store.Open(PathsFor(env.dir).DB, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, src := range []string{file, hook.srv.URL} {
		heads, err := ReadWitness(context.Background(), src)
		if err != nil || len(heads) != len(recs) {
			t.Fatalf("%s: %d heads, %v", src, len(heads), err)
		}
		if n, problems, err := db.CheckWitness(heads); err != nil || len(problems) != 0 || n < 4 {
			t.Fatalf("%s: %d checked, %v %v", src, n, problems, err)
		}
	}
}

func mustReadFile(t *testing.T, p string) []byte {
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestForgedGrantRaisesAlert is issue #19's finding end to end: a grant written straight into
// sluice.db releases nothing through the proxy; the daemon logs it, alerts every channel and the
// audit log records it.
func TestForgedGrantRaisesAlert(t *testing.T) {
	up := newUpstream(t, 1<<20)
	list := customerCSV(40)
	sum := sha256.Sum256(list)
	var logs bytes.Buffer
	env := startEnv(t, up, watched, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil))
		b, err := bolt.Open(PathsFor(c.DataDir).DB, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		b.Update(func(tx *bolt.Tx) error {
			g := store.Grant{ID: "G-FORGED", RequestID: "R-NOBODY", User: "zhangsan", SHA256: hex.EncodeToString(sum[:]),
				Host: "mail.qq.com", Expires: time.Now().Add(30 * 24 * time.Hour), MaxUses: 10, Approvers: []string{"lisi", "wangwu"}}
			data, _ := json.Marshal(g)
			return tx.Bucket([]byte("grants")).Put([]byte(g.ID), data)
		})
		b.Close()
	})
	alerts := newCollector(t)
	env.d.Alerter.Close()
	env.d.Alerter = notify.NewAlerter([]notify.AlertChannel{{Type: "webhook", URL: alerts.srv.URL, On: []string{"request"}}}, nil)
	code, ref := env.upload(t, "https://mail.qq.com/cgi-bin/upload", "客户清单.csv", list)
	if code != 403 || ref.Verdict != "approval" || len(up.requests()) != 0 {
		t.Fatalf("a forged grant released the list: %d %+v, upstream got %d", code, ref, len(up.requests()))
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(alerts.records()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	recs := alerts.records()
	if len(recs) == 0 || recs[0]["kind"] != "tamper" || recs[0]["user"] != "zhangsan" || !strings.Contains(recs[0]["reasons"].([]any)[0].(string), "G-FORGED") {
		t.Fatalf("tamper alert: %v", recs)
	}
	evs, _ := env.d.DB.Events(store.EventFilter{Action: "tamper."})
	if len(evs) != 1 || evs[0].Extra["id"] != "G-FORGED" {
		t.Fatalf("tamper event: %+v", evs)
	}
	if !strings.Contains(logs.String(), "forged or edited record refused") {
		t.Fatalf("not logged:\n%s", logs.String())
	}
	if n, problems, _ := env.d.DB.VerifyChain(); len(problems) != 0 {
		t.Fatalf("chain after the refusal: %d %v", n, problems)
	}
}

// syncWriter serialises writes from the daemon's goroutines into a buffer.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// TestDaemonRefusesUnkeyedDatabase: a database whose chain is not keyed (from an older Sluice, or
// with its keyed marker removed) is never run silently; the message says to run 'sluice audit rekey'.
func TestDaemonRefusesUnkeyedDatabase(t *testing.T) {
	dir := t.TempDir()
	if _, err := Init(dir, false); err != nil {
		t.Fatal(err)
	}
	b, _ := bolt.Open(PathsFor(dir).DB, 0o600, nil)
	b.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("meta")).Delete([]byte("audit.keyed")) })
	b.Close()
	_, err := New(Config{DataDir: dir, Listen: "127.0.0.1:0", Console: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err == nil || !strings.Contains(err.Error(), "sluice audit rekey") {
		t.Fatalf("started on an unkeyed chain: %v", err)
	}
}

// TestStartSweepsCrashLeftoversAndQuotaHoldsBodies: the daemon sweeps the blob folder before serving,
// and a held body over the per-file archive quota is recorded by hash and size, not copied.
func TestStartSweepsCrashLeftoversAndQuotaHoldsBodies(t *testing.T) {
	up := newUpstream(t, 1<<20)
	var left string
	env := startEnv(t, up, watched, func(c *Config) {
		blobs := PathsFor(c.DataDir).Blobs
		left = filepath.Join(blobs, "ab", "ab"+strings.Repeat("0", 62))
		os.MkdirAll(filepath.Dir(left), 0o700)
		os.WriteFile(left, []byte("customer list copy left by a crash"), 0o600)
		os.MkdirAll(filepath.Join(blobs, ".pending"), 0o700)
		os.WriteFile(filepath.Join(blobs, ".pending", strings.Repeat("1", 64)+".blob"), []byte("pending"), 0o600)
		c.MaxInspect, c.SpoolThreshold = 64<<10, 16<<10
		c.Audit.ArchiveMaxFile = 100 << 10
	})
	if _, err := os.Stat(left); err == nil {
		t.Fatal("a copy no record refers to survived the start")
	}
	evs, _ := env.d.DB.Events(store.EventFilter{Action: "blobs.sweep"})
	if len(evs) != 1 || evs[0].Extra["removed"] != "2" || !strings.Contains(evs[0].Extra["sha256"], "ab000") {
		t.Fatalf("sweep event: %+v", evs)
	}
	big := bytes.Repeat([]byte("harmless bytes "), 10000) // 150 KB: over the inspection limit (held) and the archive quota
	code, ref := env.upload(t, "https://mail.163.com/upload", "notes.txt", big)
	if code != 403 || ref.Verdict != "approval" {
		t.Fatalf("over-limit upload: %d %+v", code, ref)
	}
	ev, _ := env.d.DB.Event(ref.EventID)
	if len(ev.Files) != 1 || ev.Files[0].Blob != "" || ev.Files[0].SHA256 == "" || ev.Files[0].Size < 150000 ||
		!strings.Contains(ev.Files[0].Unarchived, "archive quota") {
		t.Fatalf("held body over the quota: %+v", ev.Files)
	}
	if p, _ := env.d.DB.BlobPath(ev.Files[0].SHA256); fileExists(p) {
		t.Fatal("the body was archived anyway")
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
