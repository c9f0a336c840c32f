package inspect

// Test fixtures, generated in the test (no big binaries are committed). These helpers, in
// this file, fixtures_archive_test.go and fixtures_ole_test.go, are shared by the extraction
// and detection tests of this package; their names are stable:
//
//	customerRows(n)                 header + n deterministic customer rows (company, contact, mobile, email)
//	makeXLSX(tb, sheets...)         xlsx with shared strings (digit-only cells stored as numbers)
//	makeDOCX(tb, paras, table)      docx with paragraphs and one table
//	makePPTX(tb, slides...)         pptx, one slide per []string of paragraphs
//	makePDF(tb, pages...)           PDF, one page per []string of lines (Helvetica, WinAnsi)
//	makePDFUnicode(tb, lines)       PDF with a CID font and a ToUnicode CMap (Chinese text)
//	makeZip(tb, files...)           zip of fixtureFile entries (deflated)
//	makeEncryptedZip(tb, name, d)   zip whose entry carries the PKWARE encryption flag and header
//	makeZipBomb(tb, levels, fan, n) 42.zip-style nested zips of n-byte zero files
//	makeGzip(tb, name, d)           gzip stream
//	makeTar(tb, files...)           tar archive
//	encodeGBK(tb, s), encodeUTF16LE(s)   text in Chinese Excel export encodings
//	makeEML(tb, subject, body, files...) multipart e-mail with base64 attachments
//	makeBillionLaughsDOCX(tb)       docx whose document.xml declares nested entities
//	replaceZipEntry(tb, z, name, d) copy of zip z with entry name replaced by d
//	makeODS(tb, rows)               OpenDocument spreadsheet with one table
//	makeCFB(tb, streams)            OLE2 compound file holding the given streams
//	biffWorkbook(rows)              BIFF8 "Workbook" stream (sheet 客户) for makeCFB → .xls
//	wordDocument(text), wordTable(n) "WordDocument" + "1Table" streams for makeCFB → .doc
//	rowsText(rows, sep)             rows as CSV/TSV text with CRLF line ends

