package inspect

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// segSink records every segment it receives.
type segSink struct{ segs []Segment }

func (s *segSink) Segment(g Segment) error { s.segs = append(s.segs, g); return nil }

// extract runs the extraction half only, returning the extraction findings and segments.
func extract(t testing.TB, data []byte, name string, lim Limits) (*Result, []Segment) {
	t.Helper()
	sink := &segSink{}
	res, err := NewScanner(Options{Limits: lim}).scan(context.Background(), bytes.NewReader(data), int64(len(data)), name, sink)
	if err != nil {
		t.Fatalf("scan %s: %v", name, err)
	}
	return res, sink.segs
}

// scanFull runs the public Scan with the real Detector.
func scanFull(t testing.TB, data []byte, name string) *Result {
	t.Helper()
	res, err := NewScanner(Options{}).Scan(context.Background(), bytes.NewReader(data), int64(len(data)), name)
	if err != nil {
		t.Fatalf("Scan %s: %v", name, err)
	}
	return res
}

func finding(r *Result, kind string) *Finding {
	for i := range r.Findings {
		if r.Findings[i].Kind == kind {
			return &r.Findings[i]
		}
	}
	return nil
}

// segAt returns the text of the segment at location loc.
func segAt(segs []Segment, loc string) (string, bool) {
	for _, s := range segs {
		if s.Location == loc {
			return s.Text, true
		}
	}
	return "", false
}

func allText(segs []Segment) string {
	var b strings.Builder
	for _, s := range segs {
		b.WriteString(s.Text + "\n")
	}
	return b.String()
}

func wantOnly(t *testing.T, r *Result, kinds ...string) {
	t.Helper()
	got := map[string]bool{}
	for _, f := range r.Findings {
		got[f.Kind] = true
	}
	for _, k := range kinds {
		if !got[k] {
			t.Errorf("missing %s finding; findings: %+v", k, r.Findings)
		}
		delete(got, k)
	}
	for k := range got {
		t.Errorf("unexpected %s finding: %+v", k, finding(r, k))
	}
}

func TestXLSXCustomerList(t *testing.T) {
	rows := customerRows(10000)
	data := makeXLSX(t, fixtureSheet{"客户", rows}, fixtureSheet{"备注", [][]string{{"", "", "仅列C"}}})
	res, segs := extract(t, data, "客户清单.xlsx", Limits{})
	if res.Type != "xlsx" || !strings.Contains(res.MIME, "spreadsheetml") {
		t.Fatalf("type %q %q, want xlsx", res.Type, res.MIME)
	}
	wantOnly(t, res)
	if len(segs) != 10002 {
		t.Fatalf("%d segments, want 10002 (10001 rows + 1)", len(segs))
	}
	want := strings.Join(rows[43], "\t")
	if got, ok := segAt(segs, "客户!R44"); !ok || got != want {
		t.Errorf("客户!R44 = %q, want %q", got, want)
	}
	if got, _ := segAt(segs, "备注!R1"); got != "\t\t仅列C" {
		t.Errorf("empty leading cells not kept: %q", got)
	}
	if !strings.HasPrefix(res.Excerpt, "公司名称\t联系人") {
		t.Errorf("excerpt %q", res.Excerpt)
	}
	full := scanFull(t, data, "客户清单.xlsx")
	if n := full.Count(KindPhone); n != 10000 {
		t.Errorf("phones %d, want 10000", n)
	}
	if n := full.Count(KindEmail); n != 10000 {
		t.Errorf("emails %d, want 10000", n)
	}
	if strings.Contains(full.Excerpt, fixtureMobile(0)) {
		t.Errorf("excerpt leaks a full mobile number: %q", full.Excerpt)
	}
}

func TestDisguisedKeepsRealType(t *testing.T) {
	data := makeXLSX(t, fixtureSheet{"Sheet1", customerRows(50)})
	real := scanFull(t, data, "客户清单.xlsx")
	for _, name := range []string{"工作总结.txt", "风景.jpg", "notes.dat", "报表"} {
		res := scanFull(t, data, name)
		if res.Type != "xlsx" {
			t.Errorf("%s: type %q, want xlsx", name, res.Type)
		}
		if res.Count(KindPhone) != real.Count(KindPhone) || res.Count(KindPhone) != 50 {
			t.Errorf("%s: %d phones, real name gives %d", name, res.Count(KindPhone), real.Count(KindPhone))
		}
		f := finding(res, KindDisguised)
		wantDisguise := name != "报表"
		if (f != nil) != wantDisguise {
			t.Errorf("%s: disguised finding %+v, want %v", name, f, wantDisguise)
		}
		if f != nil && !(strings.Contains(f.Detail, "xlsx") && strings.Contains(f.Detail, strings.TrimPrefix(filepath.Ext(name), "."))) {
			t.Errorf("%s: detail %q should name both types", name, f.Detail)
		}
	}
	if real.Has(KindDisguised) {
		t.Errorf("real name reported disguised")
	}
}

