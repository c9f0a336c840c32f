package inspect

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/internal/fixture"
)

// pngChunk appends one PNG chunk with its CRC.
func pngChunk(b *bytes.Buffer, typ string, data []byte) {
	binary.Write(b, binary.BigEndian, uint32(len(data)))
	c := crc32.NewIEEE()
	c.Write([]byte(typ))
	c.Write(data)
	b.WriteString(typ)
	b.Write(data)
	binary.Write(b, binary.BigEndian, c.Sum32())
}

// bombPNG returns a valid 8-bit grey w×h PNG of white pixels: a few kilobytes that inflate
// to w×h bytes (a decompression bomb when w×h is large). rows limits how many rows of
// pixel data are actually written (the rest is missing, as in a truncated file).
func bombPNG(w, h, rows int) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, 0 // 8-bit greyscale
	pngChunk(&b, "IHDR", ihdr)
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	row := bytes.Repeat([]byte{0xff}, w+1)
	row[0] = 0 // filter: none
	for range rows {
		zw.Write(row)
	}
	zw.Close()
	pngChunk(&b, "IDAT", z.Bytes())
	pngChunk(&b, "IEND", nil)
	return b.Bytes()
}

// TestOCRHostileImages checks that images built to hurt (a huge declared canvas, a
// decompression bomb, truncated and corrupt data, a bomb inside a zip) end quickly as
// uninspectable or as an image without text, never as an error, a hang or a crash.
func TestOCRHostileImages(t *testing.T) {
	needOCR(t)
	sheet := screenshots(t)[0].data
	bomb := bombPNG(20000, 20000, 20000)
	cases := []struct {
		name   string
		data   []byte
		file   string
		want   string // finding kind expected
		detail string // in its detail
	}{
		{"declared 100000×100000", bombPNG(100000, 100000, 1), "a.png", KindUninspectable, "over the OCR limit"},
		{"bomb 20000×20000 (400 MP in 0.4 MB)", bomb, "b.png", KindUninspectable, "over the OCR limit"},
		{"bomb 6000×6000 within the limit", bombPNG(6000, 6000, 6000), "c.png", KindNoText, "no lines of text"},
		{"truncated pixel data", bombPNG(4000, 4000, 10), "d.png", KindUninspectable, "corrupt png"},
		{"screenshot cut in half", sheet[:len(sheet)/2], "e.png", KindUninspectable, "corrupt png"},
		{"PNG signature then garbage", append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0x5a}, 5000)...), "f.png", KindUninspectable, "header unreadable"},
		{"JPEG markers then garbage", append([]byte{0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0}, bytes.Repeat([]byte{0x13, 0x37}, 4000)...), "g.jpg", KindUninspectable, "header unreadable"},
		{"bomb inside a zip", fixture.ZipFiles(fixture.File{Name: "截图.png", Data: bomb}), "h.zip", KindUninspectable, "over the OCR limit"},
		{"HEIC cannot be decoded", heicHead(), "i.heic", KindUninspectable, "cannot be decoded"},
	}
	s := NewScanner(Options{Limits: testLimits, OCR: OCROptions{Enabled: true, Budget: testBudget}})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := s.Scan(context.Background(), bytes.NewReader(c.data), int64(len(c.data)), c.file)
			if err != nil {
				t.Fatalf("Scan: %v", err)
			}
			f := finding(res, c.want)
			if f == nil || !strings.Contains(strings.ToLower(f.Detail), strings.ToLower(c.detail)) {
				t.Errorf("want %s finding with %q; findings %+v", c.want, c.detail, res.Findings)
			}
			if c.want == KindNoText && res.Has(KindUninspectable) {
				t.Errorf("uninspectable: %+v", res.Findings)
			}
		})
	}
}

// heicHead is the start of an HEIC file (ftyp heic), enough to be recognised.
func heicHead() []byte {
	b := []byte{0, 0, 0, 0x18, 'f', 't', 'y', 'p', 'h', 'e', 'i', 'c', 0, 0, 0, 0, 'm', 'i', 'f', '1', 'h', 'e', 'i', 'c'}
	return append(b, make([]byte, 2000)...)
}

