package watermark

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// HEIC (iPhone photos) and AVIF have no maintained pure-Go decoder, so
// Decode hands them to libheif's heif-convert (Debian libheif-examples) in
// a child process: its own temporary directory, no shell, a time limit,
// and the PNG it writes is size-checked like any suspect. Without the
// tool, Decode says which command converts the file; it never guesses.

// heifTimeout bounds one conversion.
const heifTimeout = 30 * time.Second

// isoBrand returns "heic" or "avif" for an ISO-BMFF image file ("" else).
func isoBrand(data []byte) string {
	if len(data) < 16 || !bytes.Equal(data[4:8], []byte("ftyp")) {
		return ""
	}
	n := min(int(uint32(data[0])<<24|uint32(data[1])<<16|uint32(data[2])<<8|uint32(data[3])), len(data), 256)
	brands := [][]byte{data[8:12]}
	for i := 16; i+4 <= n; i += 4 {
		brands = append(brands, data[i:i+4])
	}
	kind := ""
	for _, b := range brands {
		switch string(b) {
		case "avif", "avis":
			return "avif"
		case "heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs":
			kind = "heic"
		case "mif1", "msf1":
			if kind == "" {
				kind = "heic"
			}
		}
	}
	return kind
}

// errNoHEIFTool explains how to trace a HEIC/AVIF file by hand.
func errNoHEIFTool(typ string) error {
	return fmt.Errorf("%w: cannot read %s here; install libheif-examples, or convert it with `heif-convert FILE out.png` (or any photo app's \"save as PNG/JPEG\") and trace the PNG",
		ErrUnsupported, typ)
}

// decodeHEIF converts a HEIC/AVIF file with heif-convert and decodes the PNG.
func (m *Marker) decodeHEIF(data []byte, typ string) (image.Image, error) {
	bin := m.HEIFTool
	if bin == "-" {
		return nil, errNoHEIFTool(typ)
	}
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("heif-convert"); err != nil {
			return nil, errNoHEIFTool(typ)
		}
	}
	dir, err := os.MkdirTemp("", "sluice-heif-")
	if err != nil {
		return nil, fmt.Errorf("%w", err)
	}
	defer os.RemoveAll(dir)
	in, out := filepath.Join(dir, "in."+typ), filepath.Join(dir, "out.png")
	if err := os.WriteFile(in, data, 0o600); err != nil {
		return nil, fmt.Errorf("%w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), heifTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, in, out)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir}
	if msg, err := cmd.CombinedOutput(); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("%w: %s conversion took over %v", ErrCorrupt, typ, heifTimeout)
		}
		return nil, fmt.Errorf("%w: %s: %v: %s", ErrCorrupt, typ, err, bytes.TrimSpace(msg))
	}
	png, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: the converter wrote nothing", ErrCorrupt, typ)
	}
	return decodeImage(png)
}
