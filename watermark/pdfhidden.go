package watermark

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"image"
	"math"
	"regexp"
	"strconv"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// The content-layer token is 16 bytes: nonce(4) ‖ payload⊕pad(8) ‖ tag(4),
// written as eight 16-bit coordinates of an unpainted path ("n" paints
// nothing) in its own content stream, outside any watermark artifact.
var tokenRE = regexp.MustCompile(`q\s+(\d{1,5})\s+(\d{1,5})\s+m\s+(\d{1,5})\s+(\d{1,5})\s+l\s+(\d{1,5})\s+(\d{1,5})\s+l\s+(\d{1,5})\s+(\d{1,5})\s+l\s+n\s+Q`)

func (k *keyed) pdfPad(nonce []byte) []byte {
	h := hmac.New(sha256.New, subkey(k.key, "sluice-pdf-pad-v1"))
	h.Write(nonce)
	return h.Sum(nil)[:8]
}

func (k *keyed) pdfTag(b []byte) []byte {
	h := hmac.New(sha256.New, subkey(k.key, "sluice-pdf-tag-v1"))
	h.Write(b)
	return h.Sum(nil)[:4]
}

// tokenBytes returns a fresh token for id: nonce(4) ‖ payload⊕pad(8) ‖ tag(4).
func (k *keyed) tokenBytes(id uint64) ([16]byte, error) {
	var t [16]byte
	if _, err := rand.Read(t[:4]); err != nil {
		return t, fmt.Errorf("random nonce: %w", err)
	}
	pad := k.pdfPad(t[:4])
	for i, b := range k.dataBytes(id) {
		t[4+i] = b ^ pad[i]
	}
	copy(t[12:], k.pdfTag(t[:12]))
	return t, nil
}

// checkToken verifies a token and returns its mark id.
func (k *keyed) checkToken(t [16]byte) (uint64, bool) {
	if !hmac.Equal(k.pdfTag(t[:12]), t[12:]) {
		return 0, false
	}
	pad := k.pdfPad(t[:4])
	var d [8]byte
	for i := range d {
		d[i] = t[4+i] ^ pad[i]
	}
	v := binary.BigEndian.Uint64(d[:])
	id := v >> 16
	return id, uint16(v) == k.check16(id)
}

// pdfToken returns the content-stream operators carrying id.
func (k *keyed) pdfToken(id uint64) ([]byte, error) {
	t, err := k.tokenBytes(id)
	if err != nil {
		return nil, err
	}
	n := func(i int) uint16 { return binary.BigEndian.Uint16(t[2*i:]) }
	return fmt.Appendf(nil, "q %d %d m %d %d l %d %d l %d %d l n Q\n", n(0), n(1), n(2), n(3), n(4), n(5), n(6), n(7)), nil
}

// textToken returns a fresh token for id as 32 hex digits, for the
// invisible text line (see hiddenTextOps).
func (k *keyed) textToken(id uint64) (string, error) {
	t, err := k.tokenBytes(id)
	return fmt.Sprintf("%X", t[:]), err
}

// findToken scans content for a valid token and returns its mark id.
func (k *keyed) findToken(content []byte) (uint64, bool) {
	for _, mm := range tokenRE.FindAllSubmatch(content, 64) {
		var t [16]byte
		ok := true
		for i := 0; i < 8; i++ {
			v, err := strconv.Atoi(string(mm[1+i]))
			if err != nil || v > math.MaxUint16 {
				ok = false
				break
			}
			binary.BigEndian.PutUint16(t[2*i:], uint16(v))
		}
		if !ok {
			continue
		}
		if id, ok := k.checkToken(t); ok {
			return id, true
		}
	}
	return 0, false
}

// textTokenRE finds runs of hex digits in extracted text.
var textTokenRE = regexp.MustCompile(`[0-9A-F]{32,}`)

// findTextToken scans extracted text for a valid text token. Extractors
// may break the invisible line anywhere, so white space is ignored and
// every 32-digit window of a longer run is tried.
func (k *keyed) findTextToken(text []byte) (uint64, bool) {
	text = bytes.Join(bytes.Fields(text), nil)
	for _, run := range textTokenRE.FindAll(text, 64) {
		for i := 0; i+32 <= len(run) && i < 256; i++ {
			var t [16]byte
			if _, err := hex.Decode(t[:], run[i:i+32]); err != nil {
				continue
			}
			if id, ok := k.checkToken(t); ok {
				return id, true
			}
		}
	}
	return 0, false
}

