package inspect

import (
	"strings"
)

// toUnicode is a parsed ToUnicode CMap: character codes to Unicode text.
type toUnicode struct {
	lens   [5]bool           // code byte lengths declared by codespace ranges
	chars  map[uint32]string // bfchar and expanded small bfrange entries
	ranges []cmapRange       // large bfrange entries
}

// cmapRange maps codes lo..hi to dst with its last UTF-16 unit incremented.
type cmapRange struct {
	lo, hi uint32
	dst    []byte // UTF-16BE of lo's text
}

// parseToUnicode reads the codespace, bfchar and bfrange sections of a CMap.
func parseToUnicode(b []byte) *toUnicode {
	m := &toUnicode{chars: map[uint32]string{}}
	l := &pdfLex{b: b}
	var args []pdfTok
	mode := ""
	for {
		t := l.next()
		if t.kind == 0 {
			break
		}
		if t.kind != 'o' {
			if mode != "" && len(args) < 3 {
				args = append(args, t)
			}
			if mode == "" {
				continue
			}
		} else {
			switch op := string(t.s); op {
			case "begincodespacerange", "beginbfchar", "beginbfrange":
				mode = op
			case "endcodespacerange", "endbfchar", "endbfrange":
				mode = ""
			}
			args = args[:0]
			continue
		}
		switch {
		case mode == "begincodespacerange" && len(args) == 2:
			if k := len(args[0].s); k >= 1 && k <= 4 {
				m.lens[k] = true
			}
			args = args[:0]
		case mode == "beginbfchar" && len(args) == 2:
			if args[0].kind == 's' && args[1].kind == 's' && len(m.chars) < 1<<17 {
				m.chars[codeOf(args[0].s)] = string(decodeHead(args[1].s, encUTF16BE))
			}
			args = args[:0]
		case mode == "beginbfrange" && len(args) == 3:
			m.addRange(args)
			args = args[:0]
		}
	}
	return m
}

// addRange records one bfrange entry (<lo> <hi> <dst> or <lo> <hi> [<d1> <d2> ...]).
func (m *toUnicode) addRange(a []pdfTok) {
	if a[0].kind != 's' || a[1].kind != 's' {
		return
	}
	lo, hi := codeOf(a[0].s), codeOf(a[1].s)
	if hi < lo || hi-lo > 1<<16 {
		return
	}
	switch a[2].kind {
	case 's':
		if len(a[2].s) >= 2 {
			m.ranges = append(m.ranges, cmapRange{lo: lo, hi: hi, dst: a[2].s})
		}
	case '[':
		for i, d := range a[2].arr {
			if d.kind == 's' && lo+uint32(i) <= hi && len(m.chars) < 1<<17 {
				m.chars[lo+uint32(i)] = string(decodeHead(d.s, encUTF16BE))
			}
		}
	}
}

func codeOf(b []byte) uint32 {
	var c uint32
	for _, x := range b[:min(len(b), 4)] {
		c = c<<8 | uint32(x)
	}
	return c
}

// lookup maps one code, reporting whether it is known.
func (m *toUnicode) lookup(c uint32) (string, bool) {
	if s, ok := m.chars[c]; ok {
		return s, true
	}
	for _, r := range m.ranges {
		if c >= r.lo && c <= r.hi {
			d := append([]byte(nil), r.dst...)
			v := (uint32(d[len(d)-2])<<8 | uint32(d[len(d)-1])) + (c - r.lo)
			d[len(d)-2], d[len(d)-1] = byte(v>>8), byte(v)
			return string(decodeHead(d, encUTF16BE)), true
		}
	}
	return "", false
}

// decode writes the text of a shown string to sb, splitting it into codes by the
// codespace lengths (2 bytes for composite fonts when the CMap declares none).
func (m *toUnicode) decode(s []byte, twoByte bool, sb *strings.Builder) {
	def := 1
	if twoByte {
		def = 2
	}
	for i := 0; i < len(s); {
		done := false
		for k := 1; k <= 4 && i+k <= len(s); k++ {
			if !m.lens[k] {
				continue
			}
			if u, ok := m.lookup(codeOf(s[i : i+k])); ok {
				sb.WriteString(u)
				i += k
				done = true
				break
			}
		}
		if done {
			continue
		}
		k := min(def, len(s)-i)
		if u, ok := m.lookup(codeOf(s[i : i+k])); ok {
			sb.WriteString(u)
		} else if k == 1 && s[i] >= 0x20 && s[i] < 0x7F {
			sb.WriteByte(s[i])
		}
		i += k
	}
}
