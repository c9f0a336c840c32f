package watermark

import (
	"bytes"
	"fmt"
	"unicode/utf16"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// The visible mark's text is also written as real text in a footer line on
// every page, so it shows in pdftotext and survives tools that drop images
// (gs -dFILTERIMAGE). Chinese needs a font: a Type 3 font whose glyphs are
// the embedded font's outlines for just the characters used, with a
// ToUnicode map, so no font file is embedded and any renderer draws it.
const (
	footerSize = 8.0 // pt
	footerGrey = 0.45
)

// type3Font builds the font for text; codes maps each rune to its one-byte
// character code (1…255).
func type3Font(xt *model.XRefTable, text string) (ref *types.IndirectRef, codes map[rune]byte, err error) {
	f, err := parsedFont()
	if err != nil {
		return nil, nil, err
	}
	var buf sfnt.Buffer
	const ppem = 1000 // glyph space: 1000 units per em, as FontMatrix says
	codes = map[rune]byte{}
	procs := types.Dict{}
	var diffs types.Array
	var widths types.Array
	var cmap bytes.Buffer
	n := 0
	for _, r := range text {
		if _, ok := codes[r]; ok {
			continue
		}
		if n == 255 {
			break
		}
		gi, err := f.GlyphIndex(&buf, r)
		if err != nil || gi == 0 {
			continue // not in the font: left out of the footer
		}
		adv, err := f.GlyphAdvance(&buf, gi, fixed.I(ppem), font.HintingNone)
		if err != nil {
			continue
		}
		segs, err := f.LoadGlyph(&buf, gi, fixed.I(ppem), nil)
		if err != nil {
			continue
		}
		n++
		codes[r] = byte(n)
		w := float64(adv) / 64
		var p bytes.Buffer
		b := segs.Bounds()
		// d1: an uncoloured glyph, painted in the text's fill colour.
		fmt.Fprintf(&p, "%.0f 0 %.0f %.0f %.0f %.0f d1\n", w, float64(b.Min.X)/64, -float64(b.Max.Y)/64, float64(b.Max.X)/64, -float64(b.Min.Y)/64)
		glyphPath(&p, segs)
		name := fmt.Sprintf("g%d", n)
		proc, err := newStream(xt, p.Bytes(), types.Dict{})
		if err != nil {
			return nil, nil, err
		}
		procs[name] = *proc
		diffs = append(diffs, types.Name(name))
		widths = append(widths, types.Float(w))
		u := utf16.Encode([]rune{r})
		fmt.Fprintf(&cmap, "<%02X> <", n)
		for _, c := range u {
			fmt.Fprintf(&cmap, "%04X", c)
		}
		cmap.WriteString(">\n")
	}
	if n == 0 {
		return nil, nil, fmt.Errorf("no glyph of %q in the mark font", text)
	}
	uni, err := newStream(xt, fmt.Appendf(nil, `/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<00> <FF>
endcodespacerange
%d beginbfchar
%sendbfchar
endcmap
CMapName currentdict /CMap defineresource pop
end
end
`, n, cmap.Bytes()), types.Dict{})
	if err != nil {
		return nil, nil, err
	}
	ref, err = xt.IndRefForNewObject(types.Dict{
		"Type": types.Name("Font"), "Subtype": types.Name("Type3"),
		"FontBBox":   types.NewNumberArray(0, -200, 1000, 900),
		"FontMatrix": types.NewNumberArray(0.001, 0, 0, 0.001, 0, 0),
		"CharProcs":  procs,
		"Encoding":   types.Dict{"Type": types.Name("Encoding"), "Differences": append(types.Array{types.Integer(1)}, diffs...)},
		"FirstChar":  types.Integer(1), "LastChar": types.Integer(n), "Widths": widths,
		"ToUnicode": *uni, "Resources": types.Dict{},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("PDF font: %w", err)
	}
	return ref, codes, nil
}

// glyphPath writes sfnt segments (y down, 26.6) as a PDF path in glyph
// space (y up), quadratic curves raised to cubic, then fills it.
func glyphPath(p *bytes.Buffer, segs sfnt.Segments) {
	pt := func(v fixed.Point26_6) (float64, float64) { return float64(v.X) / 64, -float64(v.Y) / 64 }
	var cx, cy float64
	for _, s := range segs {
		switch s.Op {
		case sfnt.SegmentOpMoveTo:
			cx, cy = pt(s.Args[0])
			fmt.Fprintf(p, "%.1f %.1f m\n", cx, cy)
		case sfnt.SegmentOpLineTo:
			cx, cy = pt(s.Args[0])
			fmt.Fprintf(p, "%.1f %.1f l\n", cx, cy)
		case sfnt.SegmentOpQuadTo:
			qx, qy := pt(s.Args[0])
			x, y := pt(s.Args[1])
			fmt.Fprintf(p, "%.1f %.1f %.1f %.1f %.1f %.1f c\n", cx+2*(qx-cx)/3, cy+2*(qy-cy)/3, x+2*(qx-x)/3, y+2*(qy-y)/3, x, y)
			cx, cy = x, y
		case sfnt.SegmentOpCubeTo:
			x1, y1 := pt(s.Args[0])
			x2, y2 := pt(s.Args[1])
			cx, cy = pt(s.Args[2])
			fmt.Fprintf(p, "%.1f %.1f %.1f %.1f %.1f %.1f c\n", x1, y1, x2, y2, cx, cy)
		}
	}
	p.WriteString("f\n")
}

// footerOps returns the content operators drawing text at (x, y) with
// the font named /SlFt.
func footerOps(text string, codes map[rune]byte, x, y float64) []byte {
	var s bytes.Buffer
	for _, r := range text {
		if c, ok := codes[r]; ok {
			fmt.Fprintf(&s, "%02X", c)
		}
	}
	return fmt.Appendf(nil, "q BT /SlFt %.1f Tf %.2f g %.2f %.2f Td <%s> Tj ET Q\n", footerSize, footerGrey, x, y, s.Bytes())
}

// hexDigits are the characters of a text token, added to the footer font.
const hexDigits = "0123456789ABCDEF"

// hiddenTextOps writes tok as invisible text (render mode 3) with the
// footer font: nothing on the page, but text to every extractor and
// rewriter, so the token outlives tools that drop images or unpainted paths
// (Ghostscript keeps text). It is keyed and unforgeable; without the key it
// reads as a serial number.
func hiddenTextOps(tok string, codes map[rune]byte, x, y float64) []byte {
	var s bytes.Buffer
	for _, r := range tok {
		fmt.Fprintf(&s, "%02X", codes[r])
	}
	return fmt.Appendf(nil, "q BT 3 Tr /SlFt 4 Tf %.2f %.2f Td <%s> Tj ET Q\n", x, y, s.Bytes())
}
