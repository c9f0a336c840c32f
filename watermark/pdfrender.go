package watermark

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// decodePDFRender is the fallback when no content token survives: if
// poppler's pdftoppm is installed it renders the first pages at 150 dpi and
// decodes the pattern layer from the pixels. Without pdftoppm the result is
// simply not found.
func (m *Marker) decodePDFRender(data []byte) (Result, error) {
	bin := m.RenderTool
	if bin == "-" {
		return Result{}, nil
	}
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("pdftoppm"); err != nil {
			return Result{}, nil
		}
	}
	dir, err := os.MkdirTemp("", "sluice-trace-")
	if err != nil {
		return Result{}, nil
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, data, 0o600); err != nil {
		return Result{}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out := filepath.Join(dir, "page")
	if err := exec.CommandContext(ctx, bin, "-r", "150", "-gray", "-png", "-f", "1", "-l", "3", in, out).Run(); err != nil {
		return Result{}, nil
	}
	pages, _ := filepath.Glob(out + "*.png")
	for _, p := range pages {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		img, err := decodeImage(b)
		if err != nil {
			continue
		}
		if r := m.DecodeImage(img); r.Found {
			r.Layer = "pdf-render"
			return r, nil
		}
	}
	return Result{}, nil
}
