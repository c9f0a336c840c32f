package watermark

import (
	"bytes"
	"image/jpeg"
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
