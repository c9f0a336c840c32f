package watermark

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var testKey = []byte("unit-test-key-0123456789abcdef!!")

func TestECCCorrectsDesignedErrors(t *testing.T) {
	k := newKeyed(testKey)
	rng := rand.New(rand.NewPCG(1, 2))
	capacity := (rsTotal - rsData) / 2
	for trial := 0; trial < 200; trial++ {
		data := k.dataBytes(rng.Uint64() & MaxMarkID)
		code := k.encodeRS(data)
		nerr := trial % (capacity + 1)
		recv := append([]byte(nil), code...)
		for _, p := range rng.Perm(rsTotal)[:nerr] {
			recv[p] ^= byte(1 + rng.IntN(255))
		}
		got, e, err := k.decodeRS(recv, nil)
		if err != nil || !bytes.Equal(got, data) || e != nerr {
			t.Fatalf("%d byte errors: got %x (%d corrected, %v), want %x", nerr, got, e, err, data)
		}
	}
}

func TestECCFailsBeyondCapacity(t *testing.T) {
	k := newKeyed(testKey)
	rng := rand.New(rand.NewPCG(3, 4))
	capacity := (rsTotal - rsData) / 2
	for trial := 0; trial < 200; trial++ {
		data := k.dataBytes(rng.Uint64() & MaxMarkID)
		recv := k.encodeRS(data)
		for _, p := range rng.Perm(rsTotal)[:capacity+1+trial%3] {
			recv[p] ^= byte(1 + rng.IntN(255))
		}
		if got, _, err := k.decodeRS(recv, nil); err == nil && bytes.Equal(got, data) {
			t.Fatalf("trial %d: decoded the original through %d errors, beyond the code's capacity %d", trial, capacity+1+trial%3, capacity)
		}
	}
}

func TestECCErasures(t *testing.T) {
	k := newKeyed(testKey)
	data := k.dataBytes(0xBEEF)
	recv := k.encodeRS(data)
	// 4 erasures + 2 errors: 2·2 + 4 = 8 = n − k.
	for _, p := range []int{0, 3, 7, 9, 12, 15} {
		recv[p] ^= 0x5A
	}
	got, _, err := k.decodeRS(recv, []int{0, 3, 7, 9})
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("erasure decode: %x %v", got, err)
	}
}

func TestDCTRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var in [64]float64
	for i := range in {
		in[i] = rng.Float64()*255 - 128
	}
	c := dct8(&in)
	out := idct8(&c)
	for i := range in {
		if math.Abs(in[i]-out[i]) > 1e-9 {
			t.Fatalf("idct(dct(x))[%d] = %v, want %v", i, out[i], in[i])
		}
	}
	// Orthonormal: energy is preserved and a constant block is pure DC.
	var flat [64]float64
	for i := range flat {
		flat[i] = 10
	}
	fc := dct8(&flat)
	if math.Abs(fc[0]-80) > 1e-9 {
		t.Fatalf("DC of a flat block = %v, want 80", fc[0])
	}
	for i := 1; i < 64; i++ {
		if math.Abs(fc[i]) > 1e-9 {
			t.Fatalf("AC[%d] of a flat block = %v, want 0", i, fc[i])
		}
	}
}

func TestKernelIsUnitNormZeroMean(t *testing.T) {
	k := newKeyed(testKey)
	n, s := 0.0, 0.0
	for _, v := range k.kernel {
		n += float64(v) * float64(v)
		s += float64(v)
	}
	if math.Abs(n-1) > 1e-5 || math.Abs(s) > 1e-5 {
		t.Fatalf("kernel norm %v sum %v, want 1 and 0", n, s)
	}
	if other := newKeyed([]byte("other")); other.kernel == k.kernel {
		t.Fatal("different keys produced the same kernel")
	}
}

