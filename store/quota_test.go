package store

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// patterned is an endless reader of non-repeating bytes (nothing is held in memory).
type patterned struct{ n uint64 }

func (p *patterned) Read(b []byte) (int, error) {
	for i := range b {
		p.n++
		b[i] = byte(p.n ^ p.n>>8 ^ p.n>>16)
	}
	return len(b), nil
}

// TestHeldBodyOverFileQuotaIsRecordedNotCopied is issue #19's finding: a held oversized body was archived
// whole with no quota. A body over the per-file quota (64 MiB by default) is hashed, not copied, and
// its audit record says so.
func TestHeldBodyOverFileQuotaIsRecordedNotCopied(t *testing.T) {
	db := openTestDB(t)
	const size = 64<<20 + 1
	sum, n, err := db.PutBlob(io.LimitReader(&patterned{}, size))
	if err != nil || n != size || len(sum) != 64 {
		t.Fatalf("PutBlob: %s %d %v", sum, n, err)
	}
	p, _ := db.BlobPath(sum)
	if _, err := os.Stat(p); err == nil {
		t.Fatalf("a %d-byte body was archived whole at %s", size, p)
	}
	e := &Event{Action: "upload", User: "zhangsan", Verdict: "approval",
		Files: []FileRecord{{Name: "big.bin", Size: n, SHA256: sum, Blob: sum}}}
	if err := db.AppendEvent(e); err != nil {
		t.Fatal(err)
	}
	got, _ := db.Event(e.ID)
	data, _ := json.Marshal(got.Files[0])
	if !bytes.Contains(data, []byte(sum)) || !strings.Contains(string(data), "quota") {
		t.Fatalf("the record does not keep the hash and say why it was not archived: %s", data)
	}
	if _, _, err := db.VerifyChain(); err != nil {
		t.Fatal(err)
	}
}

// TestArchiveTotalQuotaPrunesOldestFirst: past the total quota the oldest blobs go first, down to 90 %
// of it, and the prune is audited; a body over the per-file quota is named in the outbound record too.
func TestArchiveTotalQuotaPrunesOldestFirst(t *testing.T) {
	dir := t.TempDir()
	db, err := OpenWith(dir+"/sluice.db", Options{ArchiveMaxFile: 1000, ArchiveMaxTotal: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var sums []string
	for i := range 25 {
		sum, err := db.PutBlobBytes(bytes.Repeat([]byte{byte(i)}, 1000))
		if err != nil {
			t.Fatal(err)
		}
		if err := db.AppendEvent(&Event{Action: "upload", User: "zhangsan", Verdict: "approval",
			Files: []FileRecord{{Name: "f", Size: 1000, SHA256: sum, Blob: sum}}}); err != nil {
			t.Fatal(err)
		}
		sums = append(sums, sum)
		p, _ := db.BlobPath(sum)
		old := time.Now().Add(time.Duration(i-100) * time.Minute) // strictly increasing ages
		os.Chtimes(p, old, old)
	}
	used, quota := db.ArchiveUsage()
	if used > quota || quota != 10_000 {
		t.Fatalf("archive holds %d bytes, quota %d", used, quota)
	}
	for i, sum := range sums {
		p, _ := db.BlobPath(sum)
		_, err := os.Stat(p)
		if i >= len(sums)-9 && err != nil {
			t.Errorf("blob %d (among the newest) was pruned", i)
		}
		if i == 0 && err == nil {
			t.Error("the oldest blob was kept")
		}
	}
	evs, _ := db.Events(EventFilter{Action: "archive.prune"})
	if len(evs) == 0 || evs[0].Extra["quota"] != "10000" || evs[0].Extra["removed"] == "" {
		t.Fatalf("pruning is not audited: %+v", evs)
	}
	big, _, _ := db.PutBlob(bytes.NewReader(make([]byte, 1001)))
	o := &Outbound{Time: time.Now(), User: "zhangsan", FileName: "big.bin", OrigSHA256: big}
	if err := db.PutOutbound(o); err != nil || !strings.Contains(o.Note, "per-file archive quota of 1000") {
		t.Fatalf("outbound record of an unarchived file: %q %v", o.Note, err)
	}
}
