package watermark

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// MaxPDFPages bounds the pages Stamp will mark in one PDF.
var MaxPDFPages = 2000

// PDF render layer: the tile is drawn at renderDPI so that a page rendered
// at 150 dpi carries the image mark at its native scale.
const (
	renderDPI      = 150.0
	renderStrength = 1.6 // fixed pattern amplitude on the page (luma RMS)
	visibleDPI     = 108.0
)

func pdfConfig() *model.Configuration {
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	return conf
}

// readPDF parses data into a pdfcpu context, turning pdfcpu panics on
// hostile input into ErrCorrupt.
func readPDF(data []byte, validate bool) (ctx *model.Context, err error) {
	defer func() {
		if r := recover(); r != nil {
			ctx, err = nil, fmt.Errorf("%w: pdf parser failed: %v", ErrCorrupt, r)
		}
	}()
	if validate {
		ctx, err = api.ReadAndValidate(bytes.NewReader(data), pdfConfig())
	} else {
		ctx, err = api.ReadContext(bytes.NewReader(data), pdfConfig())
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if ctx.Encrypt != nil {
		return nil, fmt.Errorf("%w: encrypted PDF", ErrUnsupported)
	}
	if err := ctx.EnsurePageCount(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return ctx, nil
}

// stampPDF adds the visible and hidden layers. A PDF that already carries
// a content token of this key keeps it (it comes first, so trace names the
// first sender) and its pattern layer; only the new token and the visible
// mark are added.
func (m *Marker) stampPDF(data []byte, mark Mark) (r StampResult, err error) {
	ctx, err := readPDF(data, true)
	if err != nil {
		return r, err
	}
	if ctx.PageCount == 0 || ctx.PageCount > MaxPDFPages {
		return r, fmt.Errorf("%w: %d pages (limit %d)", ErrUnsupported, ctx.PageCount, MaxPDFPages)
	}
	defer func() {
		if e := recover(); e != nil {
			r, err = StampResult{}, fmt.Errorf("%w: pdf writer failed: %v", ErrCorrupt, e)
		}
	}()
	r.MarkID = mark.ID
	if id, ok := m.findPDFToken(ctx); ok {
		r.Existing = Result{Found: true, MarkID: id, Confidence: 1, Layer: "pdf-content"}
		r.MarkID = id
	}
	dims, err := ctx.PageDims()
	if err != nil || len(dims) == 0 {
		return r, fmt.Errorf("%w: page sizes: %v", ErrCorrupt, err)
	}
	if err := m.addHiddenPDF(ctx, mark.ID, !r.Existing.Found, VisibleText(mark)); err != nil {
		return r, err
	}
	if err := addVisiblePDF(ctx, VisibleText(mark), dims[0]); err != nil {
		return r, err
	}
	var buf bytes.Buffer
	if err := api.WriteContext(ctx, &buf); err != nil {
		return r, fmt.Errorf("cannot write marked PDF: %w", err)
	}
	r.Out = buf.Bytes()
	if c, err := readPDF(r.Out, false); err == nil {
		if id, ok := m.findPDFToken(c); ok {
			r.Verified = Result{Found: true, MarkID: id, Confidence: 1, Layer: "pdf-content"}
		}
	}
	r.Weak = !r.Verified.Found || r.Verified.MarkID != r.MarkID
	return r, nil
}

// addVisiblePDF stamps a transparent PNG of the tiled mark text on every
// page as a pdfcpu watermark (the text is rendered with the embedded CJK
// font, so no PDF font is needed and Chinese cannot drop out).
func addVisiblePDF(ctx *model.Context, text string, dim types.Dim) error {
	if text == "" {
		return nil
	}
	w := int(math.Round(dim.Width * visibleDPI / 72))
	h := int(math.Round(dim.Height * visibleDPI / 72))
	if w < 16 || h < 16 || w*h > 40<<20 {
		return fmt.Errorf("%w: page size %.0f×%.0f pt", ErrUnsupported, dim.Width, dim.Height)
	}
	overlay := image.NewNRGBA(image.Rect(0, 0, w, h))
	if err := drawVisibleAlpha(overlay, text); err != nil {
		return err
	}
	var pb bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&pb, overlay); err != nil {
		return fmt.Errorf("cannot encode visible mark: %w", err)
	}
	wm, err := api.ImageWatermarkForReader(bytes.NewReader(pb.Bytes()), "scalefactor:1 rel, rotation:0, opacity:1, position:c", true, false, types.POINTS)
	if err != nil {
		return fmt.Errorf("visible PDF mark: %w", err)
	}
	if err := api.WatermarkContext(ctx, nil, wm); err != nil {
		return fmt.Errorf("visible PDF mark: %w", err)
	}
	return nil
}

// drawVisibleAlpha draws the tiled text into a transparent overlay.
func drawVisibleAlpha(img *image.NRGBA, text string) error {
	return drawVisibleWith(img, text, func(o int, al float64) {
		// Porter-Duff "over" of ink on a transparent pixel.
		a0 := float64(img.Pix[o+3]) / 255
		na := al + a0*(1-al)
		for c := 0; c < 3; c++ {
			img.Pix[o+c] = clamp8((visibleInk[c]*al + float64(img.Pix[o+c])*a0*(1-al)) / na)
		}
		img.Pix[o+3] = clamp8(na * 255)
	})
}
