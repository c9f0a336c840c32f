//go:build unix

package inspect

import (
	"bytes"
	"context"
	"image"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/internal/fixture"
	xdraw "golang.org/x/image/draw"
)

// childCPU is the CPU time of the waited-for child processes (tesseract) so far.
func childCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchOCR scans data with OCR on (or off) and reports wall, Go and Tesseract CPU per scan.
func benchOCR(b *testing.B, data []byte, name string, ocr bool, check func(*Result) bool) {
	benchOCRWith(b, data, name, OCROptions{Enabled: ocr}, check)
}

// benchOCRWith is benchOCR with more OCR options (a fresh engine, a generous budget).
func benchOCRWith(b *testing.B, data []byte, name string, o OCROptions, check func(*Result) bool) {
	needOCR(b)
	eng := NewOCREngine(OCRConfig{})
	defer eng.Close()
	o.Engine, o.Budget = eng, testBudget
	ocr := o.Enabled
	s := NewScanner(Options{Limits: testLimits, OCR: o})
	if ocr {
		eng.Warm()
		time.Sleep(2 * time.Second) // the idle processes have loaded their data, as in a running proxy
	}
	b.ReportAllocs()
	cpu := processCPU()
	child0 := childCPU()
	b.ResetTimer()
	for b.Loop() {
		res, err := s.Scan(context.Background(), bytes.NewReader(data), int64(len(data)), name)
		if err != nil || !check(res) {
			b.Fatalf("scan: %v %+v", err, res)
		}
	}
	b.StopTimer()
	reportCPU(b, cpu)
	b.ReportMetric(float64(childCPU()-child0)/float64(b.N)/1e6, "tesseract-cpu-ms/op")
	b.ReportMetric(float64(eng.maxRSS.Load())/1024, "tesseract-max-rss-MiB")
}

// BenchmarkOCRScreenshot1080p judges a 1920×1080 screenshot of a 40-row customer sheet
// (the target: under 1.5 s on 2 cores).
func BenchmarkOCRScreenshot1080p(b *testing.B) {
	sh := screenshots(b)[0] // sheet light 100%
	if w, h := shotSize(sh.data); w != 1920 || h != 1080 {
		b.Fatalf("screenshot is %d×%d", w, h)
	}
	benchOCR(b, sh.data, "客户.png", true, func(r *Result) bool { return r.Count(KindPhone) >= 20 })
}

// BenchmarkOCRScreenshot1080pJudged judges the same screenshot with StopWhen set to the
// default policy's file thresholds, as the proxy would: OCR stops once the verdict is reached.
func BenchmarkOCRScreenshot1080pJudged(b *testing.B) {
	th, _ := defaultPolicy(b)
	stop := func(fs []Finding) bool { return len(th.reached(&Result{Findings: fs})) > 0 }
	benchOCRWith(b, screenshots(b)[0].data, "客户.png", OCROptions{Enabled: true, StopWhen: stop},
		func(r *Result) bool { return len(th.reached(r)) > 0 })
}

// BenchmarkOCRScreenshot1080pOff is the same upload with OCR off: the added latency is the difference.
func BenchmarkOCRScreenshot1080pOff(b *testing.B) {
	benchOCR(b, screenshots(b)[0].data, "客户.png", false, func(r *Result) bool { return r.Has(KindNoText) })
}

// BenchmarkOCRPhoto12MP judges a 13-megapixel camera photo (4224×3168 JPEG from Debian's
// lomiri-wallpapers-16.04): decoded, checked for lines of text and passed over.
func BenchmarkOCRPhoto12MP(b *testing.B) {
	data, err := os.ReadFile(realPhotos[2])
	if err != nil {
		b.Fatalf("%v\n%s", err, shotsHint)
	}
	benchOCR(b, data, "IMG_2024.jpg", true, func(r *Result) bool { return r.OCR != nil && r.OCR.Skipped == 1 })
}

// BenchmarkOCRPhotographedScreen12MP judges a 12-megapixel photo of a screen showing the
// customer sheet (the photographed variant scaled up to 4000×3000): it is fully OCR'd.
func BenchmarkOCRPhotographedScreen12MP(b *testing.B) {
	var data []byte
	for _, sh := range screenshots(b) {
		if sh.name == "sheet light 150% photo" {
			data = upscaleJPEG(b, sh.data, 4000, 3000)
		}
	}
	benchOCR(b, data, "IMG_2025.jpg", true, func(r *Result) bool { return r.Count(KindPhone) >= 20 })
}

// upscaleJPEG scales a JPEG to w×h (bilinear) and encodes it again at quality 90.
func upscaleJPEG(b *testing.B, data []byte, w, h int) []byte {
	img, err := decodeImage(bytes.NewReader(data), int64(len(data)), 1<<30)
	if err != nil {
		b.Fatal(err)
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.BiLinear.Scale(out, out.Bounds(), img, img.Bounds(), xdraw.Src, nil)
	return fixture.JPEG(out, 90)
}
