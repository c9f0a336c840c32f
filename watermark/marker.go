package watermark

import (
	"errors"
	"fmt"
	"image"
	"math"
	"runtime"
	"time"
)

// ErrUnsupported means the format cannot be marked (for example GIF or WebP
// input to Stamp); callers treat the file as unmarkable.
var ErrUnsupported = errors.New("file format cannot be watermarked")

// ErrCorrupt means the input could not be parsed as the format it claims.
var ErrCorrupt = errors.New("file is corrupt or truncated")

// Mark is what gets embedded: the hidden id and the visible text parts.
type Mark struct {
	ID       uint64    // mark id allocated by the store, must be < 1<<48
	Name     string    // rep name, e.g. 张三
	StaffID  string    // staff number, e.g. A1024
	Time     time.Time // shown in local time
	Template string    // visible template, e.g. "{name} · {staff_id} · {time}"; "" = that default
}

// Result is what Decode found.
type Result struct {
	Found      bool    // a mark cleared the calibrated margin; false is never a guess
	MarkID     uint64  // the embedded mark id when Found
	Confidence float64 // 0..1
	Layer      string  // "image", "pdf-content", "pdf-text", "pdf-image" or "pdf-render"
}

// Marker stamps and decodes marks with one secret key.
type Marker struct {
	k *keyed
	// RenderTool is the pdftoppm binary Decode uses to render a PDF whose
	// content token is gone; "" looks it up in PATH, "-" disables rendering.
	RenderTool string
	// TextTool is the pdftotext binary Decode uses to read the invisible
	// text token of a PDF whose content token is gone; "" looks it up in
	// PATH, "-" disables it.
	TextTool string
	// HEIFTool is the heif-convert binary Decode uses to read HEIC and AVIF
	// files; "" looks it up in PATH, "-" disables it.
	HEIFTool string

	slots chan struct{} // bounds concurrent Stamp calls (memory)
}

// NewMarker returns a Marker keyed by key (use LoadOrCreateKey).
func NewMarker(key []byte) *Marker {
	return &Marker{k: newKeyed(key), slots: make(chan struct{}, max(1, runtime.NumCPU()))}
}

// Decode blindly looks for a mark in a suspect file (PDF, PNG, JPEG, WebP,
// BMP, GIF, TIFF; HEIC and AVIF through heif-convert, see HEIFTool). Found
// is false unless a payload decodes and its keyed check matches; it is
// never a guess.
func (m *Marker) Decode(data []byte) (Result, error) {
	typ := sniff(data)
	switch typ {
	case "pdf":
		return m.decodePDF(data)
	case "heic", "avif":
		img, err := m.decodeHEIF(data, typ)
		if err != nil {
			return Result{}, err
		}
		return m.DecodeImage(img), nil
	case "":
		return Result{}, fmt.Errorf("%w: unknown format", ErrUnsupported)
	}
	img, err := decodeImage(data)
	if err != nil {
		return Result{}, err
	}
	if g := lumaOnly(img); g != img {
		// Free the colour planes before the search allocates its own.
		img = g
		runtime.GC()
	}
	return m.DecodeImage(img), nil
}

// DecodeImage blindly looks for the hidden mark in a decoded image: at
// every flip and quarter turn, scale and small rotation, within bounded work.
func (m *Marker) DecodeImage(img image.Image) Result {
	c, ok := m.k.decodePicture(img)
	if !ok {
		return Result{}
	}
	return Result{Found: true, MarkID: c.id, Confidence: confidence(c), Layer: "image"}
}

// confidence maps the agreement of the soft tile with the decoded payload
// and the number of corrected bytes to 0..1.
func confidence(c candidate) float64 {
	v := c.agreement * (1 - float64(c.correction)/float64(rsTotal))
	return math.Max(0, math.Min(1, v))
}
