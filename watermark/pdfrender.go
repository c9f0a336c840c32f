package watermark

import (
	"bytes"
	"context"
	"image"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
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
	// Page 1 is enough: the pattern is multiplied over everything on
	// every page, pictures included.
	if r, ok := m.renderAndDecode(bin, dir, in, "1", "1"); ok {
		return r, nil
	}
	return Result{}, nil
}

// decodePDFText looks for the text token in the text pdftotext extracts
// from the first pages (poppler-utils; without it, not found).
func (m *Marker) decodePDFText(data []byte) Result {
	bin := m.TextTool
	if bin == "-" {
		return Result{}
	}
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("pdftotext"); err != nil {
			return Result{}
		}
	}
	dir, err := os.MkdirTemp("", "sluice-trace-")
	if err != nil {
		return Result{}
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, data, 0o600); err != nil {
		return Result{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// -raw: content-stream order. Ghostscript rewrites the invisible line
	// with glyph positions that poppler's layout analysis cut into pieces
	// and re-ordered (the token did not read in 8 of 8 one-page files).
	out, err := exec.CommandContext(ctx, bin, "-raw", "-f", "1", "-l", "3", in, "-").Output()
	if err != nil {
		return Result{}
	}
	if id, ok := m.k.findTextToken(out); ok {
		return Result{Found: true, MarkID: id, Confidence: 1, Layer: "pdf-text"}
	}
	return Result{}
}

// renderAndDecode renders pages first…last at 150 dpi and looks for the
// pattern layer at its drawn size.
func (m *Marker) renderAndDecode(bin, dir, in, first, last string) (Result, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out := filepath.Join(dir, "p"+first)
	if err := exec.CommandContext(ctx, bin, "-r", "150", "-gray", "-png", "-f", first, "-l", last, in, out).Run(); err != nil {
		return Result{}, false
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
		// The pattern layer is drawn 1:1 at 150 dpi: the identity frames
		// (any page rotation) find it.
		if c, ok := m.k.searchPicture(img, search{levels: []int{0}}); ok {
			return Result{Found: true, MarkID: c.id, Confidence: confidence(c), Layer: "pdf-render"}, true
		}
	}
	return Result{}, false
}

// Embedded pictures: a marked photo placed in a page (printed to PDF by a
// browser, exported from slides) is traced from the picture itself, at
// its own resolution. Only the largest few are tried.
const (
	pdfImagesTried = 4
	pdfImageMin    = 200      // pixels, both sides
	pdfImageBytes  = 64 << 20 // read at most this much picture data
)

// decodePDFImages traces the largest pictures embedded in the PDF.
func (m *Marker) decodePDFImages(data []byte) (res Result) {
	defer func() {
		if recover() != nil {
			res = Result{}
		}
	}()
	conf := pdfConfig()
	pages, err := api.ExtractImagesRaw(bytes.NewReader(data), nil, conf)
	if err != nil && len(pages) == 0 {
		return Result{}
	}
	type pic struct {
		data []byte
		area int
	}
	var pics []pic
	seen := map[int]bool{}
	budget := int64(pdfImageBytes)
	for _, pg := range pages {
		for _, im := range pg {
			if seen[im.ObjNr] || im.IsImgMask || im.Thumb || budget <= 0 {
				continue
			}
			seen[im.ObjNr] = true
			b, err := io.ReadAll(io.LimitReader(im, budget))
			budget -= int64(len(b))
			if err != nil {
				continue
			}
			cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
			if err != nil || cfg.Width < pdfImageMin || cfg.Height < pdfImageMin {
				continue
			}
			pics = append(pics, pic{b, cfg.Width * cfg.Height})
		}
	}
	sort.Slice(pics, func(i, j int) bool { return pics[i].area > pics[j].area })
	for i, p := range pics {
		if i == pdfImagesTried {
			break
		}
		img, err := decodeImage(p.data)
		if err != nil {
			continue
		}
		if c, ok := m.k.decodePictureQuick(img); ok {
			return Result{Found: true, MarkID: c.id, Confidence: confidence(c), Layer: "pdf-image"}
		}
	}
	return Result{}
}
