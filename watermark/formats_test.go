package watermark

import (
	"bytes"
	"errors"
	"image"
	"image/gif"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// TestDecodeOtherFormats checks that trace's other accepted formats decode:
// a marked PNG saved again as BMP, TIFF, GIF (256 colours, dithered) and
// WebP (lossy q80 and lossless, by Debian's cwebp), and that the unmarked
// original in each format is not found.
func TestDecodeOtherFormats(t *testing.T) {
	m := NewMarker(testKey)
	orig := genPhoto(900, 700, 21)
	var in bytes.Buffer
	if err := png.Encode(&in, orig); err != nil {
		t.Fatal(err)
	}
	out, _, err := m.Stamp(in.Bytes(), testMark)
	if err != nil {
		t.Fatal(err)
	}
	marked, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	encoders := map[string]func(image.Image) ([]byte, error){
		"bmp": func(i image.Image) ([]byte, error) {
			var b bytes.Buffer
			err := bmp.Encode(&b, i)
			return b.Bytes(), err
		},
		"tiff": func(i image.Image) ([]byte, error) {
			var b bytes.Buffer
			err := tiff.Encode(&b, i, nil)
			return b.Bytes(), err
		},
		"gif": func(i image.Image) ([]byte, error) {
			var b bytes.Buffer
			err := gif.Encode(&b, i, nil)
			return b.Bytes(), err
		},
	}
	if tool, err := exec.LookPath("cwebp"); err == nil {
		for name, args := range map[string][]string{"webp-lossy": {"-q", "80"}, "webp-lossless": {"-lossless"}} {
			encoders[name] = func(i image.Image) ([]byte, error) { return cwebp(t, tool, i, args) }
		}
	} else {
		t.Log("cwebp not installed (Debian package webp): WebP not checked")
	}
	// HEIC (iPhone) and AVIF, encoded by libheif's heif-enc, read back
	// through heif-convert.
	if tool, err := exec.LookPath("heif-enc"); err == nil {
		for name, args := range map[string][]string{"heic-q60": {"-q", "60"}, "avif-q60": {"-A", "-q", "60"}} {
			encoders[name] = func(i image.Image) ([]byte, error) { return heifEnc(t, tool, i, args) }
		}
	} else if os.Getenv("CI") != "" {
		t.Error("heif-enc not installed (Debian libheif-examples): HEIC and AVIF not checked")
	}
	for name, enc := range encoders {
		for _, c := range []struct {
			img    image.Image
			marked bool
		}{{marked, true}, {orig, false}} {
			data, err := enc(c.img)
			if err != nil {
				t.Fatalf("%s: encode: %v", name, err)
			}
			r, err := m.Decode(data)
			if err != nil {
				t.Fatalf("%s: Decode: %v", name, err)
			}
			if c.marked && (!r.Found || r.MarkID != testMark.ID) {
				t.Errorf("%s: marked image not traced: %+v", name, r)
			}
			if !c.marked && r.Found {
				t.Errorf("%s: unmarked image found: %+v", name, r)
			}
		}
	}
}

// cwebp encodes img to WebP with Debian's cwebp.
func cwebp(t *testing.T, tool string, img image.Image, args []string) ([]byte, error) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "in.png"), filepath.Join(dir, "out.webp")
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	if err := os.WriteFile(src, b.Bytes(), 0o600); err != nil {
		return nil, err
	}
	run(t, tool, append(append([]string{"-quiet"}, args...), src, "-o", dst)...)
	return os.ReadFile(dst)
}

// heifEnc encodes img to HEIC or AVIF with libheif's heif-enc.
func heifEnc(t *testing.T, tool string, img image.Image, args []string) ([]byte, error) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "in.png"), filepath.Join(dir, "out.heif")
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	if err := os.WriteFile(src, b.Bytes(), 0o600); err != nil {
		return nil, err
	}
	run(t, tool, append(args, "-o", dst, src)...)
	return os.ReadFile(dst)
}

// TestHEIFWithoutTool checks that without heif-convert a HEIC file is
// refused with the command that converts it, not answered.
func TestHEIFWithoutTool(t *testing.T) {
	m := NewMarker(testKey)
	m.HEIFTool = "-"
	heic := append([]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), make([]byte, 64)...)
	if sniff(heic) != "heic" {
		t.Fatalf("sniff = %q, want heic", sniff(heic))
	}
	r, err := m.Decode(heic)
	if r.Found || !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "heif-convert") {
		t.Fatalf("Decode without the tool: %+v %v", r, err)
	}
}
