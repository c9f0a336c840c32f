package watermark

import (
	"bytes"
	"image/jpeg"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/disintegration/imaging"
)

func benchJPEG(b *testing.B, w, h int) []byte {
	b.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, genPhoto(w, h, 9), &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkStampJPEG12MP measures visible + hidden marking of a 12 MP JPEG
// (decode, mark, re-encode); target < 1 s.
func BenchmarkStampJPEG12MP(b *testing.B) {
	data := benchJPEG(b, 4000, 3000)
	m := NewMarker([]byte("bench-key-0123456789abcdef012345"))
	mark := Mark{ID: 42, Name: "张三", StaffID: "A1024", Time: time.Now()}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := m.Stamp(data, mark); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeJPEG12MP measures blind decoding of a marked 12 MP JPEG; target < 3 s.
func BenchmarkDecodeJPEG12MP(b *testing.B) {
	data := benchJPEG(b, 4000, 3000)
	m := NewMarker([]byte("bench-key-0123456789abcdef012345"))
	out, _, err := m.Stamp(data, Mark{ID: 42, Name: "张三", StaffID: "A1024", Time: time.Now()})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := m.Decode(out)
		if err != nil || !r.Found || r.MarkID != 42 {
			b.Fatalf("decode: %+v %v", r, err)
		}
	}
}

// BenchmarkDecodeUnmarked1MP measures the worst case (every frame searched)
// on an unmarked 1 MP image.
func BenchmarkDecodeUnmarked1MP(b *testing.B) {
	img := genPhoto(1200, 900, 5)
	m := NewMarker([]byte("bench-key-0123456789abcdef012345"))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if m.DecodeImage(imaging.Clone(img)).Found {
			b.Fatal("false positive")
		}
	}
}

// BenchmarkStampPDF20 measures visible + hidden marking of a 20-page PDF; target < 500 ms.
func BenchmarkStampPDF20(b *testing.B) {
	data := genPDF(20, 1)
	m := NewMarker([]byte("bench-key-0123456789abcdef012345"))
	mark := Mark{ID: 42, Name: "张三", StaffID: "A1024", Time: time.Now()}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := m.Stamp(data, mark); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeUnmarkedTable measures the worst case on a document: an
// unmarked 1160×800 table screenshot, both the paper and the whole-window
// field searched in every frame.
func BenchmarkDecodeUnmarkedTable(b *testing.B) {
	img := genTableScreenshot(1160, 800, 5)
	m := NewMarker([]byte("bench-key-0123456789abcdef012345"))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if m.DecodeImage(img).Found {
			b.Fatal("false positive")
		}
	}
}

// BenchmarkDecodeTableScreenshot measures blind decoding of a marked table
// screenshot rotated by 1° (lattice search, then the paper field).
func BenchmarkDecodeTableScreenshot(b *testing.B) {
	img := genTableScreenshot(1160, 800, 5)
	m := NewMarker([]byte("bench-key-0123456789abcdef012345"))
	signs := m.k.tileSigns(42)
	embedHidden(img, m.k, &signs)
	att := rotate(1)(img)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := m.DecodeImage(att); !r.Found || r.MarkID != 42 {
			b.Fatalf("decode: %+v", r)
		}
	}
}

// peakRSS reports the process's peak resident set (VmHWM) in MB; run one
// benchmark per process (-bench NAME) for a per-benchmark figure.
func peakRSS(b *testing.B) {
	s, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, l := range strings.Split(string(s), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.Atoi(f[1])
			b.ReportMetric(float64(kb)/1024, "peak-RSS-MB")
		}
	}
}

// photo24MP is a real 24 MP photograph (lomiri-wallpapers-20.04), or a
// generated one of that size when the package is not installed.
func photo24MP(b *testing.B) []byte {
	if data, err := os.ReadFile("/usr/share/backgrounds/Painting-Colors_by__herobrine7gamer.jpg"); err == nil {
		return data
	}
	return benchJPEG(b, 6000, 4000)
}

// BenchmarkTraceUnmarked24MP measures trace's worst case on a photo: a 24 MP
// JPEG without a mark (every search bounded); target < 3 s and < 300 MB.
func BenchmarkTraceUnmarked24MP(b *testing.B) {
	data := photo24MP(b)
	m := NewMarker([]byte("bench-key-0123456789abcdef012345"))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r, err := m.Decode(data); err != nil || r.Found {
			b.Fatalf("unmarked photo: %+v %v", r, err)
		}
	}
	peakRSS(b)
}

// BenchmarkStampJPEG24MP measures marking a 24 MP JPEG.
func BenchmarkStampJPEG24MP(b *testing.B) {
	data := photo24MP(b)
	m := NewMarker([]byte("bench-key-0123456789abcdef012345"))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := m.Stamp(data, Mark{ID: 42, Name: "张三", StaffID: "A1024", Time: time.Now()}); err != nil {
			b.Fatal(err)
		}
	}
	peakRSS(b)
}

// BenchmarkTraceMarked24MP measures tracing a marked 24 MP JPEG.
func BenchmarkTraceMarked24MP(b *testing.B) {
	m := NewMarker([]byte("bench-key-0123456789abcdef012345"))
	out, _, err := m.Stamp(photo24MP(b), Mark{ID: 42, Name: "张三", StaffID: "A1024", Time: time.Now()})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r, err := m.Decode(out); err != nil || !r.Found || r.MarkID != 42 {
			b.Fatalf("decode: %+v %v", r, err)
		}
	}
	peakRSS(b)
}

// BenchmarkTraceUnmarkedPDF50 measures trace on an unmarked 50-page PDF
// (token search on every page, text layer, pictures, page renders);
// target < 3 s and < 300 MB.
func BenchmarkTraceUnmarkedPDF50(b *testing.B) {
	data := genPDF(50, 2)
	m := NewMarker([]byte("bench-key-0123456789abcdef012345"))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r, err := m.Decode(data); err != nil || r.Found {
			b.Fatalf("unmarked PDF: %+v %v", r, err)
		}
	}
	peakRSS(b)
}

// BenchmarkStampPDF50 and BenchmarkTraceMarkedPDF50 mark and trace a
// 50-page PDF.
func BenchmarkStampPDF50(b *testing.B) {
	data := genPDF(50, 2)
	m := NewMarker([]byte("bench-key-0123456789abcdef012345"))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := m.Stamp(data, Mark{ID: 42, Name: "张三", StaffID: "A1024", Time: time.Now()}); err != nil {
			b.Fatal(err)
		}
	}
	peakRSS(b)
}

func BenchmarkTraceMarkedPDF50(b *testing.B) {
	m := NewMarker([]byte("bench-key-0123456789abcdef012345"))
	out, _, err := m.Stamp(genPDF(50, 2), Mark{ID: 42, Name: "张三", StaffID: "A1024", Time: time.Now()})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r, err := m.Decode(out); err != nil || !r.Found || r.MarkID != 42 {
			b.Fatalf("decode: %+v %v", r, err)
		}
	}
	peakRSS(b)
}
