package inspect

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"strconv"
	"strings"
)

// sheetRef is one worksheet of a workbook: its display name and part name.
type sheetRef struct {
	name string
	part string
}

// maxColGap bounds the empty cells inserted between two cells of a row.
const maxColGap = 64

// xlsx extracts every worksheet row by row ("Sheet1!R12"), cells joined by '\t',
// resolving shared and inline strings. Sheets are streamed, never loaded whole.
func (w *walker) xlsx(n node, zr *zip.Reader) error {
	zr, err := w.openZip(n, zr)
	if err != nil {
		return err
	}
	sheets, err := w.workbookSheets(n, zr)
	if err != nil {
		return err
	}
	sst, err := w.sharedStrings(n, zr)
	if err != nil {
		return err
	}
	for _, s := range sheets {
		f := findFile(zr, s.part)
		if f == nil {
			continue // chart sheets and dangling references carry no cells
		}
		if err := w.sheet(n, f, s.name, sst); err != nil {
			return err
		}
	}
	if err := w.embeddings(n, zr); err != nil {
		return err
	}
	return w.officeMedia(n, zr)
}

// workbookSheets lists the worksheets in workbook order, falling back to the
// xl/worksheets/sheetN.xml parts when workbook.xml or its relationships are missing.
func (w *walker) workbookSheets(n node, zr *zip.Reader) ([]sheetRef, error) {
	rels, err := w.rels(n, zr, "xl/_rels/workbook.xml.rels", "xl")
	if err != nil {
		return nil, err
	}
	var sheets []sheetRef
	if f := findFile(zr, "xl/workbook.xml"); f != nil && rels != nil {
		p, err := w.openXML(n, f)
		if err != nil {
			return nil, err
		}
		defer p.Close()
		for {
			tok, err := p.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, err
			}
			if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "sheet" {
				if part, ok := rels[attr(se, "id")]; ok {
					sheets = append(sheets, sheetRef{name: attr(se, "name"), part: part})
				}
			}
		}
	}
	if len(sheets) == 0 {
		for i, f := range numberedParts(zr, "xl/worksheets/sheet") {
			sheets = append(sheets, sheetRef{name: "Sheet" + strconv.Itoa(i+1), part: f.Name})
		}
	}
	return sheets, nil
}

// openScan opens a zip entry for the fast XML scanner.
func (w *walker) openScan(n node, f *zip.File) (*xmlScanner, io.Closer, error) {
	rc, err := w.openEntry(n, f)
	if err != nil {
		return nil, nil, err
	}
	return newXMLScanner(rc, f.Name), rc, nil
}

// sharedStrings loads the shared string table (phonetic runs excluded).
func (w *walker) sharedStrings(n node, zr *zip.Reader) ([]string, error) {
	f := findFile(zr, "xl/sharedStrings.xml")
	if f == nil {
		return nil, nil
	}
	s, c, err := w.openScan(n, f)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var sst []string
	var sb []byte
	inT, phonetic := false, 0
	for {
		err := s.next()
		if err == io.EOF {
			return sst, nil
		}
		if err != nil {
			return nil, err
		}
		switch s.kind {
		case xmlStart:
			switch string(s.local) {
			case "si":
				sb = sb[:0]
			case "t":
				inT = phonetic == 0
			case "rPh":
				phonetic++
			}
		case xmlText:
			if inT {
				sb = append(sb, s.text...)
			}
		case xmlEnd:
			switch string(s.local) {
			case "t":
				inT = false
			case "rPh":
				phonetic--
			case "si":
				sst = append(sst, string(sb))
			}
		}
	}
}

// sheet streams one worksheet, emitting each row as a segment.
func (w *walker) sheet(n node, f *zip.File, name string, sst []string) error {
	s, c, err := w.openScan(n, f)
	if err != nil {
		return err
	}
	defer c.Close()
	var row, val []byte
	rowNum, col, lastCol := 0, 0, 0
	var cellType string
	inV, inIS, phonetic := false, false, 0
	prefix := name + "!R"
	for {
		err := s.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch s.kind {
		case xmlStart:
			switch string(s.local) {
			case "row":
				if r, ok := atoiBytes(s.attr("r")); ok && r > 0 {
					rowNum = r
				} else {
					rowNum++
				}
				row, lastCol = row[:0], 0
			case "c":
				cellType, col = cellTypeName(s.attr("t")), lastCol+1
				if c := colIndex(s.attr("r")); c > 0 {
					col = c
				}
				val = val[:0]
			case "v":
				inV = true
			case "is":
				inIS = true
			case "t":
				inV = inIS && phonetic == 0
			case "rPh":
				phonetic++
			}
		case xmlText:
			if inV {
				val = append(val, s.text...)
			}
		case xmlEnd:
			switch string(s.local) {
			case "v", "t":
				inV = false
			case "is":
				inIS = false
			case "rPh":
				phonetic--
			case "c":
				v, raw := cellValue(cellType, val, sst)
				if v == "" && len(raw) == 0 {
					continue
				}
				gap := min(col-1, maxColGap) // empty cells before the first one
				if lastCol > 0 {
					gap = max(1, min(col-lastCol, maxColGap))
				}
				for i := 0; i < gap; i++ {
					row = append(row, '\t')
				}
				row = append(append(row, v...), raw...)
				lastCol = col
			case "row":
				if err := w.emit(n, prefix+strconv.Itoa(rowNum), string(row)); err != nil {
					return err
				}
			}
		}
	}
}

// cellValue renders one cell by its type attribute; text cells are returned without
// copying (shared strings by reference, others as a view of v valid until the next token).
func cellValue(typ string, v []byte, sst []string) (text string, raw []byte) {
	switch typ {
	case "s":
		i, ok := atoiBytes(bytes.TrimSpace(v))
		if !ok || i >= len(sst) {
			return "", nil
		}
		return sst[i], nil
	case "b":
		if string(v) == "1" {
			return "TRUE", nil
		}
		return "FALSE", nil
	case "inlineStr", "str", "e":
		return "", v
	}
	if bytes.ContainsAny(v, "eE") {
		return plainNumber(string(v)), nil
	}
	return "", v
}

// cellTypeName interns the t attribute of a cell without allocating.
func cellTypeName(t []byte) string {
	for _, n := range [...]string{"s", "n", "b", "str", "inlineStr", "e", "d"} {
		if string(t) == n {
			return n
		}
	}
	return ""
}

// atoiBytes parses a small non-negative decimal number.
func atoiBytes(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// plainNumber writes whole numbers stored in exponent form (1.3812345678E10) as digits,
// the way Excel displays them, so phone and ID numbers are found.
func plainNumber(v string) string {
	if !strings.ContainsAny(v, "eE") {
		return v
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) >= 1e16 {
		return v
	}
	return strconv.FormatFloat(f, 'f', 0, 64)
}

// colIndex converts the column letters of a cell reference ("AB12") to 1-based index.
func colIndex(ref []byte) int {
	c := 0
	for i := 0; i < len(ref); i++ {
		b := ref[i]
		if b >= 'a' && b <= 'z' {
			b -= 'a' - 'A'
		}
		if b < 'A' || b > 'Z' {
			break
		}
		c = c*26 + int(b-'A'+1)
		if c > 1<<20 {
			return 0
		}
	}
	return c
}
