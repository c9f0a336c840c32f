package watermark

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/disintegration/imaging"
)

// Benchmarks report, besides time per op, the CPU seconds per op (user +
// system, so a loaded machine shows in ns/op but not here) and the
// process's peak RSS: run one benchmark per process (-bench NAME$) for a
// per-benchmark figure.

var benchMark = Mark{ID: 42, Name: "张三", StaffID: "A1024", Time: time.Date(2026, 12, 1, 9, 30, 0, 0, time.Local)}

func benchMarker() *Marker { return NewMarker([]byte("bench-key-0123456789abcdef012345")) }

// benchOp times op b.N times and reports CPU per op and peak RSS.
func benchOp(b *testing.B, op func() error) {
	b.Helper()
	b.ResetTimer()
	c0 := cpuSeconds()
	for i := 0; i < b.N; i++ {
		if err := op(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuSeconds()-c0)/float64(b.N), "cpu-s/op")
	peakRSS(b)
}

// stampOp marks data; traceOp traces data and wants mark id want (0: no mark).
func stampOp(m *Marker, data []byte) func() error {
	return func() error { _, _, err := m.Stamp(data, benchMark); return err }
}

func traceOp(m *Marker, data []byte, want uint64) func() error {
	return func() error {
		r, err := m.Decode(data)
		if err == nil && (r.Found != (want != 0) || r.Found && r.MarkID != want) {
			err = fmt.Errorf("trace: got %+v, want mark %d", r, want)
		}
		return err
	}
}

func imageOp(m *Marker, img image.Image, want uint64) func() error {
	return func() error {
		if r := m.DecodeImage(img); r.Found != (want != 0) || r.Found && r.MarkID != want {
			return fmt.Errorf("decode: got %+v, want mark %d", r, want)
		}
		return nil
	}
}

// marked stamps data once for a trace benchmark.
func marked(b *testing.B, m *Marker, data []byte) []byte {
	b.Helper()
	out, _, err := m.Stamp(data, benchMark)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// realPhoto is a real photograph of lomiri-wallpapers (12 MP: Dragonfly,
// 4224×3168; 24 MP: Painting-Colors, 6000×4000), or a generated one of
// that size when the package is not installed.
func realPhoto(b *testing.B, mp int) []byte {
	b.Helper()
	path, w, h := "/usr/share/backgrounds/Dragonfly_by_Bolly.jpg", 4224, 3168
	if mp == 24 {
		path, w, h = "/usr/share/backgrounds/Painting-Colors_by__herobrine7gamer.jpg", 6000, 4000
	}
	if data, err := os.ReadFile(path); err == nil {
		return data
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, genPhoto(w, h, 9), &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkStampJPEG marks a real 12 and 24 MP photo as the proxy does
// (look for an earlier mark, visible and hidden mark, re-encode, read it
// back), and a copy of the 12 MP one at 640 px (two layers):
// -bench 'StampJPEG/24MP$' for one size's peak RSS.
func BenchmarkStampJPEG(b *testing.B) {
	for _, mp := range []int{12, 24} {
		b.Run(fmt.Sprintf("%dMP", mp), func(b *testing.B) {
			benchOp(b, stampOp(benchMarker(), realPhoto(b, mp)))
		})
	}
	b.Run("640px", func(b *testing.B) {
		benchOp(b, stampOp(benchMarker(), resizedPhoto(b, 12, 640)))
	})
}

// BenchmarkTraceJPEG traces a marked 12 and 24 MP photo (target < 3 s),
// an unmarked 24 MP one, trace's worst case on a photo (every search
// bounded; target < 3 s and < 300 MB), and an unmarked copy of the 12 MP
// photo at 480 px (a chat picture: small files are also read at every
// scale, and at level -1 for the fine layer).
func BenchmarkTraceJPEG(b *testing.B) {
	for _, c := range []struct {
		name   string
		mp     int
		px     int // long side of a resized copy (0: as it is)
		marked bool
	}{{"12MP-marked", 12, 0, true}, {"24MP-marked", 24, 0, true}, {"24MP-unmarked", 24, 0, false}, {"480px-unmarked", 12, 480, false}} {
		b.Run(c.name, func(b *testing.B) {
			m, data, want := benchMarker(), realPhoto(b, c.mp), uint64(0)
			if c.px > 0 {
				data = resizedPhoto(b, c.mp, c.px)
			}
			if c.marked {
				data, want = marked(b, m, data), benchMark.ID
			}
			benchOp(b, traceOp(m, data, want))
		})
	}
}

// BenchmarkDecodeRotated1MP decodes a marked 1 MP photo turned by 1°
// (lattice search).
func BenchmarkDecodeRotated1MP(b *testing.B) {
	m := benchMarker()
	img := genPhoto(1200, 900, 5)
	signs := m.k.tileSigns(benchMark.ID)
	embedHidden(img, m.k, &signs)
	benchOp(b, imageOp(m, rotate(1)(img), benchMark.ID))
}

// BenchmarkDecodeUnmarkedTable is the worst case on a document: an unmarked
// 1160×800 table screenshot, paper and whole-window fields searched in
// every frame.
func BenchmarkDecodeUnmarkedTable(b *testing.B) {
	benchOp(b, imageOp(benchMarker(), genTableScreenshot(1160, 800, 5), 0))
}

// BenchmarkDecodeTableScreenshot decodes a marked table screenshot turned
// by 1° (lattice search, then the paper field).
func BenchmarkDecodeTableScreenshot(b *testing.B) {
	m := benchMarker()
	img := genTableScreenshot(1160, 800, 5)
	signs := m.k.tileSigns(benchMark.ID)
	embedHidden(img, m.k, &signs)
	benchOp(b, imageOp(m, imaging.Clone(rotate(1)(img)), benchMark.ID))
}

// BenchmarkStampPDF20 marks a 20-page PDF; target < 500 ms.
func BenchmarkStampPDF20(b *testing.B) {
	benchOp(b, stampOp(benchMarker(), genPDF(20, 1)))
}

// BenchmarkStampPDF50, BenchmarkTraceMarkedPDF50 and
// BenchmarkTraceUnmarkedPDF50 mark and trace a 50-page PDF (unmarked: token
// search on every page, text layer, pictures, page render); target < 3 s
// and < 300 MB.
func BenchmarkStampPDF50(b *testing.B) {
	benchOp(b, stampOp(benchMarker(), genPDF(50, 2)))
}

func BenchmarkTraceMarkedPDF50(b *testing.B) {
	m := benchMarker()
	benchOp(b, traceOp(m, marked(b, m, genPDF(50, 2)), benchMark.ID))
}

func BenchmarkTraceUnmarkedPDF50(b *testing.B) {
	benchOp(b, traceOp(benchMarker(), genPDF(50, 2), 0))
}

// cpuSeconds is the process's user + system CPU time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// peakRSS reports the process's peak resident set (VmHWM) in MB.
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

// resizedPhoto is the mp-megapixel real photo resized to px on its long
// side, as JPEG 85.
func resizedPhoto(b *testing.B, mp, px int) []byte {
	img, err := decodeImage(realPhoto(b, mp))
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, fitLong(img, px), &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}
