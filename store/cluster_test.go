package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/sluice-dlp/sluice/internal/pgtest"
)

// twoNodes opens one PostgreSQL database twice, as two nodes would, with one audit key.
func twoNodes(t *testing.T) (a, b *DB, url string) {
	t.Helper()
	url = pgtest.URL(t)
	key := []byte("0123456789abcdef0123456789abcdef")
	open := func() *DB {
		db, err := OpenWith(filepath.Join(t.TempDir(), "sluice.db"), Options{Store: url, Key: key, SharedBlobs: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	return open(), open(), url
}

// TestClusterConcurrentWriters appends events and uses grants from two nodes at once: the chain
// verifies, every id is there once, and a grant of 5 uses is used exactly 5 times.
func TestClusterConcurrentWriters(t *testing.T) {
	a, b, _ := twoNodes(t)
	orgUsers(t, a)
	ev := heldEvent(t, a, "zhang", shaA)
	r, err := b.FileRequest("zhang", NewRequest{EventID: ev, Receiver: "r", Purpose: "p", Days: 1, MaxUses: 5}, t0)
	if err != nil {
		t.Fatal(err)
	}
	a.Act(r.ID, "li", ActApprove, "", t0)
	if _, err := b.Act(r.ID, "wang", ActApprove, "", t0); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var used atomic.Int64
	for i := range 8 {
		db := []*DB{a, b}[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 25 {
				if err := db.AppendEvent(&Event{Action: "upload", User: "zhang", Verdict: "block", Extra: map[string]string{"n": fmt.Sprint(i, "/", j)}}); err != nil {
					t.Error(err)
				}
				if _, err := db.UseGrants("zhang", "mail.qq.com", "personal_mail", []string{shaA}, t0.Add(time.Minute)); err == nil {
					used.Add(1)
				} else if !errors.Is(err, ErrNotFound) {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if used.Load() != 5 {
		t.Fatalf("a grant of 5 uses was used %d times", used.Load())
	}
	n := verified(t, a)
	es, _ := b.Events(EventFilter{Action: "upload", Verdict: "block", Limit: 1000})
	seen := map[string]bool{}
	for _, e := range es {
		if seen[e.Extra["n"]] {
			t.Fatalf("event %s twice", e.Extra["n"])
		}
		seen[e.Extra["n"]] = true
	}
	if len(seen) != 200 {
		t.Fatalf("%d of 200 events (chain of %d)", len(seen), n)
	}
}

// TestClusterForgedGrant: a grant row written into PostgreSQL behind Sluice's back releases nothing.
func TestClusterForgedGrant(t *testing.T) {
	a, _, url := twoNodes(t)
	orgUsers(t, a)
	heldEvent(t, a, "zhang", shaA)
	ctx := context.Background()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	forged := fmt.Sprintf(`{"id":"G-FORGED","request_id":"R-X","user":"zhang","sha256":"%s","host":"mail.qq.com","expires":"2030-01-01T00:00:00Z","max_uses":9,"uses":0}`, shaA)
	if _, err := c.Exec(ctx, `INSERT INTO sluice_grants VALUES ('G-FORGED', 'zhang', $1, $2)`, shaA, []byte(forged)); err != nil {
		t.Fatal(err)
	}
	if _, err := a.UseGrants("zhang", "mail.qq.com", "personal_mail", []string{shaA}, t0); !errors.Is(err, ErrTampered) {
		t.Fatalf("forged grant: %v", err)
	}
	// an edited event is caught by the chain
	if _, err := c.Exec(ctx, `UPDATE sluice_events SET data = convert_to(replace(convert_from(data, 'UTF8'), 'mail.qq.com', 'mail.163.com'), 'UTF8')`); err != nil {
		t.Fatal(err)
	}
	if _, p, _ := a.VerifyChain(); len(p) == 0 {
		t.Fatal("an edited event verified")
	}
}

// TestClusterNewerSchemaRefused: a node refuses a database whose schema is newer than it knows.
func TestClusterNewerSchemaRefused(t *testing.T) {
	_, _, url := twoNodes(t)
	ctx := context.Background()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	c.Exec(ctx, `UPDATE sluice_schema SET version = version + 1`)
	_, err = OpenWith(filepath.Join(t.TempDir(), "x.db"), Options{Store: url, Key: []byte("0123456789abcdef0123456789abcdef")})
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("newer schema: %v", err)
	}
}

// TestClusterSignalsAndNotices: a signal and a notice from one node reach the other, and notice ids
// follow commit order.
func TestClusterSignalsAndNotices(t *testing.T) {
	a, b, _ := twoNodes(t)
	got := make(chan Signal, 10)
	b.Subscribe(func(s Signal) { got <- s })
	time.Sleep(300 * time.Millisecond) // the listener connects
	if err := a.Publish("reload", "customers"); err != nil {
		t.Fatal(err)
	}
	id, err := a.AddNotice("zhang", func(id uint64) ([]byte, error) { return fmt.Appendf(nil, `{"id":%d}`, id), nil })
	if err != nil {
		t.Fatal(err)
	}
	want := []Signal{{Kind: "reload", Data: "customers", Origin: a.NodeID()}, {Kind: SignalNotice, Data: fmt.Sprint(id), Origin: a.NodeID()}}
	for _, w := range want {
		select {
		case s := <-got:
			if s != w {
				t.Fatalf("got %+v, want %+v", s, w)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s signal on the other node", w.Kind)
		}
	}
	id2, _ := b.AddNotice("zhang", func(id uint64) ([]byte, error) { return fmt.Appendf(nil, `{"id":%d}`, id), nil })
	if id2 <= id {
		t.Fatalf("notice ids %d then %d", id, id2)
	}
	ns, err := b.NoticesSince("zhang", id, 10)
	if err != nil || len(ns) != 1 || string(ns[0]) != fmt.Sprintf(`{"id":%d}`, id2) {
		t.Fatalf("since: %q %v", ns, err)
	}
}