// renderTile returns the 192×192 grey tile of the page pattern layer: white
// with the image mark pattern pushed below it, so that multiplied onto the
// page it is a faint texture that survives rendering and JPEG.
func (k *keyed) renderTile(id uint64) []byte {
	const n = tileBlocks * 16
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	signs := k.tileSigns(id)
	embedHiddenAt(img, k, &signs, renderStrength)
	g := make([]byte, n*n)
	for i := range g {
		g[i] = img.Pix[4*i]
	}
	return g
}

// addHiddenPDF appends to every page (a) a stream that draws the pattern
// layer (when pattern is true), (b) the invisible token and (c) footer as
// a line of real text (see pdftext.go), after wrapping the original
// content in q/Q so its graphics state cannot leak into ours.
func (m *Marker) addHiddenPDF(ctx *model.Context, id uint64, pattern bool, footer string) error {
	xt := ctx.XRefTable
	var font *types.IndirectRef
	var codes map[rune]byte
	if footer != "" {
		var err error
		if font, codes, err = type3Font(xt, footer+hexDigits); err != nil {
			return err
		}
	}
	tileW := float64(tileBlocks*16) * 72 / renderDPI
	img, err := newStream(xt, m.k.renderTile(id), types.Dict{
		"Type": types.Name("XObject"), "Subtype": types.Name("Image"),
		"Width": types.Integer(tileBlocks * 16), "Height": types.Integer(tileBlocks * 16),
		"ColorSpace": types.Name("DeviceGray"), "BitsPerComponent": types.Integer(8),
	})
	if err != nil {
		return err
	}
	pat, err := newStream(xt, fmt.Appendf(nil, "q %.4f 0 0 %.4f 0 0 cm /SlIm Do Q\n", tileW, tileW), types.Dict{
		"Type": types.Name("Pattern"), "PatternType": types.Integer(1), "PaintType": types.Integer(1),
		"TilingType": types.Integer(1), "BBox": types.NewNumberArray(0, 0, tileW, tileW),
		"XStep": types.Float(tileW), "YStep": types.Float(tileW),
		"Resources": types.Dict{"XObject": types.Dict{"SlIm": *img}},
	})
	if err != nil {
		return err
	}
	gs, err := xt.IndRefForNewObject(types.Dict{"Type": types.Name("ExtGState"), "BM": types.Name("Multiply")})
	if err != nil {
		return fmt.Errorf("PDF pattern state: %w", err)
	}
	pre, err := newStream(xt, []byte("q\n"), types.Dict{})
	if err != nil {
		return err
	}
	post, err := newStream(xt, []byte("Q\n"), types.Dict{})
	if err != nil {
		return err
	}
	pbs, err := xt.PageBoundaries(nil)
	if err != nil {
		return fmt.Errorf("%w: page boundaries: %v", ErrCorrupt, err)
	}
	for p := 1; p <= ctx.PageCount; p++ {
		d, _, inh, err := xt.PageDict(p, false)
		if err != nil || d == nil {
			return fmt.Errorf("%w: page %d: %v", ErrCorrupt, p, err)
		}
		mb := pbs[p-1].MediaBox()
		tok, err := m.k.pdfToken(id)
		if err != nil {
			return err
		}
		body := tok
		if pattern {
			body = fmt.Appendf(nil, "q /SlGs gs /Pattern cs /SlPat scn %.2f %.2f %.2f %.2f re f Q\n%s",
				mb.LL.X, mb.LL.Y, mb.Width(), mb.Height(), tok)
		}
		if font != nil {
			body = append(body, footerOps(footer, codes, mb.LL.X+24, mb.LL.Y+12)...)
			tt, err := m.k.textToken(id)
			if err != nil {
				return err
			}
			// At the top margin, away from the footer line, so extractors
			// keep the footer on one line.
			body = append(body, hiddenTextOps(tt, codes, mb.LL.X+24, mb.UR.Y-8)...)
		}
		ours, err := newStream(xt, body, types.Dict{})
		if err != nil {
			return err
		}
		if err := wrapContents(xt, d, pre, post, ours); err != nil {
			return fmt.Errorf("%w: page %d: %v", ErrCorrupt, p, err)
		}
		res := []resource{{"ExtGState", "SlGs", *gs}, {"Pattern", "SlPat", *pat}}
		if font != nil {
			res = append(res, resource{"Font", "SlFt", *font})
		}
		if err := addPageResources(xt, d, inh, res); err != nil {
			return fmt.Errorf("%w: page %d resources: %v", ErrCorrupt, p, err)
		}
	}
	return nil
}

