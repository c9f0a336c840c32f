package store

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// benchEvent is a typical upload record: one file with findings.
func benchEvent() *Event {
	return &Event{Action: "upload", User: "zhangsan", Host: "pan.baidu.com", Category: "netdisk", Method: "POST", Path: "/api/upload",
		Verdict: "block", Reasons: []string{"含客户数据：手机号×120"}, Extra: map[string]string{"elapsed": "12ms"},
		Files: []FileRecord{{Name: "客户清单.xlsx", Size: 338000, SHA256: strings.Repeat("a", 64), Type: "xlsx", Findings: []string{"phone×120", "customer×40"}}}}
}

// BenchmarkAppendEvent measures one audit append (a bbolt transaction with its fsync, and the chain MAC).
func BenchmarkAppendEvent(b *testing.B) {
	db, err := Open(filepath.Join(b.TempDir(), "sluice.db"), "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for b.Loop() {
		if err := db.AppendEvent(benchEvent()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyChain measures a walk of a 10,000-event chain.
func BenchmarkVerifyChain(b *testing.B) {
	db, err := Open(filepath.Join(b.TempDir(), "sluice.db"), "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.bolt.NoSync = true
	for range 10000 {
		db.AppendEvent(benchEvent())
	}
	db.bolt.NoSync = false
	for b.Loop() {
		if n, problems, err := db.VerifyChain(); err != nil || n != 10000 || len(problems) > 0 {
			b.Fatal(n, problems, err)
		}
	}
}

// BenchmarkPutBlob1GiB measures recording a 1 GiB held body and reports how much of it the archive keeps
// (run with -bench PutBlob1GiB -benchtime 1x).
func BenchmarkPutBlob1GiB(b *testing.B) {
	db, err := Open(filepath.Join(b.TempDir(), "sluice.db"), "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.SetBytes(1 << 30)
	for b.Loop() {
		sum, _, err := db.PutBlob(io.LimitReader(&patterned{}, 1<<30))
		if err != nil {
			b.Fatal(err)
		}
		db.AppendEvent(&Event{Action: "upload", User: "zhangsan", Verdict: "approval", Files: []FileRecord{{Name: "big", Size: 1 << 30, SHA256: sum, Blob: sum}}})
	}
	var n int64
	filepath.Walk(db.blobDir, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			n += info.Size()
		}
		return nil
	})
	b.ReportMetric(float64(n)/float64(b.N), "archived-bytes/op")
}

// BenchmarkChainValue compares, in one run, the old unkeyed SHA-256 chain hash with the keyed MAC of one event.
func BenchmarkChainValue(b *testing.B) {
	k := newChainKey(make([]byte, AuditKeySize))
	e := benchEvent()
	e.ID, e.Prev = 12345, strings.Repeat("f", 64)
	b.Run("sha256", func(b *testing.B) {
		for b.Loop() {
			chainHash(e)
		}
	})
	b.Run("hmac", func(b *testing.B) {
		for b.Loop() {
			k.eventMAC(e)
		}
	})
}

// BenchmarkSweepBlobs measures the start-up sweep of an archive of 2,000 blobs named by 10,000 events.
func BenchmarkSweepBlobs(b *testing.B) {
	db, err := Open(filepath.Join(b.TempDir(), "sluice.db"), "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.bolt.NoSync = true
	for i := range 10000 {
		e := benchEvent()
		if i%5 == 0 {
			sum, _ := db.PutBlobBytes([]byte(strings.Repeat("x", 1000) + strconv.Itoa(i)))
			e.Files[0].Blob = sum
		}
		db.AppendEvent(e)
	}
	db.bolt.NoSync = false
	for b.Loop() {
		if sw, err := db.SweepBlobs(0); err != nil || sw.Changed() {
			b.Fatal(sw, err)
		}
	}
}
