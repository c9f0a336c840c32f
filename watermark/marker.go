package watermark

import (
	"errors"
	"fmt"
	"image"
	"math"
	"runtime"
	"time"

	"github.com/disintegration/imaging"
)

// ErrUnsupported means the format cannot be marked (for example GIF or WebP
// input to Stamp); callers treat the file as unmarkable.
var ErrUnsupported = errors.New("sluice: file format cannot be watermarked")

// ErrCorrupt means the input could not be parsed as the format it claims.
var ErrCorrupt = errors.New("sluice: file is corrupt or truncated")

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
	Layer      string  // "image", "pdf-content" or "pdf-render"
}

// Marker stamps and decodes marks with one secret key.
type Marker struct {
	k *keyed
	// RenderTool is the pdftoppm binary Decode uses to render a PDF whose
	// content token is gone; "" looks it up in PATH, "-" disables rendering.
	RenderTool string

	slots chan struct{} // bounds concurrent Stamp calls (memory)
}

// NewMarker returns a Marker keyed by key (use LoadOrCreateKey).
func NewMarker(key []byte) *Marker {
	return &Marker{k: newKeyed(key), slots: make(chan struct{}, max(1, runtime.NumCPU()))}
}

// Stamp detects the format by magic bytes and returns the marked file in the
// same format (JPEG at about the input's quality, PNG as PNG, same pixel
// size; PDF with visible and hidden layers) plus its short type.
func (m *Marker) Stamp(data []byte, mark Mark) (out []byte, typ string, err error) {
	if mark.ID > MaxMarkID {
		return nil, "", fmt.Errorf("sluice: mark id %d does not fit in 48 bits", mark.ID)
	}
	typ = sniff(data)
	// Only a few stamps run at once, whoever calls: a decoded 12 MP photo
	// takes about 200 MB.
	m.slots <- struct{}{}
	defer func() { <-m.slots }()
	switch typ {
	case "jpeg", "png":
		out, err = m.stampImage(data, typ, mark)
	case "pdf":
		out, err = m.stampPDF(data, mark)
	case "":
		err = fmt.Errorf("%w: unknown format", ErrUnsupported)
	default:
		err = fmt.Errorf("%w: %s", ErrUnsupported, typ)
	}
	if err != nil {
		return nil, typ, err
	}
	return out, typ, nil
}

// StampImage marks a decoded image in place: the visible text, then the
// hidden payload over it, so both survive.
func (m *Marker) StampImage(img *image.NRGBA, mark Mark) error {
	if err := drawVisible(img, VisibleText(mark)); err != nil {
		return err
	}
	signs := m.k.tileSigns(mark.ID)
	embedHidden(img, m.k, &signs)
	return nil
}

func (m *Marker) stampImage(data []byte, typ string, mark Mark) ([]byte, error) {
	src, err := decodeImage(data)
	if err != nil {
		return nil, err
	}
	img := imaging.Clone(src)
	if err := m.StampImage(img, mark); err != nil {
		return nil, err
	}
	q := 0
	if typ == "jpeg" {
		q = min(max(jpegQuality(data), 60), 95)
		if q == 60 && jpegQuality(data) == 0 {
			q = 85
		}
	}
	return encodeLike(img, typ, q)
}

// Decode blindly looks for a mark in a suspect file (PDF, PNG, JPEG, WebP,
// BMP, GIF, TIFF). Found is false unless a payload decodes and its keyed
// check matches; it is never a guess.
func (m *Marker) Decode(data []byte) (Result, error) {
	typ := sniff(data)
	switch typ {
	case "pdf":
		return m.decodePDF(data)
	case "":
		return Result{}, fmt.Errorf("%w: unknown format", ErrUnsupported)
	}
	img, err := decodeImage(data)
	if err != nil {
		return Result{}, err
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
