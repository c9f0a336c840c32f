package store

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestWitnessCatchesRewriteByKeyHolder: someone who holds the audit key can rewrite history so that
// VerifyChain passes; heads exported to a witness earlier still show it.
func TestWitnessCatchesRewriteByKeyHolder(t *testing.T) {
	db := openTestDB(t)
	var heads []ChainHead
	for i := range 6 {
		if err := db.AppendEvent(&Event{Action: "upload", User: "zhangsan", Verdict: "block", Host: "pan.baidu.com"}); err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 {
			h, _ := db.Head()
			heads = append(heads, h)
		}
	}
	if n, problems, err := db.CheckWitness(heads); err != nil || n != 3 || len(problems) != 0 {
		t.Fatalf("untouched chain against its witness: %d %v %v", n, problems, err)
	}
	key := db.key
	src := db.Path()
	db.Close()

	rewrite := func(tx *bolt.Tx, evs []*Event) { // with the key: every MAC and the head recomputed
		b := tx.Bucket(bucketEvents)
		c := b.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.First() {
			b.Delete(k)
		}
		prev := ""
		for i, e := range evs {
			e.ID, e.Prev = uint64(i+1), prev
			e.Hash = key.eventMAC(e)
			prev = e.Hash
			data, _ := json.Marshal(e)
			b.Put(u64(e.ID), data)
		}
		b.SetSequence(uint64(len(evs)))
		tx.Bucket(bucketMeta).Put([]byte(metaAuditHead), key.headValue(uint64(len(evs)), prev))
	}
	check := func(name string, edit func(tx *bolt.Tx)) {
		dir := t.TempDir()
		cp := filepath.Join(dir, "sluice.db")
		copyFile(t, src, cp)
		copyFile(t, filepath.Join(filepath.Dir(src), "audit.key"), filepath.Join(dir, "audit.key"))
		os.Chmod(filepath.Join(dir, "audit.key"), 0o600)
		b, _ := bolt.Open(cp, 0o600, nil)
		b.Update(func(tx *bolt.Tx) error { edit(tx); return nil })
		b.Close()
		c, err := Open(cp, "")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, problems, _ := c.VerifyChain(); len(problems) != 0 {
			t.Fatalf("%s: the key holder's rewrite should pass the chain check alone: %v", name, problems)
		}
		_, problems, err := c.CheckWitness(heads)
		if err != nil || len(problems) == 0 {
			t.Fatalf("%s: the witness did not notice: %v", name, err)
		}
		t.Logf("%s: %d witnessed heads off the chain; first: record %d: %s", name, len(problems), problems[0].ID, problems[0].Reason)
	}
	check("record 3 edited", func(tx *bolt.Tx) {
		evs := readEvents(tx)
		evs[2].Verdict = "allow"
		rewrite(tx, evs)
	})
	check("tail dropped", func(tx *bolt.Tx) { rewrite(tx, readEvents(tx)[:3]) })
	check("record 2 deleted", func(tx *bolt.Tx) {
		evs := readEvents(tx)
		rewrite(tx, append(evs[:1], evs[2:]...))
	})
	check("copy restored from before the last head", func(tx *bolt.Tx) { rewrite(tx, readEvents(tx)[:5]) })
}
