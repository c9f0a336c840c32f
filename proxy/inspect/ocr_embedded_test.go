package inspect

import (
	"archive/zip"
	"bytes"
	"context"
	"image"
	"image/gif"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-dlp/sluice/internal/fixture"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// topRows returns the first rows of the light 100 % sheet screenshot (about 25 customers),
// decoded, to keep the format tests short.
func topRows(t *testing.T) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(screenshots(t)[0].data))
	if err != nil {
		t.Fatal(err)
	}
	return img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(0, 0, 1000, 620))
}

// wantCustomerScreen checks a scan of (part of) the sheet screenshot: at least 20 mobiles,
// all of them recognised by OCR, and a masked OCR report.
func wantCustomerScreen(t *testing.T, res *Result, minPhones int) {
	t.Helper()
	f := finding(res, KindPhone)
	if f == nil || f.Count < minPhones || f.OCR != f.Count {
		t.Fatalf("phones %+v, want ≥ %d from OCR; findings %+v", f, minPhones, res.Findings)
	}
	if res.OCR == nil || res.OCR.Read == 0 || res.OCR.Text == "" {
		t.Fatalf("OCR report %+v", res.OCR)
	}
	for _, c := range sheetCustomers {
		if strings.Contains(res.OCR.Text, c.Mobile) || strings.Contains(res.Excerpt, c.Mobile) {
			t.Fatalf("recognised text not masked: %q", res.OCR.Text)
		}
	}
	if !strings.Contains(res.OCR.Text, "****") || !strings.Contains(res.OCR.Text, "有限公司") {
		t.Errorf("OCR text %q", res.OCR.Text)
	}
	if res.Has(KindUninspectable) {
		t.Errorf("uninspectable: %+v", finding(res, KindUninspectable))
	}
}

func ocrScan(t *testing.T, data []byte, name string) *Result {
	t.Helper()
	res, err := NewScanner(Options{Limits: testLimits, OCR: OCROptions{Enabled: true, Budget: testBudget}}).Scan(context.Background(), bytes.NewReader(data), int64(len(data)), name)
	if err != nil {
		t.Fatalf("Scan %s: %v", name, err)
	}
	return res
}

