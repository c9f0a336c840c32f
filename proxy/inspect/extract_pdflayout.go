package inspect

import (
	"math"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// matrix is a PDF transformation matrix [a b c d e f].
type matrix [6]float64

var identity = matrix{1, 0, 0, 1, 0, 0}

// mul returns m × n.
func (m matrix) mul(n matrix) matrix {
	return matrix{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

// textLayout follows where text is placed so that text at the same height becomes one
// line (table cells drawn separately included) and glyphs placed one by one are joined.
type textLayout struct {
	ctm      matrix
	stack    []matrix
	tlm      matrix // text line matrix
	size     float64
	leading  float64
	lineY    float64
	haveLine bool
	runX     float64 // user-space x where the current contiguous run started
	runAdv   float64 // estimated advance of that run, in user space
	moved    bool    // a positioning operator ran since the last shown string
}

func (p *textLayout) reset() {
	*p = textLayout{ctm: identity, tlm: identity, size: 1, stack: p.stack[:0]}
}

// origin returns the user-space position of the current line start and the font's em size.
func (p *textLayout) origin() (x, y, em float64) {
	m := p.tlm.mul(p.ctm)
	em = p.size * math.Hypot(m[2], m[3])
	if em == 0 {
		em = p.size
	}
	return m[4], m[5], math.Abs(em)
}

// translate moves the line start by (tx, ty) in text space (Td).
func (p *textLayout) translate(tx, ty float64) {
	p.tlm = matrix{1, 0, 0, 1, tx, ty}.mul(p.tlm)
	p.moved = true
}

// beforeShow decides, before a string is shown, whether a new line starts (flush) or
// which separator joins it to the text already on the line.
func (t *pdfText) beforeShow() error {
	p := &t.pos
	x, y, em := p.origin()
	switch {
	case !p.haveLine:
		p.haveLine, p.lineY = true, y
	case math.Abs(y-p.lineY) > math.Max(0.3*em, 0.5):
		if err := t.flush(); err != nil {
			return err
		}
		p.haveLine, p.lineY = true, y
	case p.moved && t.line.Len() > 0:
		gap := x - (p.runX + p.runAdv)
		if gap > 0.15*em || x < p.runX {
			t.line.WriteByte(' ')
		}
	}
	if p.moved || t.line.Len() == 0 {
		p.runX, p.runAdv = x, 0
	}
	p.moved = false
	return nil
}

// afterShow adds the width of the text just shown to the current run: from the font's
// widths when it declares them, else estimated from the characters.
func (t *pdfText) afterShow(start int, shown ...[]byte) {
	_, _, em := t.pos.origin()
	if len(shown) > 0 {
		total, known := 0.0, true
		for _, s := range shown {
			w, ok := t.font.advance(s)
			total, known = total+w, known && ok
		}
		if known {
			t.pos.runAdv += total * em
			return
		}
	}
	for _, r := range t.line.String()[start:] {
		if r >= 0x2E80 {
			t.pos.runAdv += em // CJK and full-width forms are one em wide
		} else {
			t.pos.runAdv += 0.5 * em
		}
	}
}

// show places and decodes one shown string (Tj, ', ").
func (t *pdfText) show(s []byte) error {
	if err := t.beforeShow(); err != nil {
		return err
	}
	start := t.line.Len()
	t.decode(s)
	t.afterShow(start, s)
	return nil
}

// run interprets the text and graphics-state operators of one content stream.
func (t *pdfText) run(content []byte, res types.Dict, depth int) error {
	if depth == 0 || t.pos.size == 0 {
		t.pos.reset()
	}
	l := &pdfLex{b: content}
	var ops []pdfTok
	steps := 0
	num := func(k int) float64 { // k-th operand from the end (1 = last)
		if len(ops) >= k && ops[len(ops)-k].kind == 'n' {
			return ops[len(ops)-k].num
		}
		return 0
	}
	for {
		tok := l.next()
		if tok.kind == 0 {
			return nil
		}
		if tok.kind != 'o' {
			if len(ops) >= 16 {
				ops = ops[1:]
			}
			ops = append(ops, tok)
			continue
		}
		if steps++; steps&4095 == 0 {
			if err := t.w.b.check(); err != nil {
				return err
			}
		}
		var err error
		last := pdfTok{}
		if len(ops) > 0 {
			last = ops[len(ops)-1]
		}
		p := &t.pos
		switch string(tok.s) {
		case "q":
			if len(p.stack) < 64 {
				p.stack = append(p.stack, p.ctm)
			}
		case "Q":
			if n := len(p.stack); n > 0 {
				p.ctm, p.stack = p.stack[n-1], p.stack[:n-1]
			}
		case "cm":
			if len(ops) >= 6 {
				p.ctm = matrix{num(6), num(5), num(4), num(3), num(2), num(1)}.mul(p.ctm)
			}
		case "BT":
			p.tlm, p.moved = identity, true
		case "Tf":
			if len(ops) >= 2 && ops[len(ops)-2].kind == '/' {
				t.setFont(res, string(ops[len(ops)-2].s))
			}
			if s := num(1); s != 0 {
				p.size = math.Abs(s)
			}
		case "TL":
			p.leading = num(1)
		case "Td":
			p.translate(num(2), num(1))
		case "TD":
			p.leading = -num(1)
			p.translate(num(2), num(1))
		case "Tm":
			if len(ops) >= 6 {
				p.tlm = matrix{num(6), num(5), num(4), num(3), num(2), num(1)}
				p.moved = true
			}
		case "T*":
			p.translate(0, -p.leading)
		case "Tj":
			if last.kind == 's' {
				err = t.show(last.s)
			}
		case "'", "\"":
			p.translate(0, -p.leading)
			if last.kind == 's' {
				err = t.show(last.s)
			}
		case "TJ":
			err = t.showArray(last.arr)
		case "Do":
			if last.kind == '/' {
				if err = t.flush(); err == nil {
					saved := *p
					saved.stack = nil
					err = t.form(res, string(last.s), depth)
					p.ctm, p.tlm, p.size, p.haveLine = saved.ctm, saved.tlm, saved.size, false
				}
			}
		case "BI":
			l.skipInlineImage()
		}
		if err != nil {
			return err
		}
		ops = ops[:0]
	}
}

// showArray shows a TJ array: large negative adjustments are word gaps.
func (t *pdfText) showArray(arr []pdfTok) error {
	if err := t.beforeShow(); err != nil {
		return err
	}
	start := t.line.Len()
	var shown [][]byte
	for _, e := range arr {
		if e.kind == 's' {
			t.decode(e.s)
			shown = append(shown, e.s)
		} else if e.kind == 'n' && e.num < -250 && t.line.Len() > start && !strings.HasSuffix(t.line.String(), " ") {
			t.line.WriteByte(' ')
		}
	}
	t.afterShow(start, shown...)
	return nil
}