// newStream adds a Flate-compressed stream object and returns its reference.
func newStream(xt *model.XRefTable, content []byte, d types.Dict) (*types.IndirectRef, error) {
	sd, err := xt.NewStreamDictForBuf(content)
	if err != nil {
		return nil, fmt.Errorf("PDF stream: %w", err)
	}
	for k, v := range d {
		sd.Insert(k, v)
	}
	if err := sd.Encode(); err != nil {
		return nil, fmt.Errorf("PDF stream: %w", err)
	}
	ref, err := xt.IndRefForNewObject(*sd)
	if err != nil {
		return nil, fmt.Errorf("PDF stream: %w", err)
	}
	return ref, nil
}

// wrapContents sets the page's Contents to [pre, old..., post, ours].
func wrapContents(xt *model.XRefTable, d types.Dict, pre, post, ours *types.IndirectRef) error {
	arr := types.Array{*pre}
	if o, found := d.Find("Contents"); found && o != nil {
		obj, err := xt.Dereference(o)
		if err != nil {
			return err
		}
		switch c := obj.(type) {
		case types.Array:
			arr = append(arr, c...)
		case types.StreamDict:
			arr = append(arr, o)
		}
	}
	arr = append(arr, *post, *ours)
	d.Update("Contents", arr)
	return nil
}

// resource is one named entry of a page's Resources (category, name).
type resource struct {
	cat, name string
	ref       types.IndirectRef
}

// addPageResources gives the page its own Resources dict (a copy of the
// effective one) with ours added.
func addPageResources(xt *model.XRefTable, d types.Dict, inh *model.InheritedPageAttrs, add []resource) error {
	res := types.Dict{}
	var src types.Dict
	if o, found := d.Find("Resources"); found {
		r, err := xt.DereferenceDict(o)
		if err != nil {
			return err
		}
		src = r
	} else if inh != nil {
		src = inh.Resources
	}
	for k, v := range src {
		res[k] = v
	}
	for _, e := range add {
		sub := types.Dict{}
		if o, found := res.Find(e.cat); found {
			r, err := xt.DereferenceDict(o)
			if err != nil {
				return err
			}
			for k, v := range r {
				sub[k] = v
			}
		}
		sub[e.name] = e.ref
		res[e.cat] = sub
	}
	d.Update("Resources", res)
	return nil
}

// decodePDF looks for the content-layer token on each page.
func (m *Marker) decodePDF(data []byte) (res Result, err error) {
	ctx, err := readPDF(data, false)
	if err != nil {
		return Result{}, err
	}
	defer func() {
		if r := recover(); r != nil {
			res, err = Result{}, fmt.Errorf("%w: pdf parser failed: %v", ErrCorrupt, r)
		}
	}()
	if id, ok := m.findPDFToken(ctx); ok {
		return Result{Found: true, MarkID: id, Confidence: 1, Layer: "pdf-content"}, nil
	}
	if r := m.decodePDFText(data); r.Found {
		return r, nil
	}
	if r := m.decodePDFImages(data); r.Found {
		return r, nil
	}
	return m.decodePDFRender(data)
}

// findPDFToken returns the id of the first valid content token, page by page.
func (m *Marker) findPDFToken(ctx *model.Context) (uint64, bool) {
	for p := 1; p <= ctx.PageCount && p <= MaxPDFPages; p++ {
		d, _, _, err := ctx.PageDict(p, false)
		if err != nil || d == nil {
			continue
		}
		content, err := ctx.PageContent(d, p)
		if err != nil {
			continue
		}
		if id, ok := m.k.findToken(content); ok {
			return id, true
		}
	}
	return 0, false
}