// TestOCRBudget checks that OCR over its time budget (the process is killed) is reported
// as uninspectable, and that the engine still works afterwards, even when its
// idle processes have died.
func TestOCRBudget(t *testing.T) {
	needOCR(t)
	sheet := screenshots(t)[0].data
	eng := NewOCREngine(OCRConfig{})
	defer eng.Close()
	res, err := NewScanner(Options{Limits: testLimits, OCR: OCROptions{Enabled: true, Budget: 300 * time.Millisecond, Engine: eng}}).
		Scan(context.Background(), bytes.NewReader(sheet), int64(len(sheet)), "客户.png")
	if err != nil {
		t.Fatal(err)
	}
	if f := finding(res, KindUninspectable); f == nil || !strings.Contains(f.Detail, "OCR time budget of 300ms exceeded") {
		t.Fatalf("want uninspectable over budget, findings %+v", res.Findings)
	}
	eng.mu.Lock() // the idle processes die (OOM killer, an admin): the next scan starts fresh ones
	for _, ps := range eng.idle {
		for _, p := range ps {
			p.kill()
		}
	}
	eng.mu.Unlock()
	res, err = NewScanner(Options{Limits: testLimits, OCR: OCROptions{Enabled: true, Engine: eng, Budget: testBudget}}).
		Scan(context.Background(), bytes.NewReader(sheet), int64(len(sheet)), "客户.png")
	if err != nil || res.Count(KindPhone) < 20 || res.Has(KindUninspectable) {
		t.Fatalf("engine after a kill: %v %+v", err, res.Findings)
	}
}

// TestOCRMissing checks the presence check and what a scan reports without Tesseract.
func TestOCRMissing(t *testing.T) {
	needOCR(t)
	if err := DefaultOCREngine().Check("chi_sim", "eng"); err != nil {
		t.Errorf("Check chi_sim+eng: %v", err)
	}
	err := DefaultOCREngine().Check("chi_sim", "zz_none")
	if !errors.Is(err, ErrOCRMissing) || !strings.Contains(err.Error(), "zz_none") || !strings.Contains(err.Error(), OCRInstallHint) {
		t.Errorf("missing language: %v", err)
	}
	eng := NewOCREngine(OCRConfig{Tesseract: "/nonexistent/tesseract"})
	defer eng.Close()
	err = eng.Check()
	if !errors.Is(err, ErrOCRMissing) || !strings.Contains(err.Error(), "apt-get install tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng") {
		t.Errorf("missing program: %v", err)
	}
	sheet := screenshots(t)[0].data
	res, serr := NewScanner(Options{Limits: testLimits, OCR: OCROptions{Enabled: true, Engine: eng}}).Scan(context.Background(), bytes.NewReader(sheet), int64(len(sheet)), "客户.png")
	if serr != nil {
		t.Fatal(serr)
	}
	if f := finding(res, KindUninspectable); f == nil || !strings.Contains(f.Detail, OCRInstallHint) {
		t.Errorf("want uninspectable naming the fix, findings %+v", res.Findings)
	}
}

// TestOCRStopWhen checks that OCR stops once the StopWhen hook (here the default policy's
// file thresholds) says the verdict is reached, with lower-bound counts that reach it.
func TestOCRStopWhen(t *testing.T) {
	needOCR(t)
	th, _ := defaultPolicy(t)
	sheet := screenshots(t)[0].data
	calls := 0
	stop := func(fs []Finding) bool {
		calls++
		return len(th.reached(&Result{Findings: fs})) > 0
	}
	res, err := NewScanner(Options{Limits: testLimits, OCR: OCROptions{Enabled: true, StopWhen: stop, Budget: testBudget}}).
		Scan(context.Background(), bytes.NewReader(sheet), int64(len(sheet)), "客户.png")
	if err != nil {
		t.Fatal(err)
	}
	if res.OCR == nil || !res.OCR.Stopped || calls == 0 || len(th.reached(res)) == 0 || res.Count(KindPhone) >= 40 {
		t.Errorf("stopped %+v after %d calls; findings %+v", res.OCR, calls, res.Findings)
	}
	// a docx with the screen twice: the second picture is not read
	png := fixture.PNG(mustDecodePNG(t, sheet))
	doc := fixture.ZipFiles(fixture.File{Name: "a.png", Data: png}, fixture.File{Name: "b.png", Data: png})
	res, err = NewScanner(Options{Limits: testLimits, OCR: OCROptions{Enabled: true, StopWhen: stop, Budget: testBudget}}).
		Scan(context.Background(), bytes.NewReader(doc), int64(len(doc)), "截图.zip")
	if err != nil || res.OCR == nil || res.OCR.Images != 2 || res.OCR.Read != 1 || res.OCR.Skipped != 1 {
		t.Errorf("second image: %v %+v", err, res.OCR)
	}
}

func mustDecodePNG(t *testing.T, data []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return img
}