import (
	"archive/zip"
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unicode/utf16"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// fixtureSheet is one worksheet: its name and rows of cells.
type fixtureSheet struct {
	Name string
	Rows [][]string
}

// fixtureFile is one archive entry.
type fixtureFile struct {
	Name string
	Data []byte
}

var (
	fixtureSurnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
	fixtureGiven    = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂")
	fixtureCities   = []string{"上海", "北京", "深圳", "杭州", "苏州", "成都", "武汉", "南京"}
	fixtureTrades   = []string{"贸易", "科技", "实业", "电子", "物流", "化工", "机械", "食品"}
	fixturePrefixes = []string{"138", "139", "135", "186", "187", "150", "151", "177"}
)

// customerRows returns a header row and n deterministic customer rows:
// 公司名称, 联系人, 手机, 邮箱. Row i's mobile is fixtureMobile(i).
func customerRows(n int) [][]string {
	rows := [][]string{{"公司名称", "联系人", "手机", "邮箱"}}
	for i := 0; i < n; i++ {
		name := string(fixtureSurnames[i%len(fixtureSurnames)]) + string(fixtureGiven[(i/len(fixtureSurnames))%len(fixtureGiven)])
		company := fmt.Sprintf("%s%s%s有限公司%d", fixtureCities[i%len(fixtureCities)], string(fixtureGiven[i%len(fixtureGiven)]), fixtureTrades[(i/7)%len(fixtureTrades)], i)
		rows = append(rows, []string{company, name, fixtureMobile(i), fmt.Sprintf("client%d@example.com", i)})
	}
	return rows
}

// fixtureMobile returns the deterministic, well-formed CN mobile number of customer i.
func fixtureMobile(i int) string {
	return fmt.Sprintf("%s%08d", fixturePrefixes[i%len(fixturePrefixes)], (i*7919+12345)%100000000)
}

func zipBytes(tb testing.TB, files ...fixtureFile) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.Create(f.Name)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write(f.Data); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// makeZip returns a zip archive of files (deflated).
func makeZip(tb testing.TB, files ...fixtureFile) []byte { return zipBytes(tb, files...) }

func xmlEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func colName(c int) string {
	s := ""
	for c++; c > 0; c = (c - 1) / 26 {
		s = string(rune('A'+(c-1)%26)) + s
	}
	return s
}

func fixtureDigits(s string) bool {
	if s == "" || len(s) > 15 || s[0] == '0' {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// makeXLSX builds an xlsx workbook the way Excel writes one: text in the shared string
// table, digit-only cells as numbers.
func makeXLSX(tb testing.TB, sheets ...fixtureSheet) []byte {
	tb.Helper()
	sst := map[string]int{}
	var sstList []string
	var files []fixtureFile
	var wbSheets, rels, ctSheets strings.Builder
	for si, sh := range sheets {
		var x strings.Builder
		x.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
			`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheetData>`)
		for ri, row := range sh.Rows {
			fmt.Fprintf(&x, `<row r="%d">`, ri+1)
			for ci, cell := range row {
				ref := colName(ci) + fmt.Sprint(ri+1)
				if fixtureDigits(cell) {
					fmt.Fprintf(&x, `<c r="%s"><v>%s</v></c>`, ref, cell)
					continue
				}
				k, ok := sst[cell]
				if !ok {
					k = len(sstList)
					sst[cell] = k
					sstList = append(sstList, cell)
				}
				fmt.Fprintf(&x, `<c r="%s" t="s"><v>%d</v></c>`, ref, k)
			}
			x.WriteString(`</row>`)
		}
		x.WriteString(`</sheetData></worksheet>`)
		files = append(files, fixtureFile{fmt.Sprintf("xl/worksheets/sheet%d.xml", si+1), []byte(x.String())})
		fmt.Fprintf(&wbSheets, `<sheet name="%s" sheetId="%d" r:id="rId%d"/>`, xmlEscape(sh.Name), si+1, si+1)
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet%d.xml"/>`, si+1, si+1)
		fmt.Fprintf(&ctSheets, `<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`, si+1)
	}
	var s strings.Builder
	fmt.Fprintf(&s, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">`, len(sstList), len(sstList))
	for _, v := range sstList {
		fmt.Fprintf(&s, `<si><t>%s</t></si>`, xmlEscape(v))
	}
	s.WriteString(`</sst>`)
	fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>`, len(sheets)+1)
	head := []fixtureFile{
		{"[Content_Types].xml", []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
			`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			ctSheets.String() + `<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`)},
		{"_rels/.rels", []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
			`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)},
		{"xl/workbook.xml", []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
			`<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>` + wbSheets.String() + `</sheets></workbook>`)},
		{"xl/_rels/workbook.xml.rels", []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
			`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` + rels.String() + `</Relationships>`)},
	}
	files = append(head, files...)
	files = append(files, fixtureFile{"xl/sharedStrings.xml", []byte(s.String())})
	return zipBytes(tb, files...)
}

const wordNS = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"`

func docxPackage(tb testing.TB, document string) []byte {
	return zipBytes(tb,
		fixtureFile{"[Content_Types].xml", []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
			`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`)},
		fixtureFile{"_rels/.rels", []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
			`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`)},
		fixtureFile{"word/document.xml", []byte(document)},
	)
}

// makeDOCX builds a docx with the given paragraphs followed by one table (rows of cells).
func makeDOCX(tb testing.TB, paras []string, table [][]string) []byte {
	tb.Helper()
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" + `<w:document ` + wordNS + `><w:body>`)
	for _, p := range paras {
		fmt.Fprintf(&b, `<w:p><w:r><w:t xml:space="preserve">%s</w:t></w:r></w:p>`, xmlEscape(p))
	}
	if len(table) > 0 {
		b.WriteString(`<w:tbl>`)
		for _, row := range table {
			b.WriteString(`<w:tr>`)
			for _, c := range row {
				fmt.Fprintf(&b, `<w:tc><w:p><w:r><w:t>%s</w:t></w:r></w:p></w:tc>`, xmlEscape(c))
			}
			b.WriteString(`</w:tr>`)
		}
		b.WriteString(`</w:tbl>`)
	}
	b.WriteString(`<w:sectPr/></w:body></w:document>`)
	return docxPackage(tb, b.String())
}

// makeBillionLaughsDOCX builds a docx whose document.xml declares ten levels of nested
// entities (10^9 "lol"s if expanded) and references the last one.
func makeBillionLaughsDOCX(tb testing.TB) []byte {
	tb.Helper()
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?>` + "\n" + `<!DOCTYPE lolz [<!ENTITY lol "lol">`)
	for i := 1; i <= 9; i++ {
		prev := "lol"
		if i > 1 {
			prev = fmt.Sprintf("lol%d", i-1)
		}
		fmt.Fprintf(&b, `<!ENTITY lol%d "%s">`, i, strings.Repeat("&"+prev+";", 10))
	}
	b.WriteString(`]>` + "\n" + `<w:document ` + wordNS + `><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>`)
	return docxPackage(tb, b.String())
}

// makePPTX builds a pptx with one slide per element of slides (each a list of paragraphs).
func makePPTX(tb testing.TB, slides ...[]string) []byte {
	tb.Helper()
	files := []fixtureFile{
		{"[Content_Types].xml", []byte(`<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/ppt/presentation.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/></Types>`)},
		{"ppt/presentation.xml", []byte(`<?xml version="1.0" encoding="UTF-8"?><p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>`)},
	}
	for i, paras := range slides {
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><p:sld xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><p:cSld><p:spTree><p:sp><p:txBody>`)
		for _, p := range paras {
			fmt.Fprintf(&b, `<a:p><a:r><a:t>%s</a:t></a:r></a:p>`, xmlEscape(p))
		}
		b.WriteString(`</p:txBody></p:sp></p:spTree></p:cSld></p:sld>`)
		files = append(files, fixtureFile{fmt.Sprintf("ppt/slides/slide%d.xml", i+1), []byte(b.String())})
	}
	return zipBytes(tb, files...)
}