func TestDisguiseTable(t *testing.T) {
	cases := []struct {
		name, typ string
		want      bool
	}{
		{"a.xlsx", "xlsx", false}, {"a.XLSX", "xlsx", false}, {"a.txt", "xlsx", true}, {"a.jpg", "xlsx", true},
		{"a.csv", "txt", false}, {"a.txt", "csv", false}, {"a.png", "jpeg", false}, {"a.pdf", "jpeg", true},
		{"a.zip", "xlsx", true}, {"a.dat", "txt", false}, {"a.dat", "bin", false}, {"a.dat", "pdf", true},
		{"", "xlsx", false}, {`C:\docs\a.docx`, "docx", false}, {"a.xls", "html", false}, {"a.jpg", "txt", true},
	}
	for _, c := range cases {
		if _, got := disguise(c.name, c.typ); got != c.want {
			t.Errorf("disguise(%q, %q) = %v, want %v", c.name, c.typ, got, c.want)
		}
	}
}

func TestTextEncodings(t *testing.T) {
	rows := customerRows(30)
	utf8CSV := rowsText(rows, ",")
	cases := []struct {
		name string
		data []byte
		typ  string
		enc  string
	}{
		{"客户.csv", encodeGBK(t, utf8CSV), "csv", "gb18030"},
		{"客户.csv", encodeUTF16LE(utf8CSV), "csv", "utf-16le"},
		{"客户.txt", encodeUTF16LE(rowsText(rows, "\t")), "tsv", "utf-16le"},
		{"客户.csv", append([]byte{0xEF, 0xBB, 0xBF}, utf8CSV...), "csv", ""},
		{"客户.txt", []byte(rowsText(rows, " ")), "txt", ""},
	}
	for _, c := range cases {
		res, segs := extract(t, c.data, c.name, Limits{})
		if res.Type != c.typ || !strings.Contains(res.MIME, c.enc) {
			t.Errorf("%s/%s: type %q mime %q, want %s %s", c.name, c.enc, res.Type, res.MIME, c.typ, c.enc)
		}
		wantOnly(t, res)
		sep := "\t"
		if c.typ == "txt" {
			sep = " "
		}
		if got, _ := segAt(segs, "line 6"); got != strings.Join(rows[5], sep) {
			t.Errorf("%s/%s: line 6 = %q, want %q", c.name, c.enc, got, strings.Join(rows[5], sep))
		}
		if n := scanFull(t, c.data, c.name).Count(KindPhone); n != 30 {
			t.Errorf("%s/%s: %d phones, want 30", c.name, c.enc, n)
		}
	}
}

func TestCSVQuotedFields(t *testing.T) {
	data := []byte("name,note,phone\n\"Wang, Li\",\"said \"\"hi\"\"\",13812345678\n")
	_, segs := extract(t, data, "a.csv", Limits{})
	if got, _ := segAt(segs, "line 2"); got != "Wang, Li\tsaid \"hi\"\t13812345678" {
		t.Errorf("line 2 = %q", got)
	}
}

func TestDOCXContactTable(t *testing.T) {
	table := [][]string{{"姓名", "公司", "手机"}, {"张伟", "上海某贸易有限公司", "13812345678"}, {"李娜", "北京某科技有限公司", "13998765432"}}
	data := makeDOCX(t, []string{"客户联系人清单", "请勿外传"}, table)
	res, segs := extract(t, data, "联系人.docx", Limits{})
	if res.Type != "docx" {
		t.Fatalf("type %q", res.Type)
	}
	wantOnly(t, res)
	if got, _ := segAt(segs, "word/document.xml ¶2"); got != "请勿外传" {
		t.Errorf("¶2 = %q", got)
	}
	if got, _ := segAt(segs, "word/document.xml table 1 row 2"); got != "张伟\t上海某贸易有限公司\t13812345678" {
		t.Errorf("table row 2 = %q", got)
	}
	if n := scanFull(t, data, "联系人.docx").Count(KindPhone); n != 2 {
		t.Errorf("phones %d, want 2", n)
	}
}

