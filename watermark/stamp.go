package watermark

import (
	"fmt"
	"image"

	"github.com/disintegration/imaging"
)

// StampResult reports what StampFile did besides writing the marked file.
type StampResult struct {
	Out  []byte // the marked file
	Type string // its short type: "jpeg", "png" or "pdf"
	// MarkID is the id trace will read from Out: Mark.ID, or the id of a
	// mark the input already carried (a re-send), which is kept.
	MarkID uint64
	// Existing is the mark found in the input before stamping (Found is
	// false for a file that was not marked yet).
	Existing Result
	// Verified is Out traced blind, as `sluice trace` would.
	Verified Result
	// Weak is true when Verified does not name MarkID: the mark just made
	// cannot be read back, even after a stronger second attempt.
	Weak bool
}

// Stamp detects the format by magic bytes and returns the marked file in the
// same format (JPEG at about the input's quality, PNG as PNG, same pixel
// size; PDF with visible and hidden layers) plus its short type. A mark the
// input already carries is kept (see StampFile, which also says whether the
// new mark reads back).
func (m *Marker) Stamp(data []byte, mark Mark) (out []byte, typ string, err error) {
	r, err := m.StampFile(data, mark)
	return r.Out, r.Type, err
}

// StampFile is Stamp with a report: the mark found in the input before
// stamping (kept, so a re-sent file still names its first sender, and the
// caller can link the two sends), and whether the output traces back.
func (m *Marker) StampFile(data []byte, mark Mark) (StampResult, error) {
	if mark.ID == 0 || mark.ID > MaxMarkID {
		return StampResult{}, fmt.Errorf("mark id %d is not between 1 and 2^48-1", mark.ID)
	}
	typ := sniff(data)
	// Only a few stamps run at once, whoever calls: a decoded 12 MP photo
	// takes about 200 MB.
	m.slots <- struct{}{}
	defer func() { <-m.slots }()
	var r StampResult
	var err error
	switch typ {
	case "jpeg", "png":
		r, err = m.stampImage(data, typ, mark)
	case "pdf":
		r, err = m.stampPDF(data, mark)
	case "":
		err = fmt.Errorf("%w: unknown format", ErrUnsupported)
	default:
		err = fmt.Errorf("%w: %s", ErrUnsupported, typ)
	}
	r.Type = typ
	if err != nil {
		return StampResult{Type: typ}, err
	}
	return r, nil
}

// StampImage marks a decoded image in place: the visible text, then the
// hidden payload over it, so both survive. It does not look for an earlier
// mark; StampFile does.
func (m *Marker) StampImage(img *image.NRGBA, mark Mark) error {
	if err := drawVisible(img, VisibleText(mark)); err != nil {
		return err
	}
	signs := m.k.tileSigns(mark.ID)
	embedHidden(img, m.k, &signs)
	return nil
}

func (m *Marker) stampImage(data []byte, typ string, mark Mark) (StampResult, error) {
	src, err := decodeImage(data)
	if err != nil {
		return StampResult{}, err
	}
	var r StampResult
	r.MarkID = mark.ID
	if c, ok := m.k.decodePictureQuick(src); ok {
		r.Existing = Result{Found: true, MarkID: c.id, Confidence: confidence(c), Layer: "image"}
		r.MarkID = c.id
	}
	q := 0
	if typ == "jpeg" {
		q = min(max(jpegQuality(data), 60), 95)
		if q == 60 && jpegQuality(data) == 0 {
			q = 85
		}
	}
	img := imaging.Clone(src)
	src = nil // the decoded file is not needed any more (a 24 MP JPEG holds 72 MB)
	if err := drawVisible(img, VisibleText(mark)); err != nil {
		return StampResult{}, err
	}
	doc := documentLike(img)
	visible := append([]byte(nil), img.Pix...)
	signs := m.k.tileSigns(r.MarkID)
	// atFloor: the first attempt already planned the photo mark at the
	// floor, so a second one would only repeat it.
	atFloor := false
	for attempt := 0; ; attempt++ {
		switch {
		case doc && attempt == 0:
			embedHidden(img, m.k, &signs)
		case attempt == 0:
			atFloor = embedPhoto(img, m.k, &signs, visible)
		default:
			// Second attempt: the informed photo mark at the strength
			// floor (40 dB) at once; for a document whose paper mark did
			// not read back (a small spreadsheet screenshot), too.
			copy(img.Pix, visible)
			embedInformed(img, m.k, &signs, psnrMSE(fallbackPSNR[len(fallbackPSNR)-1]), visible)
		}
		if r.Out, err = encodeLike(img, typ, q); err != nil {
			return StampResult{}, err
		}
		r.Verified = m.verify(r.Out)
		r.Weak = !r.Verified.Found || r.Verified.MarkID != r.MarkID
		if !r.Weak || attempt == 1 || atFloor {
			return r, nil
		}
	}
}

// verify traces a freshly marked image file with the quick search.
func (m *Marker) verify(out []byte) Result {
	img, err := decodeImage(out)
	if err != nil {
		return Result{}
	}
	c, ok := m.k.decodePictureQuick(img)
	if !ok {
		return Result{}
	}
	return Result{Found: true, MarkID: c.id, Confidence: confidence(c), Layer: "image"}
}