// TestOCRFormats reads the same screen from every image format OCR accepts.
func TestOCRFormats(t *testing.T) {
	needOCR(t)
	img := topRows(t)
	enc := map[string]func() []byte{
		"png":  func() []byte { return fixture.PNG(img) },
		"jpg":  func() []byte { return fixture.JPEG(img, 85) },
		"gif":  func() []byte { var b bytes.Buffer; must(t, gif.Encode(&b, img, nil)); return b.Bytes() },
		"bmp":  func() []byte { var b bytes.Buffer; must(t, bmp.Encode(&b, img)); return b.Bytes() },
		"tiff": func() []byte { var b bytes.Buffer; must(t, tiff.Encode(&b, img, nil)); return b.Bytes() },
		"webp": func() []byte { return cwebp(t, fixture.PNG(img)) },
	}
	for _, ext := range []string{"png", "jpg", "gif", "bmp", "tiff", "webp"} {
		t.Run(ext, func(t *testing.T) {
			data := enc[ext]()
			res := ocrScan(t, data, "客户截图."+ext)
			if want := map[string]string{"jpg": "jpeg"}[ext]; res.Type != ext && res.Type != want {
				t.Errorf("type %q", res.Type)
			}
			wantCustomerScreen(t, res, 20)
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// cwebp encodes a PNG as lossless WebP with Debian's cwebp (Go has no WebP encoder).
func cwebp(t *testing.T, pngData []byte) []byte {
	t.Helper()
	bin, err := exec.LookPath("cwebp")
	if err != nil {
		t.Fatalf("cwebp is not installed (apt-get install webp)")
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.png"), filepath.Join(dir, "out.webp")
	must(t, os.WriteFile(in, pngData, 0o644))
	if b, err := exec.Command(bin, "-quiet", "-lossless", in, "-o", out).CombinedOutput(); err != nil {
		t.Fatalf("cwebp: %v %s", err, b)
	}
	data, err := os.ReadFile(out)
	must(t, err)
	return data
}

// TestOCREmbedded reads screenshots pasted into documents: a PDF page that is only a JPEG
// (a scan), one that is raw RGB samples, and a Word document with a picture. A PDF with a
// text layer is not OCR'd, and without OCR an image stays "no text".
func TestOCREmbedded(t *testing.T) {
	needOCR(t)
	img := topRows(t)
	b := img.Bounds()
	t.Run("pdf jpeg page", func(t *testing.T) {
		res := ocrScan(t, fixture.PDFImage(fixture.JPEG(img, 80), b.Dx(), b.Dy()), "扫描件.pdf")
		wantCustomerScreen(t, res, 20)
		if s := finding(res, KindPhone).Samples; len(s) == 0 || !strings.HasPrefix(s[0].Location, "page 1 image Im1 OCR line") {
			t.Errorf("sample location %+v", s)
		}
		if res.Has(KindNoText) {
			t.Errorf("no_text on an OCR'd scan: %+v", finding(res, KindNoText))
		}
	})
	t.Run("pdf raw rgb page", func(t *testing.T) {
		wantCustomerScreen(t, ocrScan(t, fixture.PDFRawImage(img), "截图.pdf"), 20)
	})
	t.Run("docx picture", func(t *testing.T) {
		res := ocrScan(t, fixture.DOCXImage([]string{"本周新增客户见下图"}, fixture.PNG(img), b.Dx(), b.Dy()), "周报.docx")
		wantCustomerScreen(t, res, 20)
		if s := finding(res, KindPhone).Samples; len(s) == 0 || !strings.HasPrefix(s[0].Location, "周报.docx/word/media/image1.png OCR line") {
			t.Errorf("sample location %+v", s)
		}
	})
	t.Run("pdf with text layer", func(t *testing.T) {
		res := ocrScan(t, fixture.PDF([]string{"Quarterly report", "no customers here"}), "report.pdf")
		if res.OCR != nil || res.Has(KindNoText) {
			t.Errorf("text PDF: OCR %+v, findings %+v", res.OCR, res.Findings)
		}
	})
	t.Run("ocr off", func(t *testing.T) {
		data := fixture.PNG(img)
		res := scanFull(t, data, "客户截图.png")
		if res.OCR != nil || res.Has(KindPhone) || !res.Has(KindNoText) {
			t.Errorf("without OCR: %+v %+v", res.OCR, res.Findings)
		}
	})
}

// TestOCRSmallSnippet reads a two-row crop of the sheet (a snippet pasted into a chat):
// small images with a little text are not passed over as "no text".
func TestOCRSmallSnippet(t *testing.T) {
	needOCR(t)
	img := topRows(t).(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(0, 138, 620, 178))
	res := ocrScan(t, fixture.PNG(img), "snip.png")
	if f := finding(res, KindPhone); f == nil || f.Count != 2 || f.OCR != 2 {
		t.Errorf("snippet: findings %+v, OCR %+v", res.Findings, res.OCR)
	}
}

// TestOfficeVideoIsNotInflatedForOCR: with OCR on, a slide deck's video is recognised from its first bytes
// and never inflated, so a video larger than the part's budget does not make the deck uninspectable.
func TestOfficeVideoIsNotInflatedForOCR(t *testing.T) {
	needOCR(t)
	pptx := fixture.PPTX([]string{"客户：王伟 13812345678"})
	deck, err := zip.NewReader(bytes.NewReader(pptx), int64(len(pptx)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range deck.File {
		rc, _ := f.Open()
		w, _ := zw.Create(f.Name)
		io.Copy(w, rc)
		rc.Close()
	}
	video := append([]byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"), make([]byte, 12<<20)...)
	w, _ := zw.Create("ppt/media/media1.mp4")
	w.Write(video)
	zw.Close()
	s := NewScanner(Options{Limits: Limits{TimeBudget: testBudget, MaxTotal: 8 << 20}, OCR: OCROptions{Enabled: true, Budget: testBudget}})
	res, err := s.Scan(context.Background(), bytes.NewReader(buf.Bytes()), int64(buf.Len()), "讲稿.pptx")
	if err != nil {
		t.Fatal(err)
	}
	if res.Has(KindUninspectable) || res.Count(KindPhone) != 1 {
		t.Errorf("a deck with a 12 MiB video under an 8 MiB budget: %+v", res.Findings)
	}
}