func TestPPTX(t *testing.T) {
	data := makePPTX(t, []string{"季度汇报"}, []string{"大客户：王总 13812345678", "邮箱 wang@example.com"})
	res, segs := extract(t, data, "汇报.pptx", Limits{})
	if res.Type != "pptx" {
		t.Fatalf("type %q", res.Type)
	}
	if got, _ := segAt(segs, "slide 2 ¶1"); got != "大客户：王总 13812345678" {
		t.Errorf("slide 2 ¶1 = %q (segments %v)", got, segs)
	}
}

func TestPDFPhones(t *testing.T) {
	lines := []string{"Customer list Q3", "Zhang Wei 138-1234-5678", "Li Na 13998765432 li@example.com"}
	data := makePDF(t, lines, []string{"Page two: 15012345678"})
	res, segs := extract(t, data, "list.pdf", Limits{})
	if res.Type != "pdf" {
		t.Fatalf("type %q", res.Type)
	}
	wantOnly(t, res)
	if got, _ := segAt(segs, "page 2"); got != "Page two: 15012345678" {
		t.Errorf("page 2 = %q (all %v)", got, segs)
	}
	if !strings.Contains(allText(segs), "Li Na 13998765432 li@example.com") {
		t.Errorf("page 1 text missing: %v", segs)
	}
	// The fixture is a real PDF: poppler reads the same text.
	if _, err := exec.LookPath("pdftotext"); err == nil {
		f := filepath.Join(t.TempDir(), "list.pdf")
		os.WriteFile(f, data, 0o644)
		out, err := exec.Command("pdftotext", f, "-").Output()
		if err != nil || !strings.Contains(string(out), "13998765432") {
			t.Errorf("pdftotext cannot read the fixture: %v %q", err, out)
		}
	}
	if n := scanFull(t, data, "list.pdf").Count(KindPhone); n != 3 {
		t.Errorf("phones %d, want 3", n)
	}
}

func TestPDFToUnicode(t *testing.T) {
	lines := []string{"客户名单", "王伟 13812345678 上海"}
	data := makePDFUnicode(t, lines)
	res, segs := extract(t, data, "名单.pdf", Limits{})
	if res.Type != "pdf" {
		t.Fatalf("type %q", res.Type)
	}
	text := allText(segs)
	for _, l := range lines {
		if !strings.Contains(text, l) {
			t.Errorf("missing %q in %q", l, text)
		}
	}
}

func TestPDFNoTextLayer(t *testing.T) {
	data := makePDF(t, []string{})
	res, _ := extract(t, data, "scan.pdf", Limits{})
	wantOnly(t, res, KindNoText)
}

func TestNestedZip(t *testing.T) {
	xlsx := makeXLSX(t, fixtureSheet{"客户", customerRows(20)})
	inner := makeZip(t, fixtureFile{"customers.xlsx", xlsx}, fixtureFile{"readme.txt", []byte("联系 13512345678\n")})
	mid := makeZip(t, fixtureFile{"inner.zip", inner})
	outer := makeZip(t, fixtureFile{"docs/mid.zip", mid})
	res, segs := extract(t, outer, "outer.zip", Limits{})
	if res.Type != "zip" {
		t.Fatalf("type %q", res.Type)
	}
	wantOnly(t, res)
	want := strings.Join(customerRows(20)[3], "\t")
	if got, ok := segAt(segs, "outer.zip/docs/mid.zip/inner.zip/customers.xlsx 客户!R4"); !ok || got != want {
		t.Errorf("nested row = %q, %v; segments start %v", got, ok, segs[:min(3, len(segs))])
	}
	if _, ok := segAt(segs, "outer.zip/docs/mid.zip/inner.zip/readme.txt line 1"); !ok {
		t.Errorf("nested txt missing")
	}
	if n := scanFull(t, outer, "outer.zip").Count(KindPhone); n != 21 {
		t.Errorf("phones %d, want 21", n)
	}
}

func TestGzipTar(t *testing.T) {
	csv := []byte(rowsText(customerRows(5), ","))
	tarData := makeTar(t, fixtureFile{"export/客户.csv", csv}, fixtureFile{"export/a.json", []byte(`[{"name":"王伟","mobile":"13812345678"}]`)})
	tgz := makeGzip(t, "", tarData)
	res, segs := extract(t, tgz, "backup.tar.gz", Limits{})
	if res.Type != "gz" {
		t.Fatalf("type %q", res.Type)
	}
	wantOnly(t, res)
	if _, ok := segAt(segs, "backup.tar.gz/backup.tar/export/客户.csv line 2"); !ok {
		t.Errorf("csv in tar.gz missing: %v", segs)
	}
	if got, _ := segAt(segs, "backup.tar.gz/backup.tar/export/a.json item 1"); got != "王伟\t13812345678" {
		t.Errorf("json in tar.gz = %q", got)
	}
}

