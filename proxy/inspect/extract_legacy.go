package inspect

import (
	"encoding/binary"
	"strconv"
	"strings"
	"unicode/utf16"
)

// legacy extracts text from OLE2 compound files. Supported: .xls cell values (BIFF8
// shared strings, labels, numbers, formula strings) row by row; .doc text through its
// piece table, per paragraph; .ppt text atoms. Not supported: BIFF5 and older, embedded
// objects, .doc fields/footnote separation, Outlook .msg structure (its UTF-16 text runs
// are scanned instead). Password-protected files are reported as encrypted.
func (w *walker) legacy(n node, ti typeInfo) error {
	c := ti.cfb
	if c == nil {
		var err error
		if c, err = openCFB(n.r, n.size); err != nil {
			return corrupt("corrupt compound document: %v", err)
		}
	}
	switch c.kind() {
	case "ooxml":
		return encrypted("password-protected Office document (EncryptedPackage)")
	case "xls":
		return w.xls(n, c)
	case "doc":
		return w.doc(n, c)
	case "ppt":
		return w.ppt(n, c)
	}
	return w.oleRuns(n, c)
}

// stream reads a named stream, counting it against the budget.
func (w *walker) cfbStream(c *cfb, name string) ([]byte, error) {
	b, err := c.stream(name)
	if err != nil {
		return nil, corrupt("corrupt compound document stream %s: %v", name, err)
	}
	w.b.total += int64(len(b))
	if w.b.total > w.b.lim.MaxTotal {
		return nil, overLimit("more than %d MiB uncompressed in total", w.b.lim.MaxTotal>>20)
	}
	return b, nil
}

// oleRuns emits the UTF-16 text runs of every stream of an unrecognised compound file.
func (w *walker) oleRuns(n node, c *cfb) error {
	for _, e := range c.dir {
		if e.typ != 2 {
			continue
		}
		b, err := w.cfbStream(c, e.name)
		if err != nil {
			return err
		}
		for i, s := range utf16Runs(b, 4, nil) {
			if err := w.emit(n, e.name+" run "+strconv.Itoa(i+1), s); err != nil {
				return err
			}
		}
	}
	return nil
}

// doc extracts Word 97-2003 text through the piece table, one segment per paragraph.
func (w *walker) doc(n node, c *cfb) error {
	wd, err := w.cfbStream(c, "WordDocument")
	if err != nil {
		return err
	}
	if len(wd) < 0x1AA || binary.LittleEndian.Uint16(wd) != 0xA5EC {
		return corrupt("unsupported Word document (not Word 97 or later)")
	}
	flags := binary.LittleEndian.Uint16(wd[0x0A:])
	if flags&0x0100 != 0 {
		return encrypted("password-protected Word document")
	}
	tname := "0Table"
	if flags&0x0200 != 0 {
		tname = "1Table"
	}
	tbl, err := w.cfbStream(c, tname)
	if err != nil {
		return err
	}
	fcClx := binary.LittleEndian.Uint32(wd[0x1A2:])
	lcbClx := binary.LittleEndian.Uint32(wd[0x1A6:])
	if uint64(fcClx)+uint64(lcbClx) > uint64(len(tbl)) {
		return corrupt("Word piece table out of range")
	}
	text, ok := docPieces(wd, tbl[fcClx:fcClx+lcbClx])
	if !ok {
		return corrupt("unreadable Word piece table")
	}
	para := 0
	for _, p := range strings.Split(text, "\r") {
		para++
		p = strings.Map(func(r rune) rune {
			switch {
			case r == 7:
				return '\t' // cell / row end mark
			case r < 0x20 && r != '\t':
				return ' '
			}
			return r
		}, p)
		if err := w.emit(n, "¶"+strconv.Itoa(para), p); err != nil {
			return err
		}
	}
	return nil
}

// docPieces assembles the document text from the CLX piece descriptors.
func docPieces(wd, clx []byte) (string, bool) {
	i := 0
	for i < len(clx) && clx[i] == 0x01 { // Prc entries
		if i+3 > len(clx) {
			return "", false
		}
		i += 3 + int(binary.LittleEndian.Uint16(clx[i+1:]))
	}
	if i+5 > len(clx) || clx[i] != 0x02 {
		return "", false
	}
	lcb := int(binary.LittleEndian.Uint32(clx[i+1:]))
	plc := clx[i+5:]
	if lcb > len(plc) || lcb < 4 {
		return "", false
	}
	plc = plc[:lcb]
	np := (lcb - 4) / 12
	var sb strings.Builder
	for k := 0; k < np; k++ {
		cp0 := binary.LittleEndian.Uint32(plc[4*k:])
		cp1 := binary.LittleEndian.Uint32(plc[4*k+4:])
		pcd := plc[4*(np+1)+8*k:]
		fc := binary.LittleEndian.Uint32(pcd[2:])
		if cp1 < cp0 || cp1-cp0 > 1<<26 {
			return "", false
		}
		cnt := int(cp1 - cp0)
		if fc&0x40000000 != 0 { // compressed: 8-bit cp1252
			off := int(fc&^0x40000000) / 2
			if off+cnt > len(wd) {
				return "", false
			}
			sb.Write(decodeHead(wd[off:off+cnt], encLatin1))
		} else {
			off := int(fc)
			if off+2*cnt > len(wd) {
				return "", false
			}
			u := make([]uint16, cnt)
			for j := range u {
				u[j] = binary.LittleEndian.Uint16(wd[off+2*j:])
			}
			sb.WriteString(string(utf16.Decode(u)))
		}
	}
	return sb.String(), true
}

// ppt extracts the text atoms (TextCharsAtom, TextBytesAtom, CString) of a PowerPoint 97-2003 file.
func (w *walker) ppt(n node, c *cfb) error {
	b, err := w.cfbStream(c, "PowerPoint Document")
	if err != nil {
		return err
	}
	k := 0
	for i := 0; i+8 <= len(b); {
		ver := binary.LittleEndian.Uint16(b[i:]) & 0xF
		typ := binary.LittleEndian.Uint16(b[i+2:])
		ln := int(binary.LittleEndian.Uint32(b[i+4:]))
		i += 8
		if ver == 0xF {
			continue // container: its children follow
		}
		if ln < 0 || i+ln > len(b) {
			break
		}
		var s string
		switch typ {
		case 0x0FA0, 0x0FBA: // TextCharsAtom, CString: UTF-16LE
			u := make([]uint16, ln/2)
			for j := range u {
				u[j] = binary.LittleEndian.Uint16(b[i+2*j:])
			}
			s = string(utf16.Decode(u))
		case 0x0FA8: // TextBytesAtom: 8-bit
			s = string(decodeHead(b[i:i+ln], encLatin1))
		}
		if s != "" {
			k++
			s = strings.ReplaceAll(s, "\r", " ")
			if err := w.emit(n, "text "+strconv.Itoa(k), s); err != nil {
				return err
			}
		}
		i += ln
	}
	return nil
}
