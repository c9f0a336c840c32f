package inspect

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sluice-dlp/sluice/internal/fixture"
)

// fuzzScan scans data with tight limits and checks the invariants every input must keep:
// a result with non-nil findings, valid UTF-8 segments, and no panic in this package's
// parsers (a recovered panic shows up as "parser failed"; pdfcpu's own are tolerated).
func fuzzScan(t *testing.T, data []byte, name string) {
	lim := Limits{MaxTotal: 16 << 20, MaxText: 4 << 20, TimeBudget: 5 * time.Second}
	sink := &checkSink{t: t}
	res, err := NewScanner(Options{Limits: lim}).scan(context.Background(), bytes.NewReader(data), int64(len(data)), name, sink)
	if err != nil {
		t.Fatalf("scan error on in-memory input: %v", err)
	}
	if res == nil || res.Findings == nil || res.Type == "" {
		t.Fatalf("bad result %+v", res)
	}
	for _, f := range res.Findings {
		if strings.Contains(f.Detail, "parser failed") && !strings.Contains(f.Detail, "pdf parser") {
			t.Fatalf("recovered panic: %s", f.Detail)
		}
	}
	if full, err := NewScanner(Options{Limits: lim}).Scan(context.Background(), bytes.NewReader(data), int64(len(data)), name); err != nil || full == nil {
		t.Fatalf("Scan: %v", err)
	}
}

type checkSink struct{ t *testing.T }

func (c *checkSink) Segment(s Segment) error {
	if !utf8.ValidString(s.Text) {
		c.t.Fatalf("invalid UTF-8 segment at %s", s.Location)
	}
	return nil
}

func FuzzXLSX(f *testing.F) {
	f.Add(fixture.XLSXSheets(fixture.Sheet{Name: "客户", Rows: fixture.CustomerRows(5)}))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzScan(t, data, "a.xlsx") })
}

func FuzzDOCX(f *testing.F) {
	f.Add(fixture.DOCX([]string{"客户 13812345678"}, [][]string{{"a", "b"}}))
	f.Add(fixture.PPTX([]string{"slide 13812345678"}))
	f.Add(fixture.BillionLaughsDOCX())
	f.Fuzz(func(t *testing.T, data []byte) { fuzzScan(t, data, "a.docx") })
}

func FuzzPDF(f *testing.F) {
	f.Add(fixture.PDF([]string{"Zhang 13812345678"}))
	f.Add(fixture.PDFUnicode([]string{"王伟 13812345678"}))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzScan(t, data, "a.pdf") })
}

// FuzzPDFContent fuzzes the content-stream and CMap interpreters directly (pdfcpu's
// object parser rarely lets mutated streams through).
func FuzzPDFContent(f *testing.F) {
	f.Add([]byte("BT /F1 12 Tf 72 760 Td (13812345678) Tj [(a) -300 (b)] TJ T* ET BI /W 1 ID \x00\xff EI"),
		[]byte("1 begincodespacerange <0000> <FFFF> endcodespacerange 2 beginbfchar <0001> <738B> <0002> <4F1F> endbfchar 1 beginbfrange <0010> <0020> <0030> endbfrange"))
	f.Fuzz(func(t *testing.T, content, cmap []byte) {
		w := &walker{b: &budget{ctx: context.Background(), lim: DefaultLimits()}, sink: &checkSink{t: t}}
		pt := &pdfText{w: w, fonts: map[string]*pdfFont{"F1": {cmap: parseToUnicode(cmap), twoByte: true}}}
		pt.font = pt.fonts["F1"]
		if err := pt.run(content, nil, 0); err != nil {
			t.Fatal(err)
		}
		pt.flush()
	})
}

func FuzzZip(f *testing.F) {
	f.Add(fixture.ZipFiles(fixture.File{Name: "a.zip", Data: fixture.ZipFiles(fixture.File{Name: "b.txt", Data: []byte("13812345678")})}))
	f.Add(fixture.EncryptedZip("a.txt", []byte("secret")))
	f.Add(fixture.Gzip("a.tar", fixture.Tar(fixture.File{Name: "x.csv", Data: []byte("a,13812345678\n")})))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzScan(t, data, "a.zip") })
}

func FuzzText(f *testing.F) {
	rows := fixture.RowsText(fixture.CustomerRows(3), ",")
	f.Add([]byte(rows))
	f.Add(fixture.GBK(rows))
	f.Add(fixture.UTF16LE(rows))
	f.Add([]byte(`<html><body><table><tr><td>王伟</td><td>13812345678</td></tr></table></body></html>`))
	f.Add([]byte(`{"a":[{"n":"王伟","p":13812345678}],"b":"x"}`))
	f.Add([]byte(`<?xml version="1.0"?><r><c><n>王伟</n></c></r>`))
	f.Add(fixture.EML("主题", "正文 13812345678", fixture.File{Name: "a.txt", Data: []byte("13998765432")}))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzScan(t, data, "a.csv") })
}

func FuzzCFB(f *testing.F) {
	f.Add(fixture.CFB(map[string][]byte{"Workbook": fixture.BIFFWorkbook([][]string{{"公司", "手机"}, {"某公司", "13812345678"}})}))
	text := "客户 王伟\r电话 13812345678\r"
	f.Add(fixture.CFB(map[string][]byte{"WordDocument": fixture.WordDocument(text), "1Table": fixture.WordTable(len([]rune(text)))}))
	f.Add(fixture.CFB(map[string][]byte{"PowerPoint Document": {0x00, 0x00, 0xA0, 0x0F, 4, 0, 0, 0, '1', 0, '3', 0}}))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzScan(t, data, "a.xls") })
}
