package inspect

// Test fixtures, generated in the test (no big binaries are committed). These helpers are
// shared by the extraction and detection tests of this package; their names are stable:
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
//	makeCFB(tb, streams)            OLE2 compound file holding the given streams

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"sort"
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

// makeEncryptedZip writes a zip whose single stored entry has the encryption flag set and
// starts with a 12-byte traditional PKWARE encryption header, as zip -e produces.
func makeEncryptedZip(tb testing.TB, name string, data []byte) []byte {
	tb.Helper()
	payload := append([]byte{0x5a, 0x1f, 0x93, 0x04, 0xee, 0x61, 0x7c, 0x20, 0xb3, 0x48, 0x0d, 0x9e}, data...)
	for i := 12; i < len(payload); i++ {
		payload[i] ^= byte(0xa5 + i*31) // stand-in ciphertext: not readable as the plaintext
	}
	crc := crc32.ChecksumIEEE(data)
	var b bytes.Buffer
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	le(uint32(0x04034b50))
	le(uint16(20))
	le(uint16(0x0001)) // flags: encrypted
	le(uint16(0))      // stored
	le(uint16(0))
	le(uint16(0x21))
	le(crc)
	le(uint32(len(payload)))
	le(uint32(len(data)))
	le(uint16(len(name)))
	le(uint16(0))
	b.WriteString(name)
	b.Write(payload)
	cd := b.Len()
	le(uint32(0x02014b50))
	le(uint16(20))
	le(uint16(20))
	le(uint16(0x0001))
	le(uint16(0))
	le(uint16(0))
	le(uint16(0x21))
	le(crc)
	le(uint32(len(payload)))
	le(uint32(len(data)))
	le(uint16(len(name)))
	le(uint16(0))
	le(uint16(0))
	le(uint16(0))
	le(uint16(0))
	le(uint32(0))
	le(uint32(0))
	b.WriteString(name)
	cdLen := b.Len() - cd
	le(uint32(0x06054b50))
	le(uint16(0))
	le(uint16(0))
	le(uint16(1))
	le(uint16(1))
	le(uint32(cdLen))
	le(uint32(cd))
	le(uint16(0))
	return b.Bytes()
}

// makeZipBomb builds a 42.zip-style bomb: levels of nested zips, each holding fan copies
// of the level below; the innermost zip holds fan files of size zero bytes each.
func makeZipBomb(tb testing.TB, levels, fan int, size int64) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i < fan; i++ {
		w, err := zw.Create(fmt.Sprintf("zeros%d.txt", i))
		if err != nil {
			tb.Fatal(err)
		}
		chunk := make([]byte, 1<<20)
		for left := size; left > 0; left -= int64(len(chunk)) {
			w.Write(chunk[:min(int64(len(chunk)), left)])
		}
	}
	zw.Close()
	cur := buf.Bytes()
	for l := 1; l < levels; l++ {
		var files []fixtureFile
		for i := 0; i < fan; i++ {
			files = append(files, fixtureFile{fmt.Sprintf("lib%d_%d.zip", l, i), cur})
		}
		cur = zipBytes(tb, files...)
	}
	return cur
}

// makeGzip returns data gzipped, with name recorded in the header.
func makeGzip(tb testing.TB, name string, data []byte) []byte {
	tb.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Name = name
	zw.Write(data)
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// makeTar returns a tar archive of files.
func makeTar(tb testing.TB, files ...fixtureFile) []byte {
	tb.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.Name, Mode: 0o644, Size: int64(len(f.Data)), Typeflag: tar.TypeReg}); err != nil {
			tb.Fatal(err)
		}
		tw.Write(f.Data)
	}
	if err := tw.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
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

