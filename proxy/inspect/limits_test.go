package inspect

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/sluice-dlp/sluice/internal/fixture"
)

// wantProblem checks that res has a finding of kind whose detail contains want.
func wantProblem(t *testing.T, res *Result, kind, want string) {
	t.Helper()
	f := finding(res, kind)
	if f == nil {
		t.Fatalf("no %s finding; findings %+v", kind, res.Findings)
	}
	if !strings.Contains(f.Detail, want) {
		t.Errorf("%s detail %q, want it to mention %q", kind, f.Detail, want)
	}
}

func TestZipBomb(t *testing.T) {
	bomb := fixture.ZipBomb(3, 8, 4<<20) // 8*8*8 files of 4 MiB: 2 GiB if fully inflated
	if len(bomb) > 1<<20 {
		t.Fatalf("bomb fixture is %d bytes", len(bomb))
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, _ := extract(t, bomb, "42.zip", Limits{})
	runtime.ReadMemStats(&after)
	wantProblem(t, res, KindUninspectable, "compression ratio")
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("bomb allocated %d MiB", alloc>>20)
	}
	// With the ratio cap out of the way, the total cap stops it.
	res, _ = extract(t, bomb, "42.zip", Limits{MaxRatio: 1 << 40, MaxTotal: 40 << 20})
	wantProblem(t, res, KindUninspectable, "more than 40 MiB uncompressed")
}

func TestNestingDepth(t *testing.T) {
	data := []byte("电话 13812345678\n")
	name := "a.txt"
	for i := 0; i < 6; i++ {
		data = fixture.ZipFiles(fixture.File{Name: name, Data: data})
		name = "level.zip"
	}
	res, _ := extract(t, data, "deep.zip", Limits{})
	wantProblem(t, res, KindUninspectable, "nested deeper than 4")
	res, segs := extract(t, data, "deep.zip", Limits{MaxDepth: 8})
	wantOnly(t, res)
	if len(segs) != 1 || !strings.HasSuffix(segs[0].Location, "level.zip/a.txt line 1") {
		t.Errorf("deep segment %v", segs)
	}
}

func TestEncryptedZip(t *testing.T) {
	plain := []byte("王伟 13812345678\n")
	data := fixture.EncryptedZip("客户.txt", plain)
	res, segs := extract(t, data, "secret.zip", Limits{})
	wantOnly(t, res, KindEncrypted)
	if f := finding(res, KindEncrypted); f.Samples[0].Location != "secret.zip/客户.txt" {
		t.Errorf("encrypted location %q", f.Samples[0].Location)
	}
	if len(segs) != 0 {
		t.Errorf("ciphertext emitted as text: %v", segs)
	}
	// An encrypted entry next to readable ones: both reported.
	mixed := fixture.ZipFiles(fixture.File{Name: "locked.zip", Data: data}, fixture.File{Name: "open.txt", Data: plain})
	res, segs = extract(t, mixed, "mixed.zip", Limits{})
	wantOnly(t, res, KindEncrypted)
	if len(segs) != 1 {
		t.Errorf("open entry not extracted: %v", segs)
	}
}

func TestBillionLaughs(t *testing.T) {
	data := fixture.BillionLaughsDOCX()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res, segs := extract(t, data, "laughs.docx", Limits{})
	runtime.ReadMemStats(&after)
	if res.Type != "docx" {
		t.Errorf("type %q", res.Type)
	}
	wantProblem(t, res, KindUninspectable, "DOCTYPE")
	if len(segs) != 0 {
		t.Errorf("segments %v", segs)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("allocated %d MiB", alloc>>20)
	}
}

func TestBillionLaughsXLSX(t *testing.T) {
	xlsx := fixture.XLSXSheets(fixture.Sheet{Name: "Sheet1", Rows: fixture.CustomerRows(3)})
	laughs := []byte(fixture.BillionLaughsXML())
	for _, part := range []string{"xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/workbook.xml"} {
		res, segs := extract(t, fixture.ReplaceZipEntry(xlsx, part, laughs), "laughs.xlsx", Limits{})
		wantProblem(t, res, KindUninspectable, "DOCTYPE")
		if len(segs) > 4 {
			t.Errorf("%s: %d segments", part, len(segs))
		}
	}
}

