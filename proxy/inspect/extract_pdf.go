package inspect

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/pdfcpu/pdfcpu/pkg/filter"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

var (
	pdfConfOnce sync.Once
	pdfConfBase *model.Configuration
)

// pdfConf returns a fresh pdfcpu configuration for reading untrusted files, with
// stream sizes bounded by the part's uncompressed budget.
func pdfConf(lim Limits) *model.Configuration {
	pdfConfOnce.Do(func() { pdfConfBase = model.NewDefaultConfiguration() })
	c := *pdfConfBase
	c.ValidationMode = model.ValidationRelaxed
	c.Limits.MaxDecodeBytes = min(c.Limits.MaxDecodeBytes, lim.MaxTotal)
	c.Limits.MaxStreamBytes = min(c.Limits.MaxStreamBytes, lim.MaxTotal)
	return &c
}

// decodeStream decodes one stream within what is left of the uncompressed budget.
func (w *walker) decodeStream(sd *types.StreamDict) error {
	left := w.b.lim.MaxTotal - w.b.total
	if err := sd.DecodeWithLimit(max(left, 1)); err != nil {
		if errors.Is(err, filter.ErrDecodeLimitExceeded) {
			return overLimit("PDF stream inflates to more than %d MiB uncompressed in total", w.b.lim.MaxTotal>>20)
		}
		return err
	}
	w.b.total += int64(len(sd.Content))
	return nil
}

// pageContent returns the decoded content streams of a page, concatenated.
func (w *walker) pageContent(x *model.XRefTable, d types.Dict) ([]byte, error) {
	o, ok := d.Find("Contents")
	if !ok {
		return nil, nil
	}
	o, err := x.Dereference(o)
	if err != nil {
		return nil, err
	}
	var sds []*types.StreamDict
	switch o := o.(type) {
	case types.StreamDict:
		sds = append(sds, &o)
	case types.Array:
		for _, e := range o {
			if sd, _, err := x.DereferenceStreamDict(e); err == nil && sd != nil {
				sds = append(sds, sd)
			}
		}
	}
	var out []byte
	for _, sd := range sds {
		if err := w.decodeStream(sd); err != nil {
			return nil, err
		}
		out = append(out, sd.Content...)
		out = append(out, '\n')
	}
	return out, nil
}

// maxFormDepth bounds nesting of form XObjects drawn with Do.
const maxFormDepth = 4

// pdf extracts the text shown by every page's content stream (Tj, TJ, ', "), one
// segment per text line located "page N". Fonts with a ToUnicode CMap are decoded
// through it; simple fonts without one are read as WinAnsi; UCS-2 CID encodings as
// UTF-16BE. Identity-encoded CID fonts without ToUnicode cannot be decoded.
func (w *walker) pdf(n node) error {
	before := w.b.text
	err := func() (err error) {
		defer func() {
			if v := recover(); v != nil { // pdfcpu panics on some damaged object graphs
				err = corrupt("pdf parser failed on malformed input: %v", v)
			}
		}()
		return w.pdfParsed(n)
	}()
	var p *problem
	if err == nil || !errors.As(err, &p) || p.fatal || p.kind != KindUninspectable || w.b.text != before {
		return err
	}
	found, rerr := w.pdfRawText(n)
	if rerr != nil {
		return rerr
	}
	if found > 0 {
		return corrupt("%s (text recovered from %d raw content streams)", p.detail, found)
	}
	return err
}

// maxPDFObjects bounds the objects of a PDF given to the parser (about 4 KB of memory each); a PDF
// with more cannot be inspected.
const maxPDFObjects = 50_000

var objStmN = regexp.MustCompile(`/Type\s*/ObjStm[^>]*?/N\s+(\d+)|/N\s+(\d+)[^>]*?/Type\s*/ObjStm`)

// pdfObjects counts the objects of a PDF from its bytes: every "endobj", plus the /N of every object stream.
func pdfObjects(n node) int64 {
	var count int64
	buf := make([]byte, 1<<20)
	for off := int64(0); off < n.size; off += int64(len(buf)) - 256 { // windows overlap by 256 bytes
		k, _ := n.r.ReadAt(buf, off)
		win := buf[:k]
		if off > 0 {
			win = win[min(256, len(win)):] // the overlap was counted in the previous window
		}
		count += int64(bytes.Count(win, []byte("endobj")))
		for _, m := range objStmN.FindAllSubmatchIndex(buf[:k], -1) {
			if off > 0 && m[0] < 256 {
				continue // begins in the overlap: counted in the previous window
			}
			lo, hi := m[2], m[3] // the first alternative's number, or the second's
			if lo < 0 {
				lo, hi = m[4], m[5]
			}
			digits := buf[lo:hi]
			v, _ := strconv.ParseInt(string(digits), 10, 64)
			count += v
		}
		if k < len(buf) {
			break
		}
	}
	return count
}