// makeEML builds a multipart/mixed e-mail with a GBK quoted-printable text body
// and base64 attachments.
func makeEML(tb testing.TB, subject, body string, files ...fixtureFile) []byte {
	tb.Helper()
	var b strings.Builder
	b.WriteString("From: =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte("销售小王")) + "?= <wang@corp.example>\r\n")
	b.WriteString("To: friend@qq.com\r\n")
	b.WriteString("Subject: =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte(subject)) + "?=\r\n")
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"BOUNDARY\"\r\n\r\n")
	b.WriteString("--BOUNDARY\r\nContent-Type: text/plain; charset=gbk\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	b.WriteString(base64.StdEncoding.EncodeToString(encodeGBK(tb, body)) + "\r\n")
	for _, f := range files {
		b.WriteString("--BOUNDARY\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n")
		b.WriteString("Content-Disposition: attachment; filename=\"" + f.Name + "\"\r\n\r\n")
		enc := base64.StdEncoding.EncodeToString(f.Data)
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\r\n")
	}
	b.WriteString("--BOUNDARY--\r\n")
	return []byte(b.String())
}

// makeCFB writes an OLE2 compound file (version 3, 512-byte sectors) holding the given
// streams in the root storage. Streams are padded to 4096 bytes so that none lives in
// the mini stream.
func makeCFB(tb testing.TB, streams map[string][]byte) []byte {
	tb.Helper()
	names := make([]string, 0, len(streams))
	for n := range streams {
		names = append(names, n)
	}
	sort.Strings(names)
	const ss = 512
	var body [][]byte // sectors after FAT and directory
	type ent struct {
		name  string
		start int
		size  int
	}
	var ents []ent
	// sector 0: FAT, sector 1..: directory (4 entries per sector), then streams
	ndir := (len(names) + 1 + 3) / 4
	next := 1 + ndir
	var fat []uint32
	fat = append(fat, 0xFFFFFFFD) // FAT sector
	for i := 0; i < ndir; i++ {
		if i == ndir-1 {
			fat = append(fat, 0xFFFFFFFE)
		} else {
			fat = append(fat, uint32(2+i))
		}
	}
	for _, n := range names {
		d := streams[n]
		if len(d) < 4096 {
			d = append(append([]byte(nil), d...), make([]byte, 4096-len(d))...)
		}
		cnt := (len(d) + ss - 1) / ss
		ents = append(ents, ent{n, next, len(d)})
		for i := 0; i < cnt; i++ {
			sec := make([]byte, ss)
			copy(sec, d[i*ss:])
			body = append(body, sec)
			if i == cnt-1 {
				fat = append(fat, 0xFFFFFFFE)
			} else {
				fat = append(fat, uint32(next+i+1))
			}
		}
		next += cnt
	}
	if len(fat) > ss/4 {
		tb.Fatalf("makeCFB: streams too large for one FAT sector")
	}
	for len(fat) < ss/4 {
		fat = append(fat, 0xFFFFFFFF)
	}
	h := make([]byte, 512)
	copy(h, cfbMagic)
	binary.LittleEndian.PutUint16(h[0x18:], 0x3E)
	binary.LittleEndian.PutUint16(h[0x1A:], 3)
	binary.LittleEndian.PutUint16(h[0x1C:], 0xFFFE)
	binary.LittleEndian.PutUint16(h[0x1E:], 9)
	binary.LittleEndian.PutUint16(h[0x20:], 6)
	binary.LittleEndian.PutUint32(h[0x2C:], 1)
	binary.LittleEndian.PutUint32(h[0x30:], 1)
	binary.LittleEndian.PutUint32(h[0x38:], 4096)
	binary.LittleEndian.PutUint32(h[0x3C:], 0xFFFFFFFE)
	binary.LittleEndian.PutUint32(h[0x44:], 0xFFFFFFFE)
	for i := 0; i < 109; i++ {
		binary.LittleEndian.PutUint32(h[0x4C+4*i:], 0xFFFFFFFF)
	}
	binary.LittleEndian.PutUint32(h[0x4C:], 0)
	var out bytes.Buffer
	out.Write(h)
	for _, f := range fat {
		binary.Write(&out, binary.LittleEndian, f)
	}
	dir := make([]byte, ndir*ss)
	writeEnt := func(i int, name string, typ byte, start uint32, size uint32, child uint32, right uint32) {
		e := dir[i*128 : i*128+128]
		u := utf16.Encode([]rune(name))
		for k, x := range u {
			binary.LittleEndian.PutUint16(e[2*k:], x)
		}
		binary.LittleEndian.PutUint16(e[0x40:], uint16(2*len(u)+2))
		e[0x42] = typ
		e[0x43] = 1
		binary.LittleEndian.PutUint32(e[0x44:], 0xFFFFFFFF)
		binary.LittleEndian.PutUint32(e[0x48:], right)
		binary.LittleEndian.PutUint32(e[0x4C:], child)
		binary.LittleEndian.PutUint32(e[0x74:], start)
		binary.LittleEndian.PutUint32(e[0x78:], size)
	}
	child := uint32(0xFFFFFFFF)
	if len(ents) > 0 {
		child = 1
	}
	writeEnt(0, "Root Entry", 5, 0xFFFFFFFE, 0, child, 0xFFFFFFFF)
	for i, e := range ents {
		right := uint32(0xFFFFFFFF)
		if i+1 < len(ents) {
			right = uint32(i + 2)
		}
		writeEnt(i+1, e.name, 2, uint32(e.start), uint32(e.size), 0xFFFFFFFF, right)
	}
	out.Write(dir)
	for _, s := range body {
		out.Write(s)
	}
	return out.Bytes()
}