func TestPayloadRoundTrip(t *testing.T) {
	k := newKeyed(testKey)
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := 0; trial < 50; trial++ {
		id := rng.Uint64() & MaxMarkID
		signs := k.tileSigns(id)
		var cells [tileSlots]float64
		for i, s := range signs {
			cells[i] = float64(s) * (0.5 + rng.Float64())
		}
		// Flip the bits of three code bytes: within the code's capacity.
		for _, b := range rng.Perm(rsTotal)[:3] {
			for j := 0; j < 8; j++ {
				cells[k.codePos[b*8+j]] *= -1
			}
		}
		got, _, ok := k.decodeSoft(&cells, maxErasures)
		if !ok || got != id {
			t.Fatalf("payload %d decoded as %d (ok=%v)", id, got, ok)
		}
		wrong := newKeyed([]byte("wrong key"))
		if got, _, ok := wrong.decodeSoft(&cells, maxErasures); ok {
			t.Fatalf("wrong key decoded payload %d", got)
		}
	}
}

func encodeTestJPEG(t testing.TB, img image.Image, q int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestJPEGQualityEstimate(t *testing.T) {
	img := genPhoto(64, 64, 1)
	for _, q := range []int{30, 50, 75, 85, 95} {
		if got := jpegQuality(encodeTestJPEG(t, img, q)); got < q-1 || got > q+1 {
			t.Errorf("quality %d estimated as %d", q, got)
		}
	}
}

func TestStampJPEGRoundTrip(t *testing.T) {
	m := NewMarker(testKey)
	in := encodeTestJPEG(t, genPhoto(900, 700, 11), 80)
	mark := Mark{ID: 1<<47 + 12345, Name: "张三", StaffID: "A1024", Time: time.Date(2026, 11, 22, 14, 3, 0, 0, time.Local)}
	out, typ, err := m.Stamp(in, mark)
	if err != nil || typ != "jpeg" {
		t.Fatalf("Stamp: %v %q", err, typ)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(out))
	if err != nil || format != "jpeg" || cfg.Width != 900 || cfg.Height != 700 {
		t.Fatalf("output %s %dx%d %v, want jpeg 900x700", format, cfg.Width, cfg.Height, err)
	}
	if q := jpegQuality(out); q < 78 || q > 82 {
		t.Errorf("output quality %d, want about 80", q)
	}
	r, err := m.Decode(out)
	if err != nil || !r.Found || r.MarkID != mark.ID || r.Layer != "image" || r.Confidence <= 0.5 {
		t.Fatalf("Decode: %+v %v", r, err)
	}
	if r, _ := NewMarker([]byte("some other key")).Decode(out); r.Found {
		t.Fatalf("wrong key found %+v", r)
	}
	if r, _ := m.Decode(in); r.Found {
		t.Fatalf("unmarked input found %+v", r)
	}
}

func TestStampPNGRoundTrip(t *testing.T) {
	m := NewMarker(testKey)
	var buf bytes.Buffer
	if err := png.Encode(&buf, genDocument(700, 800, 3)); err != nil {
		t.Fatal(err)
	}
	out, typ, err := m.Stamp(buf.Bytes(), Mark{ID: 77, Name: "李堃", StaffID: "B7", Time: time.Now()})
	if err != nil || typ != "png" {
		t.Fatalf("Stamp: %v %q", err, typ)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(out))
	if err != nil || format != "png" || cfg.Width != 700 || cfg.Height != 800 {
		t.Fatalf("output %s %dx%d %v", format, cfg.Width, cfg.Height, err)
	}
	if r, err := m.Decode(out); err != nil || !r.Found || r.MarkID != 77 {
		t.Fatalf("Decode: %+v %v", r, err)
	}
}

func TestStampRejects(t *testing.T) {
	m := NewMarker(testKey)
	var g bytes.Buffer
	if err := gif.Encode(&g, genPhoto(32, 32, 1), nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Stamp(g.Bytes(), Mark{ID: 1}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("GIF: %v, want ErrUnsupported", err)
	}
	if _, _, err := m.Stamp([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "), Mark{ID: 1}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("WebP: %v, want ErrUnsupported", err)
	}
	jp := encodeTestJPEG(t, genPhoto(64, 64, 1), 80)
	if _, _, err := m.Stamp(jp[:40], Mark{ID: 1}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("truncated JPEG: %v, want ErrCorrupt", err)
	}
	if _, _, err := m.Stamp(jp, Mark{ID: 1 << 48}); err == nil {
		t.Error("mark id ≥ 2^48 accepted")
	}
	if _, err := m.Decode([]byte("hello")); !errors.Is(err, ErrUnsupported) {
		t.Errorf("text: %v, want ErrUnsupported", err)
	}
}

// TestDecompressionBombRefused feeds a PNG whose header declares 10⁵×10⁵
// pixels: it must be refused from the header alone.
func TestDecompressionBombRefused(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 100000)
	binary.BigEndian.PutUint32(ihdr[4:], 100000)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	m := NewMarker(testKey)
	if _, _, err := m.Stamp(b.Bytes(), Mark{ID: 1}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Stamp: %v, want ErrTooLarge", err)
	}
	if _, err := m.Decode(b.Bytes()); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Decode: %v, want ErrTooLarge", err)
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mark.key")
	k1, err := LoadOrCreateKey(path)
	if err != nil || len(k1) != KeySize {
		t.Fatalf("create: %d bytes, %v", len(k1), err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v %v, want 0600", st.Mode().Perm(), err)
	}
	k2, err := LoadOrCreateKey(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("reload: %v", err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key: %v, want an error naming chmod 600", err)
	}
}

func TestFontHasCJKGlyphs(t *testing.T) {
	f, err := parsedFont()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range "张三堃李A1024·:-" {
		if gi, err := f.GlyphIndex(nil, r); err != nil || gi == 0 {
			t.Errorf("glyph for %q missing (%v)", r, err)
		}
	}
}

func TestVisibleMarkDrawn(t *testing.T) {
	m := Mark{Name: "张三", StaffID: "A1024", Time: time.Date(2026, 11, 22, 14, 3, 0, 0, time.Local)}
	if got := VisibleText(m); got != "张三 · A1024 · 2026-11-22 14:03" {
		t.Fatalf("VisibleText = %q", got)
	}
	if got := VisibleText(Mark{Name: "x", StaffID: "y", Template: "{staff_id}/{name}"}); got != "y/x" {
		t.Fatalf("template = %q", got)
	}
	img := image.NewNRGBA(image.Rect(0, 0, 800, 600))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	if err := drawVisible(img, VisibleText(m)); err != nil {
		t.Fatal(err)
	}
	inked, darkest := 0, 255
	for i := 0; i < len(img.Pix); i += 4 {
		if img.Pix[i] < 250 {
			inked++
		}
		darkest = min(darkest, int(img.Pix[i]))
	}
	share := float64(inked) / float64(800*600)
	// Readable but not destroying the content: a few percent of the
	// pixels, and semi-transparent ink (never black).
	if share < 0.02 || share > 0.25 || darkest < 150 {
		t.Fatalf("visible mark covers %.1f%% of pixels, darkest %d", share*100, darkest)
	}
}

func FuzzDecode(f *testing.F) {
	m := NewMarker(testKey)
	m.RenderTool = "-" // the render fallback runs poppler; fuzz our own parsing
	f.Add(encodeTestJPEG(f, genPhoto(64, 48, 1), 70))
	var p bytes.Buffer
	png.Encode(&p, genPhoto(40, 40, 2))
	f.Add(p.Bytes())
	f.Add(genPDF(1, 1))
	f.Add([]byte("GIF89a\x01\x00\x01\x00"))
	f.Add([]byte("BM\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, _ := m.Decode(data)
		if r.Found {
			t.Fatalf("found a mark in fuzz input: %+v", r)
		}
	})
}
