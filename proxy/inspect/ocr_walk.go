package inspect

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// OCR tuning, measured on the screenshots of ocr_screens_test.go (see OCR.md).
const (
	ocrGlyphTarget = 16         // glyph height, in pixels, images are scaled to before recognition
	ocrSqueeze     = 0.8        // horizontal scale relative to vertical: fewer LSTM steps per line
	ocrMaxPixels   = 24_000_000 // largest image handed to Tesseract after scaling
	ocrTextRunes   = 2000       // recognised text kept for reviewers (OCRReport.Text)
	minBandGlyphs  = 6          // a band is at least this many glyph heights tall
)

// ocrState is one scan's OCR bookkeeping; a walker has one when OCR is enabled.
type ocrState struct {
	opt    OCROptions
	langs  string
	parent context.Context
	ctx    context.Context // the OCR budget, started at the first image
	cancel context.CancelFunc
	rep    OCRReport
	text   strings.Builder
	runes  int
	lines  int
	stop   func() bool // the StopWhen hook over the findings so far; nil without one
}

func newOCRState(parent context.Context, o OCROptions) *ocrState {
	o = o.withDefaults()
	return &ocrState{opt: o, langs: strings.Join(o.Languages, "+"), parent: parent}
}

// budget returns the context bounding OCR work, starting its clock on first use.
func (o *ocrState) budget() context.Context {
	if o.ctx == nil {
		o.ctx, o.cancel = context.WithTimeout(o.parent, o.opt.Budget)
	}
	return o.ctx
}

func (o *ocrState) close() {
	if o.cancel != nil {
		o.cancel()
	}
}

// report returns the part's OCR report (text unmasked), or nil when no image was met.
func (o *ocrState) report() *OCRReport {
	if o == nil || o.rep.Images == 0 {
		return nil
	}
	r := o.rep
	r.Text = o.text.String()
	return &r
}

// overBudget is the problem recorded for an image OCR could not finish in time.
func (o *ocrState) overBudget() error {
	if o.parent.Err() != nil {
		return overLimit("time budget exceeded during OCR")
	}
	return corruptKind(KindUninspectable, "OCR time budget of %s exceeded: image text not read", o.opt.Budget)
}

// corruptKind returns a non-fatal problem of the given kind.
func corruptKind(kind, format string, a ...any) error {
	return &problem{kind: kind, detail: fmt.Sprintf(format, a...)}
}

// ocrImage recognises the text of an image part of type typ.
func (w *walker) ocrImage(n node, typ string) error {
	o := w.ocr
	o.rep.Images++
	switch typ {
	case "ico":
		o.rep.Skipped++
		w.addOwn(KindNoText, "icon, no text read", n.loc(""))
		return nil
	case "heic", "heif", "avif":
		return corruptKind(KindUninspectable, "%s images cannot be decoded for OCR", typ)
	}
	if o.rep.Stopped {
		o.rep.Skipped++ // the verdict was reached on an earlier image of this part
		return nil
	}
	start := time.Now()
	if err := o.opt.Engine.acquire(o.budget()); err != nil { // decoding is bounded like recognition
		return o.overBudget()
	}
	img, err := decodeImage(n.r, n.size, o.opt.MaxPixels)
	var g *plane
	if err == nil {
		g = greyOf(img)
	}
	o.opt.Engine.release()
	o.rep.Millis += time.Since(start).Milliseconds()
	if err != nil {
		return err
	}
	return w.ocrPlane(n, "", g)
}

// ocrPlane recognises the text of one decoded image and emits it as OCR segments located
// "<loc> OCR line N".
func (w *walker) ocrPlane(n node, loc string, g *plane) error {
	o := w.ocr
	where := strings.TrimSpace(loc + " OCR")
	if o.rep.Stopped {
		o.rep.Skipped++
		return nil
	}
	if g.w < 24 || g.h < 12 || g.w*g.h < 2400 {
		o.rep.Skipped++
		w.addOwn(KindNoText, fmt.Sprintf("%d×%d image too small to hold text", g.w, g.h), n.loc(loc))
		return nil
	}
	start := time.Now()
	defer func() { o.rep.Millis += time.Since(start).Milliseconds() }()
	fin, err := w.ocrPrepare(n, loc, g)
	if err != nil || fin == nil {
		return err
	}
	workers := cap(o.opt.Engine.slots)
	nb := workers
	if o.stop != nil {
		nb = 2 * workers // smaller bands, read top down: the verdict may come after the first ones
	}
	bs := bands(fin, nb, int(minBandGlyphs*ocrGlyphTarget))
	read, stopped, err := w.runBands(n, where, fin, bs, workers)
	if err != nil {
		return err
	}
	if stopped {
		o.rep.Stopped = true
	}
	o.rep.Read++
	if !read {
		w.addOwn(KindNoText, "OCR found no text in this image", n.loc(loc))
	}
	return nil
}

