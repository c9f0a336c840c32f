package inspect

import (
	"bytes"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/sluice-dlp/sluice/internal/fixture"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// TestTextBehindABinaryHeaderIsRead: a slice of a CSV behind a binary header (QQ mail's large-attachment
// slices carry 364 bytes of header before 128 KiB of the file) is read, in UTF-8, GBK and UTF-16.
func TestTextBehindABinaryHeaderIsRead(t *testing.T) {
	csv := fixture.CSV(fixture.Customers(60, 7))
	gbk, _ := simplifiedchinese.GBK.NewEncoder().Bytes(csv)
	u16, _ := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder().Bytes(csv)
	header := make([]byte, 364)
	rand.NewChaCha8([32]byte{1}).Read(header)
	for name, text := range map[string][]byte{"utf-8": csv, "gbk": gbk, "utf-16": u16} {
		slice := append(append([]byte(nil), header...), text...)
		res := scanFull(t, slice, "")
		if res.Count(KindPhone) < 55 {
			t.Errorf("%s behind a binary header: type %s, %d phones of 60; findings %+v", name, res.Type, res.Count(KindPhone), res.Findings)
		}
	}
	// noise stays noise
	noise := make([]byte, 200<<10)
	rand.NewChaCha8([32]byte{2}).Read(noise)
	if res := scanFull(t, noise, "blob.bin"); res.Count(KindPhone) != 0 || !res.Has(KindNoText) {
		t.Errorf("random bytes: %+v", res.Findings)
	}
	// a run that crosses the 1 MiB window is not cut in two
	big := append(bytes.Repeat([]byte{0}, runsWindow-40), csv...)
	if res := scanFull(t, big, ""); res.Count(KindPhone) < 55 {
		t.Errorf("text across the window boundary: %d phones", res.Count(KindPhone))
	}
}

// TestLongTextRunsStayBounded: text that runs on for megabytes behind a binary header (no byte ever ends
// the run) is read in pieces cut at line breaks, every row still found; one line of megabytes (CR-only
// line ends) is read in pieces too.
func TestLongTextRunsStayBounded(t *testing.T) {
	rows := fixture.Customers(20000, 3)
	csv := fixture.CSV(rows) // about 1.3 MB of one unbroken text run
	header := make([]byte, 364)
	rand.NewChaCha8([32]byte{1}).Read(header)
	part := append(header, bytes.Repeat(csv, 3)...)
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	res := scanFull(t, part, "")
	runtime.ReadMemStats(&m1)
	if res.Count(KindPhone) < 19000 {
		t.Errorf("%d phones of 20,000 in a long run", res.Count(KindPhone))
	}
	t.Logf("%.1f MB part: %d MB allocated while scanning", float64(len(part))/(1<<20), (m1.TotalAlloc-m0.TotalAlloc)>>20)

	// The same list with CR-only line ends is one line of megabytes: it is judged in pieces, not dropped.
	cr := append(append([]byte(nil), header...), bytes.ReplaceAll(csv, []byte("\n"), []byte("\r"))...)
	if res := scanFull(t, cr, ""); res.Count(KindPhone) < 19000 {
		t.Errorf("%d phones of 20,000 in one line of %.1f MB", res.Count(KindPhone), float64(len(cr))/(1<<20))
	}
}

// BenchmarkPrintableRunsRandom scans 8 MiB of random bytes (an encrypted or compressed unknown part),
// the case that dominated the CPU of large allowed uploads.
func BenchmarkPrintableRunsRandom(b *testing.B) {
	data := make([]byte, 8<<20)
	rand.NewChaCha8([32]byte{4}).Read(data)
	sc := NewScanner(Options{})
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := sc.Scan(b.Context(), bytes.NewReader(data), int64(len(data)), "blob"); err != nil {
			b.Fatal(err)
		}
	}
}