// pdfParsed extracts text through pdfcpu's object model.
func (w *walker) pdfParsed(n node) error {
	if c := pdfObjects(n); c > maxPDFObjects {
		return overLimit("PDF has %d objects, more than the %d that may be parsed", c, maxPDFObjects)
	}
	rs := io.NewSectionReader(n.r, 0, n.size)
	ctx, err := pdfcpu.ReadWithContext(w.b.ctx, rs, pdfConf(w.b.lim))
	if err != nil {
		if cerr := w.b.check(); cerr != nil {
			return cerr
		}
		if errors.Is(err, pdfcpu.ErrWrongPassword) || strings.Contains(strings.ToLower(err.Error()), "password") {
			return encrypted("PDF is password protected")
		}
		if pdfHasEncrypt(n) {
			return encrypted("PDF is encrypted (%v)", err)
		}
		return corrupt("corrupt or truncated PDF: %v", err)
	}
	if err := ctx.EnsurePageCount(); err != nil {
		return corrupt("PDF page tree unreadable: %v", err)
	}
	var pages []types.Dict
	for p := 1; p <= ctx.PageCount; p++ {
		if err := w.b.check(); err != nil {
			return err
		}
		before := w.b.text
		d, _, inh, err := ctx.PageDict(p, false) // true would decode content with no size limit
		if err != nil || d == nil {
			return corrupt("PDF page %d unreadable: %v", p, err)
		}
		pages = append(pages, d)
		content, err := w.pageContent(ctx.XRefTable, d)
		if err != nil {
			if isFatal(err) {
				return err
			}
			return corrupt("PDF page %d content unreadable: %v", p, err)
		}
		res := d.DictEntry("Resources")
		if inh != nil && inh.Resources != nil {
			res = inh.Resources
		}
		pt := &pdfText{w: w, n: n, x: ctx.XRefTable, loc: "page " + strconv.Itoa(p), fonts: map[string]*pdfFont{}}
		if err := pt.run(content, res, 0); err != nil {
			return err
		}
		if err := pt.flush(); err != nil {
			return err
		}
		if w.ocr != nil && w.b.text == before { // no text layer on this page: read its images
			if err := w.pdfPageImages(n, ctx.XRefTable, res, p); err != nil {
				return err
			}
		}
	}
	return w.pdfExtras(n, ctx.XRefTable, pages)
}

// pdfHasEncrypt looks for an /Encrypt entry in the trailer area of a PDF.
func pdfHasEncrypt(n node) bool {
	off := max(0, n.size-64<<10)
	tail := make([]byte, n.size-off)
	k, _ := n.r.ReadAt(tail, off)
	return bytes.Contains(tail[:k], []byte("/Encrypt"))
}

// pdfFont is what is needed to turn a font's string bytes into text.
type pdfFont struct {
	cmap    *toUnicode         // from the ToUnicode stream, if any
	twoByte bool               // composite (Type0) font: codes are 2 bytes
	ucs2    bool               // predefined UCS-2/UTF-16 CMap: codes are Unicode
	widths  map[uint32]float64 // glyph widths in 1/1000 em, when the font declares them
	dw      float64            // default width of a composite font's glyphs
}

// pdfText runs one content stream, collecting text into lines.
type pdfText struct {
	w     *walker
	n     node
	x     *model.XRefTable
	loc   string
	fonts map[string]*pdfFont
	font  *pdfFont
	line  strings.Builder
	pos   textLayout
}

// flush emits the current line.
func (t *pdfText) flush() error {
	s := t.line.String()
	t.line.Reset()
	return t.w.emit(t.n, t.loc, s)
}

// setFont selects the font resource name from the current resources.
func (t *pdfText) setFont(res types.Dict, name string) {
	if f, ok := t.fonts[name]; ok {
		t.font = f
		return
	}
	f := &pdfFont{}
	t.fonts[name] = f
	t.font = f
	if t.x == nil {
		return // raw recovery: no object table, simple-font decoding only
	}
	fonts, err := t.x.DereferenceDict(res["Font"])
	if err != nil || fonts == nil {
		return
	}
	fd, err := t.x.DereferenceDict(fonts[name])
	if err != nil || fd == nil {
		return
	}
	if st := fd.Subtype(); st != nil && *st == "Type0" {
		f.twoByte = true
		if enc := fd.NameEntry("Encoding"); enc != nil && (strings.Contains(*enc, "UCS2") || strings.Contains(*enc, "UTF16")) {
			f.ucs2 = true
		}
		t.cidWidths(f, fd)
	} else {
		t.simpleWidths(f, fd)
	}
	if o, ok := fd.Find("ToUnicode"); ok {
		sd, _, err := t.x.DereferenceStreamDict(o)
		if err == nil && sd != nil && t.w.decodeStream(sd) == nil {
			f.cmap = parseToUnicode(sd.Content)
		}
	}
}

// decode turns the bytes of a shown string into text with the current font.
func (t *pdfText) decode(s []byte) {
	f := t.font
	if f == nil {
		f = &pdfFont{}
	}
	switch {
	case f.cmap != nil:
		f.cmap.decode(s, f.twoByte, &t.line)
	case f.ucs2:
		t.line.Write(decodeHead(s, encUTF16BE))
	case f.twoByte:
		// Identity-encoded CIDs without ToUnicode: glyph ids, not text.
	default:
		t.line.Write(decodeHead(s, encLatin1))
	}
}

// form runs a form XObject drawn with Do, bounded in depth.
func (t *pdfText) form(res types.Dict, name string, depth int) error {
	if depth >= maxFormDepth {
		return nil
	}
	xo, err := t.x.DereferenceDict(res["XObject"])
	if err != nil || xo == nil {
		return nil
	}
	sd, _, err := t.x.DereferenceStreamDict(xo[name])
	if err != nil || sd == nil {
		return nil
	}
	if st := sd.Subtype(); st == nil || *st != "Form" {
		return nil
	}
	if err := t.w.decodeStream(sd); err != nil {
		if isFatal(err) {
			return err
		}
		return nil
	}
	fres := res
	if r, err := t.x.DereferenceDict(sd.Dict["Resources"]); err == nil && r != nil {
		fres = r
	}
	saved := t.fonts
	t.fonts = map[string]*pdfFont{}
	defer func() { t.fonts = saved }()
	return t.run(sd.Content, fres, depth+1)
}