// ocrPrepare normalises, checks, scales and deskews an image for recognition, holding a
// worker slot (so the pool bounds this work and its memory too). It returns nil when the
// image shows no lines of text (recorded as no_text).
func (w *walker) ocrPrepare(n node, loc string, g *plane) (*plane, error) {
	o := w.ocr
	if err := o.opt.Engine.acquire(o.budget()); err != nil {
		return nil, o.overBudget()
	}
	defer o.opt.Engine.release()
	// The text-likelihood check runs on a copy shrunk to a few megapixels, so a photo is
	// turned away before the full-size image is normalised.
	k := 1
	if px := g.w * g.h; px > checkPixels {
		k = int(math.Ceil(math.Sqrt(float64(px) / checkPixels)))
	}
	small := g
	if k > 1 {
		small = boxShrink(g, k, k)
	}
	norm := normalize(small)
	lay := analyse(norm)
	lay.glyphH *= float64(k)
	if !lay.textLike() {
		o.rep.Skipped++
		w.addOwn(KindNoText, "image shows no lines of text (photo or graphic), not OCR'd", n.loc(loc))
		return nil, nil
	}
	sy := ocrGlyphTarget / math.Max(lay.glyphH, 1)
	sy = math.Max(0.5, math.Min(3, sy))
	if sy > 0.85 && sy < 1.2 {
		sy = 1
	}
	sx := sy * ocrSqueeze
	if px := float64(g.w) * sx * float64(g.h) * sy; px > ocrMaxPixels {
		f := math.Sqrt(ocrMaxPixels / px)
		sx, sy = sx*f, sy*f
	}
	if k > 1 {
		norm = normalize(g)
	}
	angle := lay.angle
	if math.Abs(angle) < 0.4*math.Pi/180 {
		angle = 0
	}
	return resample(norm, sx, sy, angle), nil
}

// bandResult is the outcome of one band.
type bandResult struct {
	lines []string
	err   error
}

// runBands recognises the bands of fin, at most workers at a time, and emits their lines
// in band order as they complete. After each band it asks the StopWhen hook whether the
// verdict is reached; if so the other bands are cancelled (stopped = true).
func (w *walker) runBands(n node, where string, fin *plane, bs [][2]int, workers int) (read, stopped bool, err error) {
	o := w.ocr
	ctx, cancel := context.WithCancel(o.budget())
	defer cancel()
	results := make([]chan bandResult, len(bs))
	for i := range results {
		results[i] = make(chan bandResult, 1)
	}
	go func() { // launch bands top down, workers at a time
		sem := make(chan struct{}, workers)
		for i, b := range bs {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				for j := i; j < len(bs); j++ {
					results[j] <- bandResult{err: ctx.Err()}
				}
				return
			}
			img := fin.crop(b[0], b[1]).pgm()
			go func() {
				words, err := o.opt.Engine.runBand(ctx, o.langs, img)
				results[i] <- bandResult{ocrLines(words), err}
				<-sem
			}()
		}
	}()
	var errs []error
	for i := range bs {
		r := <-results[i]
		for _, l := range r.lines {
			read = true
			if err := w.emitOCR(n, where, l); err != nil {
				return read, false, err
			}
		}
		if r.err != nil {
			errs = append(errs, r.err)
			continue
		}
		if o.stop != nil && i < len(bs)-1 && o.stop() {
			return read, true, nil
		}
	}
	if err := errors.Join(errs...); err != nil {
		switch {
		case o.budget().Err() != nil:
			return read, false, o.overBudget()
		case errors.Is(err, ErrOCRMissing):
			return read, false, corruptKind(KindUninspectable, "%v", err)
		}
		return read, false, corruptKind(KindUninspectable, "OCR failed: %v", err)
	}
	return read, false, nil
}

// emitOCR hands one recognised line to the sink and keeps it for the report.
func (w *walker) emitOCR(n node, where, line string) error {
	o := w.ocr
	o.lines++
	if o.runes < ocrTextRunes {
		if o.text.Len() > 0 {
			o.text.WriteByte('\n')
		}
		for _, r := range line {
			if o.runes >= ocrTextRunes {
				break
			}
			o.text.WriteRune(r)
			o.runes++
		}
	}
	return w.emitSeg(n, where+" line "+strconv.Itoa(o.lines), line, true)
}

// ocrLines turns the words of one recognised band into text lines, in reading order: the
// words of a line left to right, joined by a tab where the gap is wider than the line is
// tall (a table column), by nothing between two CJK characters, else by a space.
func ocrLines(words []ocrWord) []string {
	type key struct{ block, par, line int }
	var order []key
	byLine := map[key][]ocrWord{}
	for _, wd := range words {
		k := key{wd.block, wd.par, wd.lnum}
		if _, ok := byLine[k]; !ok {
			order = append(order, k)
		}
		byLine[k] = append(byLine[k], wd)
	}
	var out []string
	for _, k := range order {
		ws := byLine[k]
		sort.SliceStable(ws, func(i, j int) bool { return ws[i].left < ws[j].left })
		hs := make([]int, len(ws))
		for i, wd := range ws {
			hs[i] = wd.h
		}
		sort.Ints(hs)
		lineH := hs[len(hs)/2]
		var b strings.Builder
		for i, wd := range ws {
			if i > 0 {
				prev := ws[i-1]
				gap := wd.left - (prev.left + prev.w)
				last, _ := utf8.DecodeLastRuneInString(prev.text)
				first, _ := utf8.DecodeRuneInString(wd.text)
				switch {
				case gap > lineH*6/5:
					b.WriteByte('\t')
				case isCJK(last) && isCJK(first):
				default:
					b.WriteByte(' ')
				}
			}
			b.WriteString(wd.text)
		}
		if s := strings.TrimSpace(b.String()); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// isCJK reports whether r is a Han character or CJK/full-width punctuation.
func isCJK(r rune) bool {
	return isHan(r) || (r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF)
}
