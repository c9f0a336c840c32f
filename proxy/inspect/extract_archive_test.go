package inspect

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"testing"

	"github.com/sluice-dlp/sluice/internal/fixture"
)

// zeroZip is a zip with one entry of n zero bytes; lie sets its header to claim 1 KiB.
func zeroZip(t *testing.T, n int64, lie bool) []byte {
	t.Helper()
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	crc := crc32.NewIEEE()
	zeros := make([]byte, 1<<20)
	for left := n; left > 0; left -= int64(len(zeros)) {
		chunk := zeros[:min(left, int64(len(zeros)))]
		fw.Write(chunk)
		crc.Write(chunk)
	}
	fw.Close()
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	h := &zip.FileHeader{Name: "客户名单.csv", Method: zip.Deflate, CRC32: crc.Sum32(), CompressedSize64: uint64(comp.Len()), UncompressedSize64: uint64(n)}
	if lie {
		h.UncompressedSize64 = 1024
	}
	w, err := zw.CreateRaw(h)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(w, &comp)
	zw.Close()
	return out.Bytes()
}

// TestZipBombEntryCostsNoMemory: an entry that unpacks to more than may be inspected is refused from its
// header when it says so, and inflated to disk (memory flat) up to the limit when its header lies.
func TestZipBombEntryCostsNoMemory(t *testing.T) {
	for _, lie := range []bool{false, true} {
		bomb := zeroZip(t, 300<<20, lie)
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		res := scanFull(t, bomb, "backup.zip")
		runtime.ReadMemStats(&m1)
		if !res.Has(KindUninspectable) {
			t.Errorf("a %d KB zip unpacking to 300 MiB (header lies: %v): %+v", len(bomb)>>10, lie, res.Findings)
		}
		if got := (m1.TotalAlloc - m0.TotalAlloc) >> 20; got > 64 {
			t.Errorf("header lies %v: %d MB allocated to inspect a zip bomb", lie, got)
		}
	}
	// a large honest entry past the in-memory size is still read whole, from disk
	csv := fixture.CSV(fixture.Customers(60, 5))
	var rows bytes.Buffer
	for i := 0; rows.Len() < entryInMemory+(1<<20); i++ {
		fmt.Fprintf(&rows, "SKU-%07d,不锈钢法兰 DN%d,%d.%02d,%x\n", i, i%500, i*7919%100000, i%100, i*2654435761)
	}
	big := append(rows.Bytes(), csv...)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("汇总.csv")
	w.Write(big)
	zw.Close()
	if res := scanFull(t, buf.Bytes(), "汇总.zip"); res.Count(KindPhone) < 55 {
		t.Errorf("the customers at the end of a %d MB entry: %d phones; %+v", len(big)>>20, res.Count(KindPhone), res.Findings)
	}
}
