package inspect

import (
	"strconv"
	"strings"
)

// pdfTok is one token of a PDF content stream or CMap.
type pdfTok struct {
	kind byte   // 'n' number, '/' name, 's' string, 'o' operator, '[' array, 0 end
	s    []byte // string bytes, name or operator
	num  float64
	arr  []pdfTok
}

// pdfLex tokenizes PDF content streams (a subset of PDF syntax sufficient for text).
type pdfLex struct {
	b []byte
	i int
}

func pdfSpace(c byte) bool {
	return c == 0 || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

func pdfDelim(c byte) bool {
	return strings.IndexByte("()<>[]{}/%", c) >= 0
}

// next returns the next token; arrays are returned whole (flattened, bounded).
func (l *pdfLex) next() pdfTok {
	for l.i < len(l.b) {
		c := l.b[l.i]
		switch {
		case pdfSpace(c):
			l.i++
		case c == '%':
			for l.i < len(l.b) && l.b[l.i] != '\n' && l.b[l.i] != '\r' {
				l.i++
			}
		case c == '(':
			return pdfTok{kind: 's', s: l.literal()}
		case c == '<' && l.i+1 < len(l.b) && l.b[l.i+1] == '<', c == '>' && l.i+1 < len(l.b) && l.b[l.i+1] == '>':
			l.i += 2 // dictionaries carry no shown text
		case c == '<':
			return pdfTok{kind: 's', s: l.hex()}
		case c == '[':
			l.i++
			var arr []pdfTok
			for {
				t := l.next()
				if t.kind == 0 || t.kind == ']' {
					break
				}
				if len(arr) < 1<<16 {
					arr = append(arr, t)
				}
			}
			return pdfTok{kind: '[', arr: arr}
		case c == ']':
			l.i++
			return pdfTok{kind: ']'}
		case c == '/':
			l.i++
			return pdfTok{kind: '/', s: l.word()}
		case c == ')' || c == '>' || c == '{' || c == '}':
			l.i++
		case c == '+' || c == '-' || c == '.' || c >= '0' && c <= '9':
			w := l.word()
			f, _ := strconv.ParseFloat(string(w), 64)
			return pdfTok{kind: 'n', num: f}
		default:
			return pdfTok{kind: 'o', s: l.word()}
		}
	}
	return pdfTok{}
}

// word reads regular characters (names, numbers, operators), decoding #xx in names.
func (l *pdfLex) word() []byte {
	start := l.i
	for l.i < len(l.b) && !pdfSpace(l.b[l.i]) && !pdfDelim(l.b[l.i]) {
		l.i++
	}
	if l.i == start && l.i < len(l.b) {
		l.i++ // a stray delimiter: consume it to make progress
	}
	return l.b[start:l.i]
}

// literal reads a (string) with nesting and escapes.
func (l *pdfLex) literal() []byte {
	l.i++
	var out []byte
	depth := 1
	for l.i < len(l.b) {
		c := l.b[l.i]
		l.i++
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return out
			}
		case '\\':
			if l.i >= len(l.b) {
				return out
			}
			e := l.b[l.i]
			l.i++
			switch e {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r', '\n':
				if e == '\r' && l.i < len(l.b) && l.b[l.i] == '\n' {
					l.i++
				}
				continue
			default:
				if e >= '0' && e <= '7' {
					v := int(e - '0')
					for k := 0; k < 2 && l.i < len(l.b) && l.b[l.i] >= '0' && l.b[l.i] <= '7'; k++ {
						v = v*8 + int(l.b[l.i]-'0')
						l.i++
					}
					c = byte(v)
				} else {
					c = e
				}
			}
		}
		out = append(out, c)
	}
	return out
}

// hex reads a <hex string>.
func (l *pdfLex) hex() []byte {
	l.i++
	var out []byte
	var hi int = -1
	for l.i < len(l.b) && l.b[l.i] != '>' {
		v := unhex(l.b[l.i])
		l.i++
		if v < 0 {
			continue
		}
		if hi < 0 {
			hi = v
		} else {
			out = append(out, byte(hi<<4|v))
			hi = -1
		}
	}
	l.i++
	if hi >= 0 {
		out = append(out, byte(hi<<4))
	}
	return out
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// skipInlineImage moves past the binary data of an inline image (BI ... ID data EI).
func (l *pdfLex) skipInlineImage() {
	for l.i+1 < len(l.b) && !(l.b[l.i] == 'I' && l.b[l.i+1] == 'D' && (l.i == 0 || pdfSpace(l.b[l.i-1]))) {
		l.i++
	}
	for l.i+3 < len(l.b) {
		if pdfSpace(l.b[l.i]) && l.b[l.i+1] == 'E' && l.b[l.i+2] == 'I' && (l.i+3 == len(l.b) || pdfSpace(l.b[l.i+3])) {
			l.i += 3
			return
		}
		l.i++
	}
	l.i = len(l.b)
}
