// Package customers reads a company's customer list (CSV/TSV in any usual encoding, or the
// first sheet of an XLSX workbook), finds its company, contact, phone and e-mail columns, and
// imports it into the store as salted hashes. The CLI (no daemon) and the daemon's admin API
// both import through Import.
package customers

import (
	"github.com/sluice-dlp/sluice/internal/l10n"

	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// MaxTableSize bounds the size of a customer-list file, as read from disk or from an API request.
const MaxTableSize = 64 << 20

// maxInflated bounds the bytes read from each part of an XLSX workbook.
const maxInflated = 256 << 20

// maxCells bounds the cells held for one table (empty padding cells count too), so that a
// hostile file of empty fields cannot exhaust memory.
const maxCells = 8 << 20

// ErrTooLarge is returned for tables over MaxTableSize or with more than maxCells cells.
var ErrTooLarge = l10n.Sentinel(l10n.TooLarge)

// tooLarge says by how much a table is over a limit.
func tooLarge(zh, en string, n int) error {
	return l10n.Errorf(l10n.TooLarge, "表格太大（超过 "+zh+"）；请拆分后分批导入", "the table is too large (over "+en+"); split the list and import the parts", n)
}

// ReadTable reads the rows of a CSV/TSV table (UTF-8, UTF-16 with BOM, or GBK/GB18030) or
// of the first sheet of an XLSX workbook.
func ReadTable(data []byte) ([][]string, error) {
	if len(data) > MaxTableSize {
		return nil, tooLarge("%d MiB", "%d MiB", MaxTableSize>>20)
	}
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		rows, err := readXLSX(data)
		if err != nil {
			if errors.Is(err, ErrTooLarge) {
				return nil, err
			}
			return nil, l10n.Wrap(err, l10n.Unreadable, "不是可读的 XLSX 工作簿；请另存为 .xlsx 或 CSV", "not a readable XLSX workbook; save it again as .xlsx or CSV")
		}
		return rows, nil
	}
	text, err := decodeTable(data)
	if err != nil {
		return nil, l10n.Wrap(err, l10n.Unreadable, "无法识别文字编码；请另存为 UTF-8 CSV", "cannot decode the text; save it as UTF-8 CSV")
	}
	r := csv.NewReader(strings.NewReader(text))
	first, _, _ := strings.Cut(text, "\n")
	if strings.Count(first, "\t") > strings.Count(first, ",") {
		r.Comma = '\t'
	}
	// every cell ends in a separator or a line break: bound the cells before parsing
	if strings.Count(text, string(r.Comma))+strings.Count(text, "\n") > maxCells {
		return nil, tooLarge("%d 个单元格", "%d cells", maxCells)
	}
	r.LazyQuotes, r.FieldsPerRecord = true, -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, l10n.Wrap(err, l10n.Unreadable, "不是可读的 CSV 文件", "not a readable CSV file")
	}
	return rows, nil
}

// decodeTable turns the bytes of a text table into UTF-8: BOMs first, then valid UTF-8,
// else GB18030 (a superset of GBK, what Chinese Excel exports use).
func decodeTable(b []byte) (string, error) {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return string(b[3:]), nil
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}), bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		out, err := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(b)
		return string(out), err
	case utf8.Valid(b):
		return string(b), nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	return string(out), err
}

// readXLSX reads the first worksheet of an XLSX workbook into rows of cell strings.
func readXLSX(data []byte) ([][]string, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	var sheet *zip.File
	var sst []string
	for _, f := range zr.File {
		switch {
		case f.Name == "xl/sharedStrings.xml":
			if err := xmlWalk(f, func(d *xml.Decoder, se xml.StartElement) error {
				if se.Name.Local != "si" {
					return nil
				}
				if len(sst) >= maxCells {
					return tooLarge("%d 个共享字符串", "%d shared strings", maxCells)
				}
				s, err := xmlText(d, "si")
				sst = append(sst, s)
				return err
			}); err != nil {
				return nil, err
			}
		case strings.HasPrefix(f.Name, "xl/worksheets/sheet") && (sheet == nil || f.Name == "xl/worksheets/sheet1.xml"):
			sheet = f
		}
	}
	if sheet == nil {
		return nil, fmt.Errorf("no worksheet")
	}
	var rows [][]string
	cells := 0
	err = xmlWalk(sheet, func(d *xml.Decoder, se xml.StartElement) error {
		switch se.Name.Local {
		case "row":
			if cells++; cells > maxCells { // an empty row costs as much as a cell
				return tooLarge("%d 个单元格", "%d cells", maxCells)
			}
			rows = append(rows, nil)
		case "c":
			if len(rows) == 0 {
				return fmt.Errorf("cell outside a row")
			}
			typ, ref := "", ""
			for _, a := range se.Attr {
				if a.Name.Local == "t" {
					typ = a.Value
				} else if a.Name.Local == "r" {
					ref = strings.TrimRight(a.Value, "0123456789")
				}
			}
			v, err := xmlText(d, "c")
			if err != nil {
				return err
			}
			if k, err := strconv.Atoi(v); typ == "s" && err == nil && k >= 0 && k < len(sst) {
				v = sst[k]
			}
			row := &rows[len(rows)-1]
			col, ok := columnLetters(ref)
			if !ok || col > 1000 {
				col = len(*row)
			}
			if grow := col + 1 - len(*row); grow > 0 {
				if cells += grow; cells > maxCells {
					return tooLarge("%d 个单元格", "%d cells", maxCells)
				}
			}
			for len(*row) <= col {
				*row = append(*row, "")
			}
			(*row)[col] = v
		}
		return nil
	})
	return rows, err
}

// xmlWalk calls f for every start element of a zip member, reading at most maxInflated bytes.
func xmlWalk(f *zip.File, fn func(*xml.Decoder, xml.StartElement) error) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	d := xml.NewDecoder(io.LimitReader(rc, maxInflated))
	d.Strict = false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if se, ok := tok.(xml.StartElement); ok {
			if err := fn(d, se); err != nil {
				return err
			}
		}
	}
}

// xmlText returns the text of the <t> and <v> elements up to the end of element end,
// leaving out phonetic runs (<rPh>).
func xmlText(d *xml.Decoder, end string) (string, error) {
	var b strings.Builder
	in, ph := false, 0
	for {
		tok, err := d.Token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "t", "v":
				in = ph == 0
			case "rPh":
				ph++
			}
		case xml.EndElement:
			switch t.Name.Local {
			case end:
				return b.String(), nil
			case "t", "v":
				in = false
			case "rPh":
				ph--
			}
		case xml.CharData:
			if in && b.Len() < 1<<16 {
				b.Write(t)
			}
		}
	}
}
