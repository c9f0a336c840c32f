package inspect

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
)

// BIFF8 record types used for text extraction.
const (
	biffBOF        = 0x0809
	biffFilePass   = 0x002F
	biffSST        = 0x00FC
	biffContinue   = 0x003C
	biffBoundSheet = 0x0085
	biffLabelSST   = 0x00FD
	biffLabel      = 0x0204
	biffRString    = 0x00D6
	biffNumber     = 0x0203
	biffRK         = 0x027E
	biffMulRK      = 0x00BD
	biffString     = 0x0207
	biffFormula    = 0x0006
)

// xlsRows collects the cells of the current row of a sheet.
type xlsRows struct {
	w     *walker
	n     node
	sheet string
	row   int
	cells []string
}

func (x *xlsRows) cell(row, col int, v string) error {
	if row != x.row && len(x.cells) > 0 {
		if err := x.flush(); err != nil {
			return err
		}
	}
	x.row = row
	for len(x.cells) <= col && col < 256 {
		x.cells = append(x.cells, "")
	}
	if col < len(x.cells) {
		x.cells[col] = v
	}
	return nil
}

func (x *xlsRows) flush() error {
	s := strings.TrimRight(strings.Join(x.cells, "\t"), "\t")
	x.cells = x.cells[:0]
	return x.w.emit(x.n, x.sheet+"!R"+strconv.Itoa(x.row+1), s)
}

// xls extracts the cells of every worksheet of a BIFF8 workbook, row by row ("Sheet1!R3").
func (w *walker) xls(n node, c *cfb) error {
	b, err := w.cfbStream(c, "Workbook")
	if err == nil && b == nil {
		b, err = w.cfbStream(c, "Book")
	}
	if err != nil {
		return err
	}
	names := map[uint32]string{}
	var sst []string
	rows := &xlsRows{w: w, n: n, sheet: "Sheet1"}
	sheetN := 0
	for i := 0; i+4 <= len(b); {
		typ := binary.LittleEndian.Uint16(b[i:])
		ln := int(binary.LittleEndian.Uint16(b[i+2:]))
		start := i
		i += 4
		if i+ln > len(b) {
			return corrupt("truncated Excel record at offset %d", start)
		}
		d := b[i : i+ln]
		i += ln
		switch typ {
		case biffFilePass:
			return encrypted("password-protected Excel workbook")
		case biffBOF:
			if len(rows.cells) > 0 {
				if err := rows.flush(); err != nil {
					return err
				}
			}
			if len(d) >= 2 && binary.LittleEndian.Uint16(d) != 0x0600 {
				return corrupt("unsupported Excel version (BIFF5 or older)")
			}
			if name, ok := names[uint32(start)]; ok {
				rows.sheet = name
			} else if start > 0 {
				sheetN++
				rows.sheet = "Sheet" + strconv.Itoa(sheetN)
			}
		case biffBoundSheet:
			if len(d) >= 8 {
				s, _ := xlsString(d[6:], 1)
				names[binary.LittleEndian.Uint32(d)] = s
			}
		case biffSST:
			segs := [][]byte{d}
			for i+4 <= len(b) && binary.LittleEndian.Uint16(b[i:]) == biffContinue {
				l := int(binary.LittleEndian.Uint16(b[i+2:]))
				if i+4+l > len(b) {
					break
				}
				segs = append(segs, b[i+4:i+4+l])
				i += 4 + l
			}
			sst = parseSST(segs)
		case biffLabelSST:
			if len(d) >= 10 {
				k := int(binary.LittleEndian.Uint32(d[6:]))
				if k >= 0 && k < len(sst) {
					err = rows.cell(int(binary.LittleEndian.Uint16(d)), int(binary.LittleEndian.Uint16(d[2:])), sst[k])
				}
			}
		case biffLabel, biffRString:
			if len(d) >= 8 {
				s, _ := xlsString(d[6:], 2)
				err = rows.cell(int(binary.LittleEndian.Uint16(d)), int(binary.LittleEndian.Uint16(d[2:])), s)
			}
		case biffNumber:
			if len(d) >= 14 {
				v := math.Float64frombits(binary.LittleEndian.Uint64(d[6:]))
				err = rows.cell(int(binary.LittleEndian.Uint16(d)), int(binary.LittleEndian.Uint16(d[2:])), fmtNumber(v))
			}
		case biffRK:
			if len(d) >= 10 {
				err = rows.cell(int(binary.LittleEndian.Uint16(d)), int(binary.LittleEndian.Uint16(d[2:])), fmtNumber(rkValue(binary.LittleEndian.Uint32(d[6:]))))
			}
		case biffMulRK:
			if len(d) >= 6 {
				row, col := int(binary.LittleEndian.Uint16(d)), int(binary.LittleEndian.Uint16(d[2:]))
				for j := 4; j+6 <= len(d)-2 && err == nil; j += 6 {
					err = rows.cell(row, col, fmtNumber(rkValue(binary.LittleEndian.Uint32(d[j+2:]))))
					col++
				}
			}
		case biffFormula:
			if len(d) >= 4 && i+4 <= len(b) && binary.LittleEndian.Uint16(b[i:]) == biffString {
				l := int(binary.LittleEndian.Uint16(b[i+2:]))
				if i+4+l <= len(b) {
					s, _ := xlsString(b[i+4:i+4+l], 2)
					err = rows.cell(int(binary.LittleEndian.Uint16(d)), int(binary.LittleEndian.Uint16(d[2:])), s)
				}
			}
		}
		if err != nil {
			return err
		}
	}
	if len(rows.cells) > 0 {
		return rows.flush()
	}
	return nil
}