// buildPDF assembles numbered objects (1-based, given without "obj" wrappers) into a PDF
// with a correct cross-reference table; object 1 must be the catalog.
func buildPDF(objs []string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	x := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, x)
	return b.Bytes()
}

func pdfStream(content string) string {
	return fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content)
}

func pdfLiteral(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)
	return "(" + r.Replace(s) + ")"
}

// makePDF builds a PDF with one page per element of pages, each line shown with Tj in
// Helvetica (WinAnsi: use ASCII text).
func makePDF(tb testing.TB, pages ...[]string) []byte {
	tb.Helper()
	n := len(pages)
	// objects: 1 catalog, 2 pages, 3 font, then per page: page, content
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>", "", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"}
	var kids []string
	for i, lines := range pages {
		pageObj, contentObj := 4+2*i, 5+2*i
		kids = append(kids, fmt.Sprintf("%d 0 R", pageObj))
		var c strings.Builder
		c.WriteString("BT /F1 11 Tf 72 760 Td 14 TL\n")
		for _, l := range lines {
			c.WriteString(pdfLiteral(l) + " Tj T*\n")
		}
		c.WriteString("ET")
		objs = append(objs,
			fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", contentObj),
			pdfStream(c.String()))
	}
	objs[1] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n)
	return buildPDF(objs)
}

// makePDFUnicode builds a one-page PDF whose text (any Unicode, e.g. Chinese) is shown
// with 2-byte codes of an Identity-H CID font and mapped back through a ToUnicode CMap.
func makePDFUnicode(tb testing.TB, lines []string) []byte {
	tb.Helper()
	codes := map[rune]int{}
	var runes []rune
	for _, l := range lines {
		for _, r := range l {
			if _, ok := codes[r]; !ok && r <= 0xFFFF {
				codes[r] = len(runes) + 1
				runes = append(runes, r)
			}
		}
	}
	var cm strings.Builder
	cm.WriteString("/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Custom def /CMapType 2 def\n1 begincodespacerange <0000> <FFFF> endcodespacerange\n")
	for i := 0; i < len(runes); i += 100 {
		chunk := runes[i:min(i+100, len(runes))]
		fmt.Fprintf(&cm, "%d beginbfchar\n", len(chunk))
		for _, r := range chunk {
			fmt.Fprintf(&cm, "<%04X> <%04X>\n", codes[r], r)
		}
		cm.WriteString("endbfchar\n")
	}
	cm.WriteString("endcmap CMapName currentdict /CMap defineresource pop end end")
	var c strings.Builder
	c.WriteString("BT /F1 12 Tf 72 760 Td\n")
	for _, l := range lines {
		c.WriteString("<")
		for _, r := range l {
			if k, ok := codes[r]; ok {
				fmt.Fprintf(&c, "%04X", k)
			}
		}
		c.WriteString("> Tj 0 -16 Td\n")
	}
	c.WriteString("ET")
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 7 0 R >>",
		"<< /Type /Font /Subtype /Type0 /BaseFont /WenQuanYi /Encoding /Identity-H /DescendantFonts [5 0 R] /ToUnicode 6 0 R >>",
		"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /WenQuanYi /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 8 0 R >>",
		pdfStream(cm.String()),
		pdfStream(c.String()),
		"<< /Type /FontDescriptor /FontName /WenQuanYi /Flags 4 /FontBBox [0 -200 1000 900] /ItalicAngle 0 /Ascent 900 /Descent -200 /CapHeight 700 /StemV 80 >>",
	}
	return buildPDF(objs)
}

// encodeGBK encodes s in GBK, as Chinese Excel saves "CSV (逗号分隔)".
func encodeGBK(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// encodeUTF16LE encodes s as UTF-16LE with a BOM, as Excel saves "Unicode text".
func encodeUTF16LE(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := []byte{0xFF, 0xFE}
	for _, x := range u {
		b = append(b, byte(x), byte(x>>8))
	}
	return b
}

// rowsText joins rows as CSV lines (sep between cells, CRLF line ends).
func rowsText(rows [][]string, sep string) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, sep) + "\r\n")
	}
	return b.String()
}