func TestTruncatedAndCorrupt(t *testing.T) {
	xlsx := fixture.XLSXSheets(fixture.Sheet{Name: "Sheet1", Rows: fixture.CustomerRows(200)})
	res, _ := extract(t, xlsx[:len(xlsx)*2/3], "客户.xlsx", Limits{})
	if res.Type != "xlsx" {
		t.Errorf("truncated xlsx type %q", res.Type)
	}
	wantProblem(t, res, KindUninspectable, "zip")

	pdf := fixture.PDF([]string{"13812345678"})
	res, _ = extract(t, pdf[:len(pdf)/3], "a.pdf", Limits{})
	if res.Type != "pdf" {
		t.Errorf("truncated pdf type %q", res.Type)
	}
	if !res.Has(KindUninspectable) && !res.Has(KindNoText) {
		t.Errorf("truncated pdf: %+v", res.Findings)
	}
	// Page tree damaged: pdfcpu gives up, the page text is recovered from the raw stream.
	cut := bytes.Replace(pdf, []byte("/Type /Catalog /Pages"), []byte("/Type /Katalog /Pagez"), 1)
	res, segs := extract(t, cut, "c.pdf", Limits{})
	wantProblem(t, res, KindUninspectable, "text recovered from 1 raw content streams")
	if got, _ := segAt(segs, "stream 1"); got != "13812345678" {
		t.Errorf("recovered text %q (%v)", got, segs)
	}
	res, _ = extract(t, []byte("%PDF-1.4\n garbage garbage"), "b.pdf", Limits{})
	wantProblem(t, res, KindUninspectable, "PDF")

	// A zip entry whose data is damaged fails its CRC or inflate: uninspectable, located.
	z := fixture.ZipFiles(fixture.File{Name: "a.txt", Data: bytes.Repeat([]byte("13812345678 "), 1000)})
	i := bytes.Index(z, []byte("a.txt")) + 5 + 10
	z[i] ^= 0xFF
	z[i+1] ^= 0xFF
	res, _ = extract(t, z, "bad.zip", Limits{})
	wantProblem(t, res, KindUninspectable, "a.txt")
}

func TestEncryptedPDF(t *testing.T) {
	plain := fixture.PDF([]string{"Zhang 13812345678"})
	var out bytes.Buffer
	conf := model.NewAESConfiguration("user-secret", "owner-secret", 256)
	if err := api.Encrypt(bytes.NewReader(plain), &out, conf); err != nil {
		t.Fatalf("pdfcpu encrypt: %v", err)
	}
	res, segs := extract(t, out.Bytes(), "locked.pdf", Limits{})
	if res.Type != "pdf" {
		t.Errorf("type %q", res.Type)
	}
	wantOnly(t, res, KindEncrypted)
	if len(segs) != 0 {
		t.Errorf("segments from encrypted PDF: %v", segs)
	}
	// Owner password only (opens without a password): the text is readable.
	out.Reset()
	if err := api.Encrypt(bytes.NewReader(plain), &out, model.NewAESConfiguration("", "owner-secret", 256)); err != nil {
		t.Fatalf("pdfcpu encrypt: %v", err)
	}
	res, segs = extract(t, out.Bytes(), "perm.pdf", Limits{})
	if !strings.Contains(allText(segs), "13812345678") {
		t.Errorf("owner-only PDF text not read: %+v %v", res.Findings, segs)
	}
}

func TestTimeBudget(t *testing.T) {
	data := fixture.XLSXSheets(fixture.Sheet{Name: "Sheet1", Rows: fixture.CustomerRows(3000)})
	res, _ := extract(t, data, "a.xlsx", Limits{TimeBudget: time.Nanosecond})
	wantProblem(t, res, KindUninspectable, "time budget")
}

func TestMaxText(t *testing.T) {
	data := []byte(strings.Repeat("王伟 13812345678 上海某贸易有限公司\n", 5000))
	res, segs := extract(t, data, "a.txt", Limits{MaxText: 64 << 10})
	wantProblem(t, res, KindUninspectable, "extracted text")
	if len(segs) == 0 {
		t.Errorf("text before the limit should still be inspected")
	}
}

