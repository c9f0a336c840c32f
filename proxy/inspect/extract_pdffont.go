package inspect

import (
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// maxWidths bounds the glyph width table kept per font.
const maxWidths = 1 << 16

// number dereferences a PDF integer or real.
func (t *pdfText) number(o types.Object) (float64, bool) {
	v, err := t.x.DereferenceNumber(o)
	return v, err == nil
}

// simpleWidths reads /FirstChar and /Widths of a simple font.
func (t *pdfText) simpleWidths(f *pdfFont, fd types.Dict) {
	first, ok := t.number(fd["FirstChar"])
	if !ok || first < 0 {
		return
	}
	ws, err := t.x.DereferenceArray(fd["Widths"])
	if err != nil {
		return
	}
	f.widths = map[uint32]float64{}
	for i, o := range ws[:min(len(ws), 256)] {
		if w, ok := t.number(o); ok {
			f.widths[uint32(first)+uint32(i)] = w
		}
	}
}

// cidWidths reads /DW and /W of a composite font's descendant CIDFont. Codes are taken
// as CIDs (true for Identity-H, the encoding of nearly all embedded CJK fonts).
func (t *pdfText) cidWidths(f *pdfFont, fd types.Dict) {
	f.dw = 1000
	desc, err := t.x.DereferenceArray(fd["DescendantFonts"])
	if err != nil || len(desc) == 0 {
		return
	}
	cf, err := t.x.DereferenceDict(desc[0])
	if err != nil || cf == nil {
		return
	}
	if dw, ok := t.number(cf["DW"]); ok {
		f.dw = dw
	}
	w, err := t.x.DereferenceArray(cf["W"])
	if err != nil {
		return
	}
	f.widths = map[uint32]float64{}
	for i := 0; i+1 < len(w) && len(f.widths) < maxWidths; {
		c0, ok := t.number(w[i])
		if !ok || c0 < 0 {
			return
		}
		if arr, err := t.x.DereferenceArray(w[i+1]); err == nil && arr != nil {
			for k, o := range arr {
				if v, ok := t.number(o); ok && len(f.widths) < maxWidths {
					f.widths[uint32(c0)+uint32(k)] = v
				}
			}
			i += 2
			continue
		}
		if i+2 >= len(w) {
			return
		}
		c1, ok1 := t.number(w[i+1])
		v, ok2 := t.number(w[i+2])
		if !ok1 || !ok2 || c1 < c0 {
			return
		}
		for c := c0; c <= c1 && len(f.widths) < maxWidths; c++ {
			f.widths[uint32(c)] = v
		}
		i += 3
	}
}

// advance returns the width of shown string s in em, or false when the font declares
// no widths.
func (f *pdfFont) advance(s []byte) (float64, bool) {
	if f == nil || f.widths == nil {
		return 0, false
	}
	total := 0.0
	step := 1
	if f.twoByte {
		step = 2
	}
	for i := 0; i+step <= len(s); i += step {
		w, ok := f.widths[codeOf(s[i:i+step])]
		if !ok {
			w = f.dw
			if !f.twoByte {
				w = 500
			}
		}
		total += w / 1000
	}
	return total, true
}