func TestHTMLJSONXML(t *testing.T) {
	html := []byte(`<html><head><title>客户</title><script>var x="13800000000";</script></head><body><table><tr><td>王伟</td><td>13812345678</td></tr></table><p>备注&amp;说明</p></body></html>`)
	res, segs := extract(t, html, "a.html", Limits{})
	if res.Type != "html" {
		t.Fatalf("html type %q", res.Type)
	}
	text := allText(segs)
	if !strings.Contains(text, "王伟\t13812345678") || !strings.Contains(text, "备注&说明") || strings.Contains(text, "13800000000") {
		t.Errorf("html text %q", text)
	}
	js := []byte(`{"customers":[{"name":"王伟","phone":13812345678,"tags":["vip","sh"]},{"name":"李娜","phone":"139-9876-5432"}]}`)
	res, segs = extract(t, js, "a.json", Limits{})
	if res.Type != "json" {
		t.Fatalf("json type %q", res.Type)
	}
	if got := allText(segs); !strings.Contains(got, "王伟\t13812345678\n") || !strings.Contains(got, "李娜\t139-9876-5432") {
		t.Errorf("json segments %q", got)
	}
	broken := []byte(`{"a":"王伟 13812345678"} } garbage 13998765432`)
	_, segs = extract(t, broken, "b.json", Limits{})
	if got := allText(segs); !strings.Contains(got, "13812345678") || !strings.Contains(got, "13998765432") {
		t.Errorf("broken json text %q", got)
	}
	x := []byte(`<?xml version="1.0"?><list><c><name>王伟</name><tel>13812345678</tel></c><c><name>李娜</name><tel>13998765432</tel></c></list>`)
	_, segs = extract(t, x, "a.xml", Limits{})
	if got, _ := segAt(segs, "element 2"); got != "李娜\t13998765432" {
		t.Errorf("xml element 2 = %q (%v)", got, segs)
	}
}

func TestEML(t *testing.T) {
	xlsx := makeXLSX(t, fixtureSheet{"客户", customerRows(10)})
	data := makeEML(t, "客户资料", "你好，附件是客户名单。\r\n联系电话 13512345678\r\n", fixtureFile{"客户.xlsx", xlsx})
	res, segs := extract(t, data, "mail.eml", Limits{})
	if res.Type != "eml" {
		t.Fatalf("type %q", res.Type)
	}
	wantOnly(t, res)
	if got, _ := segAt(segs, "header Subject"); got != "Subject: 客户资料" {
		t.Errorf("subject %q", got)
	}
	if got, _ := segAt(segs, "mail.eml/body line 2"); got != "联系电话 13512345678" {
		t.Errorf("GBK base64 body line 2 = %q (%v)", got, segs[:min(6, len(segs))])
	}
	if _, ok := segAt(segs, "mail.eml/客户.xlsx 客户!R11"); !ok {
		t.Errorf("attachment rows missing")
	}
}

func TestImagesAndBinary(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")
	res, _ := extract(t, png, "photo.png", Limits{})
	wantOnly(t, res, KindNoText)
	if res.Type != "png" || finding(res, KindNoText).Detail != "images carry no extractable text (no OCR)" {
		t.Errorf("png: %q %+v", res.Type, res.Findings)
	}
	bin := make([]byte, 4096)
	for i := range bin {
		bin[i] = byte(i*7 + i/13)
	}
	res, _ = extract(t, bin, "blob.dat", Limits{})
	if res.Type != "bin" {
		t.Errorf("binary type %q", res.Type)
	}
	wantOnly(t, res, KindNoText)
	res, _ = extract(t, nil, "empty.txt", Limits{})
	wantOnly(t, res, KindNoText)
}