func TestMaxEntries(t *testing.T) {
	var files []fixture.File
	for i := 0; i < 30; i++ {
		files = append(files, fixture.File{Name: strings.Repeat("x", i+1) + ".txt", Data: []byte("x")})
	}
	res, _ := extract(t, fixture.ZipFiles(files...), "many.zip", Limits{MaxEntries: 20})
	wantProblem(t, res, KindUninspectable, "30 entries")
}

type stopSink struct{ n int }

func (s *stopSink) Segment(Segment) error {
	if s.n++; s.n > 3 {
		return errors.New("enough")
	}
	return nil
}

func TestSinkErrorStops(t *testing.T) {
	data := []byte(strings.Repeat("line\n", 100))
	sink := &stopSink{}
	res, err := NewScanner(Options{}).scan(context.Background(), bytes.NewReader(data), int64(len(data)), "a.txt", sink)
	if err != nil {
		t.Fatal(err)
	}
	wantProblem(t, res, KindUninspectable, "enough")
	if sink.n != 4 {
		t.Errorf("sink called %d times after asking to stop", sink.n)
	}
}

type failingReader struct{ data []byte }

func (f failingReader) ReadAt(p []byte, off int64) (int, error) {
	if off > 100 {
		return 0, errors.New("disk on fire")
	}
	return copy(p, f.data[off:]), nil
}

func TestReaderErrorIsReturned(t *testing.T) {
	data := fixture.XLSXSheets(fixture.Sheet{Name: "Sheet1", Rows: fixture.CustomerRows(100)})
	_, err := NewScanner(Options{}).Scan(context.Background(), failingReader{data}, int64(len(data)), "a.xlsx")
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewScanner(Options{}).Scan(ctx, bytes.NewReader(data), int64(len(data)), "a.xlsx"); err == nil {
		t.Errorf("cancelled scan returned no error")
	}
}

func TestFindingsNeverNil(t *testing.T) {
	for _, d := range [][]byte{nil, []byte("hello"), {0x50, 0x4B, 0x03, 0x04}} {
		res, err := NewScanner(Options{}).Scan(context.Background(), bytes.NewReader(d), int64(len(d)), "")
		if err != nil || res.Findings == nil {
			t.Errorf("%q: res %+v err %v", d, res, err)
		}
	}
	var _ io.ReaderAt = failingReader{}
}

func TestPDFFlateBomb(t *testing.T) {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte("BT /F1 12 Tf 72 700 Td (13812345678) Tj ET\n"))
	zeros := make([]byte, 1<<20)
	for i := 0; i < 64; i++ {
		zw.Write(zeros)
	}
	zw.Close()
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
		fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", z.Len(), z.Bytes()),
	}
	data := fixture.PDFObjects(objs)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, _ := extract(t, data, "bomb.pdf", Limits{MaxTotal: 16 << 20})
	runtime.ReadMemStats(&after)
	wantProblem(t, res, KindUninspectable, "PDF stream inflates")
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 96<<20 {
		t.Errorf("PDF bomb allocated %d MiB", alloc>>20)
	}
}

func TestZipGBKNames(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	name := string(fixture.GBK("客户名单.txt"))
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, NonUTF8: true})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("王伟 13812345678\n"))
	zw.Close()
	_, segs := extract(t, buf.Bytes(), "a.zip", Limits{})
	if len(segs) != 1 || segs[0].Location != "a.zip/客户名单.txt line 1" {
		t.Errorf("segments %v", segs)
	}
}

func TestZipOfPhotosNotInflated(t *testing.T) {
	png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"), make([]byte, 8<<20)...)
	var files []fixture.File
	for i := 0; i < 6; i++ {
		files = append(files, fixture.File{Name: fmt.Sprintf("IMG_%d.png", i), Data: png})
	}
	files = append(files, fixture.File{Name: "说明.txt", Data: []byte("联系 13812345678\n")})
	res, segs := extract(t, fixture.ZipFiles(files...), "photos.zip", Limits{MaxTotal: 16 << 20})
	wantOnly(t, res, KindNoText)
	if f := finding(res, KindNoText); f.Count != 6 {
		t.Errorf("no_text count %d, want 6", f.Count)
	}
	if len(segs) != 1 {
		t.Errorf("text entry missing: %v", segs)
	}
}
