package inspect

import (
	"bytes"
	"context"
	"github.com/sluice-dlp/sluice/internal/testtool"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-dlp/sluice/internal/fixture"
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
	rows := fixture.CustomerRows(10000)
	data := fixture.XLSXSheets(fixture.Sheet{Name: "客户", Rows: rows}, fixture.Sheet{Name: "备注", Rows: [][]string{{"", "", "仅列C"}}})
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
	if !res.ExcerptMore || !res.ExcerptCut {
		t.Errorf("the excerpt of 10001 rows does not say it was cut (cut %v, more %v)", res.ExcerptCut, res.ExcerptMore)
	}
	full := scanFull(t, data, "客户清单.xlsx")
	if n := full.Count(KindPhone); n != 10000 {
		t.Errorf("phones %d, want 10000", n)
	}
	if n := full.Count(KindEmail); n != 10000 {
		t.Errorf("emails %d, want 10000", n)
	}
	if strings.Contains(full.Excerpt, fixture.CustomerMobile(0)) {
		t.Errorf("excerpt leaks a full mobile number: %q", full.Excerpt)
	}
}

func TestDisguisedKeepsRealType(t *testing.T) {
	data := fixture.XLSXSheets(fixture.Sheet{Name: "Sheet1", Rows: fixture.CustomerRows(50)})
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

func TestDOCXContactTable(t *testing.T) {
	table := [][]string{{"姓名", "公司", "手机"}, {"张伟", "上海某贸易有限公司", "13812345678"}, {"李娜", "北京某科技有限公司", "13998765432"}}
	data := fixture.DOCX([]string{"客户联系人清单", "请勿外传"}, table)
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
	data := fixture.PPTX([]string{"季度汇报"}, []string{"大客户：王总 13812345678", "邮箱 wang@example.com"})
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
	data := fixture.PDF(lines, []string{"Page two: 15012345678"})
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
	f := filepath.Join(t.TempDir(), "list.pdf")
	os.WriteFile(f, data, 0o644)
	out, err := exec.Command(testtool.Require(t, "pdftotext"), f, "-").Output()
	if err != nil || !strings.Contains(string(out), "13998765432") {
		t.Errorf("pdftotext cannot read the fixture: %v %q", err, out)
	}
	if n := scanFull(t, data, "list.pdf").Count(KindPhone); n != 3 {
		t.Errorf("phones %d, want 3", n)
	}
}

func TestPDFToUnicode(t *testing.T) {
	lines := []string{"客户名单", "王伟 13812345678 上海"}
	data := fixture.PDFUnicode(lines)
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
	data := fixture.PDF([]string{})
	res, _ := extract(t, data, "scan.pdf", Limits{})
	wantOnly(t, res, KindNoText)
}

func TestNestedZip(t *testing.T) {
	xlsx := fixture.XLSXSheets(fixture.Sheet{Name: "客户", Rows: fixture.CustomerRows(20)})
	inner := fixture.ZipFiles(fixture.File{Name: "customers.xlsx", Data: xlsx}, fixture.File{Name: "readme.txt", Data: []byte("联系 13512345678\n")})
	mid := fixture.ZipFiles(fixture.File{Name: "inner.zip", Data: inner})
	outer := fixture.ZipFiles(fixture.File{Name: "docs/mid.zip", Data: mid})
	res, segs := extract(t, outer, "outer.zip", Limits{})
	if res.Type != "zip" {
		t.Fatalf("type %q", res.Type)
	}
	wantOnly(t, res)
	want := strings.Join(fixture.CustomerRows(20)[3], "\t")
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

func TestODS(t *testing.T) {
	rows := fixture.CustomerRows(3)
	data := fixture.ODS(rows)
	res, segs := extract(t, data, "客户.ods", Limits{})
	if res.Type != "ods" {
		t.Fatalf("type %q", res.Type)
	}
	wantOnly(t, res)
	if got, _ := segAt(segs, "table 1 row 3"); got != strings.Join(rows[2], "\t") {
		t.Errorf("row 3 = %q (%v)", got, segs)
	}
}

func TestXLSXInlineRichAndNumbers(t *testing.T) {
	base := fixture.XLSXSheets(fixture.Sheet{Name: "名单", Rows: [][]string{{"x"}}})
	sheet := `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
		`<row r="5"><c r="A5" t="inlineStr"><is><r><t>王</t></r><r><t>伟</t></r><rPh><t>wang</t></rPh></is></c>` +
		`<c r="C5"><v>1.3812345678E10</v></c><c r="D5" t="b"><v>1</v></c><c r="E5" t="s"><v>0</v></c><c r="F5" t="s"><v>99</v></c></row>` +
		`<row><c t="str"><v>公式 13998765432</v></c></row></sheetData></worksheet>`
	data := fixture.ReplaceZipEntry(base, "xl/worksheets/sheet1.xml", []byte(sheet))
	_, segs := extract(t, data, "a.xlsx", Limits{})
	if got, _ := segAt(segs, "名单!R5"); got != "王伟\t\t13812345678\tTRUE\tx" {
		t.Errorf("R5 = %q", got)
	}
	if got, _ := segAt(segs, "名单!R6"); got != "公式 13998765432" {
		t.Errorf("R6 = %q (%v)", got, segs)
	}
}

func TestDOCXTextBoxNotDoubled(t *testing.T) {
	doc := `<?xml version="1.0" encoding="UTF-8"?><w:document ` + fixture.WordNS + ` xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><w:body>` +
		`<w:p><w:r><w:t>正文</w:t></w:r><w:r><mc:AlternateContent><mc:Choice><w:txbxContent><w:p><w:r><w:t>框内 13812345678</w:t></w:r></w:p></w:txbxContent></mc:Choice>` +
		`<mc:Fallback><w:txbxContent><w:p><w:r><w:t>框内 13812345678</w:t></w:r></w:p></w:txbxContent></mc:Fallback></mc:AlternateContent></w:r></w:p>` +
		`<w:p><w:del><w:r><w:delText>已删 13998765432</w:delText></w:r></w:del><w:r><w:tab/><w:t>尾</w:t></w:r></w:p></w:body></w:document>`
	_, segs := extract(t, fixture.DOCXPackage(doc), "a.docx", Limits{})
	text := allText(segs)
	if strings.Count(text, "13812345678") != 1 || !strings.Contains(text, "已删 13998765432\t尾") {
		t.Errorf("text %q", text)
	}
}