func TestLegacyCFB(t *testing.T) {
	enc := makeCFB(t, map[string][]byte{"EncryptionInfo": {4, 0, 4, 0}, "EncryptedPackage": bytes.Repeat([]byte{0x5A}, 5000)})
	res, _ := extract(t, enc, "报价.xlsx", Limits{})
	wantOnly(t, res, KindEncrypted)
	if res.Has(KindDisguised) {
		t.Errorf("encrypted xlsx reported as disguised")
	}

	xls := makeCFB(t, map[string][]byte{"Workbook": biffWorkbook([][]string{{"公司", "手机"}, {"上海某公司", "13812345678"}})})
	res, segs := extract(t, xls, "客户.xls", Limits{})
	if res.Type != "xls" {
		t.Fatalf("xls type %q", res.Type)
	}
	wantOnly(t, res)
	if got, _ := segAt(segs, "客户!R2"); got != "上海某公司\t13812345678" {
		t.Errorf("xls row 2 = %q (%v)", got, segs)
	}
	doc := makeCFB(t, map[string][]byte{"WordDocument": wordDocument("客户 王伟\r电话 13812345678\r"), "1Table": wordTable(len([]rune("客户 王伟\r电话 13812345678\r")))})
	res, segs = extract(t, doc, "a.doc", Limits{})
	if res.Type != "doc" {
		t.Fatalf("doc type %q", res.Type)
	}
	if got, _ := segAt(segs, "¶2"); got != "电话 13812345678" {
		t.Errorf("doc ¶2 = %q (%v)", got, segs)
	}
}

// biffWorkbook builds a minimal BIFF8 Workbook stream with one sheet "客户": text cells
// in the shared string table, digit cells as NUMBER records.
func biffWorkbook(rows [][]string) []byte {
	rec := func(b *bytes.Buffer, typ uint16, data []byte) {
		b.Write([]byte{byte(typ), byte(typ >> 8), byte(len(data)), byte(len(data) >> 8)})
		b.Write(data)
	}
	u16 := func(v int) []byte { return []byte{byte(v), byte(v >> 8)} }
	u32 := func(v int) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)} }
	uni := func(s string) []byte { // flags 1: UTF-16LE
		var o []byte
		for _, r := range s {
			o = append(o, byte(r), byte(r>>8))
		}
		return o
	}
	var strs []string
	idx := map[string]int{}
	for _, r := range rows {
		for _, c := range r {
			if !fixtureDigits(c) {
				if _, ok := idx[c]; !ok {
					idx[c] = len(strs)
					strs = append(strs, c)
				}
			}
		}
	}
	var sst []byte
	sst = append(sst, u32(len(strs))...)
	sst = append(sst, u32(len(strs))...)
	for _, s := range strs {
		sst = append(sst, u16(len([]rune(s)))...)
		sst = append(sst, 1)
		sst = append(sst, uni(s)...)
	}
	bof := append(u16(0x0600), make([]byte, 14)...)
	build := func(sheetPos int) *bytes.Buffer {
		var g bytes.Buffer
		rec(&g, biffBOF, bof)
		name := "客户"
		bs := append(u32(sheetPos), 0, 0, byte(len([]rune(name))), 1)
		rec(&g, biffBoundSheet, append(bs, uni(name)...))
		rec(&g, biffSST, sst)
		rec(&g, 0x000A, nil)
		return &g
	}
	globals := build(0)
	g := build(globals.Len())
	rec(g, biffBOF, bof)
	for r, row := range rows {
		for c, v := range row {
			if fixtureDigits(v) {
				var f float64
				fmt.Sscan(v, &f)
				d := append(append(u16(r), u16(c)...), u16(0)...)
				var fb [8]byte
				bits := mathFloat64bits(f)
				for i := range fb {
					fb[i] = byte(bits >> (8 * i))
				}
				rec(g, biffNumber, append(d, fb[:]...))
			} else {
				rec(g, biffLabelSST, append(append(append(u16(r), u16(c)...), u16(0)...), u32(idx[v])...))
			}
		}
	}
	rec(g, 0x000A, nil)
	return g.Bytes()
}

// wordDocument builds a WordDocument stream: a FIB header (Word 97, table stream 1Table)
// followed at offset 0x800 by the text in UTF-16LE.
func wordDocument(text string) []byte {
	b := make([]byte, 0x800)
	b[0], b[1] = 0xEC, 0xA5
	b[0x0A], b[0x0B] = 0x00, 0x02 // fWhichTblStm
	// fcClx = 0, lcbClx = length of the CLX written by wordTable
	n := len([]rune(text))
	lcb := 5 + 4*2 + 8
	b[0x1A6] = byte(lcb)
	for _, r := range text {
		b = append(b, byte(r), byte(r>>8))
	}
	_ = n
	return b
}

// wordTable builds a table stream whose CLX has one piece of n UTF-16 characters at 0x800.
func wordTable(n int) []byte {
	clx := []byte{0x02, 16, 0, 0, 0}
	clx = append(clx, 0, 0, 0, 0, byte(n), byte(n>>8), 0, 0)
	clx = append(clx, 0, 0, 0x00, 0x08, 0, 0, 0, 0)
	return clx
}