// xlsString decodes an XLUnicodeString (lenBytes 2) or ShortXLUnicodeString (lenBytes 1).
func xlsString(d []byte, lenBytes int) (string, int) {
	if len(d) < lenBytes+1 {
		return "", len(d)
	}
	cch := int(d[0])
	if lenBytes == 2 {
		cch = int(binary.LittleEndian.Uint16(d))
	}
	flags := d[lenBytes]
	d = d[lenBytes+1:]
	if flags&1 != 0 {
		cch = min(cch, len(d)/2)
		u := make([]uint16, cch)
		for k := range u {
			u[k] = binary.LittleEndian.Uint16(d[2*k:])
		}
		return string(utf16.Decode(u)), lenBytes + 1 + 2*cch
	}
	cch = min(cch, len(d))
	return string(decodeHead(d[:cch], encLatin1)), lenBytes + 1 + cch
}

// rkValue decodes an RK number.
func rkValue(rk uint32) float64 {
	var v float64
	if rk&2 != 0 {
		v = float64(int32(rk) >> 2)
	} else {
		v = math.Float64frombits(uint64(rk&0xFFFFFFFC) << 32)
	}
	if rk&1 != 0 {
		v /= 100
	}
	return v
}

// fmtNumber writes whole numbers as plain digits (phone and ID numbers stay findable).
func fmtNumber(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e16 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// sstReader reads the shared string table across its CONTINUE records.
type sstReader struct {
	segs [][]byte
	si   int
	off  int
}

// avail moves to the next segment when the current one is used up.
func (r *sstReader) avail() bool {
	for r.si < len(r.segs) && r.off >= len(r.segs[r.si]) {
		r.si++
		r.off = 0
	}
	return r.si < len(r.segs)
}

func (r *sstReader) bytes(k int) []byte {
	var out []byte
	for len(out) < k && r.avail() {
		s := r.segs[r.si]
		take := min(k-len(out), len(s)-r.off)
		out = append(out, s[r.off:r.off+take]...)
		r.off += take
	}
	return out
}

// chars reads cch characters; a CONTINUE boundary inside them restarts with a flags byte.
func (r *sstReader) chars(cch int, high bool) string {
	var u []uint16
	for len(u) < cch && r.avail() {
		s := r.segs[r.si]
		if r.off == 0 && len(u) > 0 {
			high = s[0]&1 != 0
			r.off = 1
		}
		for len(u) < cch && r.off < len(s) {
			if high {
				if r.off+2 > len(s) {
					r.off = len(s)
					break
				}
				u = append(u, binary.LittleEndian.Uint16(s[r.off:]))
				r.off += 2
			} else {
				u = append(u, uint16(s[r.off]))
				r.off++
			}
		}
	}
	return string(utf16.Decode(u))
}

// parseSST decodes the unique strings of an SST record and its CONTINUE records.
func parseSST(segs [][]byte) []string {
	r := &sstReader{segs: segs}
	h := r.bytes(8)
	if len(h) < 8 {
		return nil
	}
	unique := int(binary.LittleEndian.Uint32(h[4:]))
	out := make([]string, 0, min(unique, 1<<16))
	for k := 0; k < unique && r.avail(); k++ {
		hd := r.bytes(3)
		if len(hd) < 3 {
			break
		}
		cch, flags := int(binary.LittleEndian.Uint16(hd)), hd[2]
		runs, ext := 0, 0
		if flags&0x08 != 0 {
			runs = int(binary.LittleEndian.Uint16(append(r.bytes(2), 0, 0)))
		}
		if flags&0x04 != 0 {
			ext = int(binary.LittleEndian.Uint32(append(r.bytes(4), 0, 0, 0, 0)))
		}
		out = append(out, r.chars(cch, flags&1 != 0))
		r.bytes(4*runs + ext)
	}
	return out
}
