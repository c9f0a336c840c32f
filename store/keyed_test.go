package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// attackerHash is the unkeyed chain hash anyone can compute: sha256(prev ‖ JSON without the hash).
func attackerHash(e *Event) string {
	c := *e
	c.Hash = ""
	data, _ := json.Marshal(&c)
	h := sha256.New()
	h.Write([]byte(e.Prev))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// rechain rewrites events from id `from` on with recomputed unkeyed hashes and points the head (and the
// bucket sequence) at the new last record, as an attacker with write access to the file would. The
// bytes after the head's id and hash (a keyed head's own MAC) are kept as they were.
func rechain(tx *bolt.Tx, events []*Event) {
	b := tx.Bucket(bucketEvents)
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.First() {
		b.Delete(k)
	}
	prev := ""
	for i, e := range events {
		e.ID = uint64(i + 1)
		e.Prev = prev
		e.Hash = attackerHash(e)
		prev = e.Hash
		data, _ := json.Marshal(e)
		b.Put(u64(e.ID), data)
	}
	b.SetSequence(uint64(len(events)))
	old := tx.Bucket(bucketMeta).Get([]byte(metaAuditHead))
	head := append(u64(uint64(len(events))), prev...)
	if len(old) > 8+64 {
		head = append(head, old[8+64:]...)
	}
	tx.Bucket(bucketMeta).Put([]byte(metaAuditHead), head)
}

// readEvents loads every event of the file at tx in id order.
func readEvents(tx *bolt.Tx) []*Event {
	var out []*Event
	tx.Bucket(bucketEvents).ForEach(func(k, v []byte) error {
		var e Event
		json.Unmarshal(v, &e)
		out = append(out, &e)
		return nil
	})
	return out
}

// tamperCopy copies the closed database at src (with its key file, if any) to a new dir, edits the
// copy with bbolt directly, opens it with the store and returns what VerifyChain finds.
func tamperCopy(t *testing.T, src string, edit func(tx *bolt.Tx)) []ChainProblem {
	t.Helper()
	dir := t.TempDir()
	cp := filepath.Join(dir, "sluice.db")
	copyFile(t, src, cp)
	if _, err := os.Stat(filepath.Join(filepath.Dir(src), "audit.key")); err == nil {
		copyFile(t, filepath.Join(filepath.Dir(src), "audit.key"), filepath.Join(dir, "audit.key"))
		os.Chmod(filepath.Join(dir, "audit.key"), 0o600)
	}
	b, err := bolt.Open(cp, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(tx *bolt.Tx) error { edit(tx); return nil }); err != nil {
		t.Fatal(err)
	}
	b.Close()
	db, err := Open(cp, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, problems, err := db.VerifyChain()
	if err != nil {
		t.Fatal(err)
	}
	return problems
}

// TestChainResistsRecomputedHashes is issue #19's finding: with write access to sluice.db an attacker
// edits, deletes and renumbers, reorders or drops records and recomputes every hash and the head.
// The chain is keyed, so each of these must still be reported.
func TestChainResistsRecomputedHashes(t *testing.T) {
	db := openTestDB(t)
	for i, u := range []string{"zhangsan", "lisi", "zhangsan", "wangwu", "zhangsan"} {
		e := &Event{Action: "upload", User: u, Host: "pan.baidu.com", Verdict: []string{"block", "allow"}[i%2],
			Files: []FileRecord{{Name: "客户清单.xlsx", Size: 100, SHA256: strings.Repeat("a", 64)}}}
		if err := db.AppendEvent(e); err != nil {
			t.Fatal(err)
		}
	}
	if _, problems, err := db.VerifyChain(); err != nil || len(problems) != 0 {
		t.Fatalf("clean chain: %v %v", problems, err)
	}
	src := db.Path()
	db.Close()

	attacks := map[string]func(tx *bolt.Tx){
		"edit event 3 and recompute": func(tx *bolt.Tx) {
			evs := readEvents(tx)
			evs[2].Verdict = "allow"
			rechain(tx, evs)
		},
		"delete event 2 and renumber": func(tx *bolt.Tx) {
			evs := readEvents(tx)
			rechain(tx, append(evs[:1], evs[2:]...))
		},
		"drop the tail": func(tx *bolt.Tx) {
			evs := readEvents(tx)
			b := tx.Bucket(bucketEvents)
			b.Delete(u64(4))
			b.Delete(u64(5))
			b.SetSequence(3)
			old := tx.Bucket(bucketMeta).Get([]byte(metaAuditHead))
			head := append(u64(3), evs[2].Hash...)
			if len(old) > 8+64 {
				head = append(head, old[8+64:]...)
			}
			tx.Bucket(bucketMeta).Put([]byte(metaAuditHead), head)
		},
		"reorder events 2 and 3": func(tx *bolt.Tx) {
			evs := readEvents(tx)
			evs[1], evs[2] = evs[2], evs[1]
			rechain(tx, evs)
		},
	}
	for name, edit := range attacks {
		t.Run(name, func(t *testing.T) {
			if problems := tamperCopy(t, src, edit); len(problems) == 0 {
				t.Fatal("the rewritten chain verifies as intact")
			}
		})
	}
	// control: a copy nobody edited verifies
	if problems := tamperCopy(t, src, func(*bolt.Tx) {}); len(problems) != 0 {
		t.Fatalf("an untouched copy was reported: %v", problems)
	}
}
