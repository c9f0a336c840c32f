package inspect

import (
	"bytes"
	"context"
	"testing"
)

type discardSink struct{ n int }

func (d *discardSink) Segment(s Segment) error { d.n += len(s.Text); return nil }

func benchScan(b *testing.B, data []byte, name string) {
	b.Helper()
	s := NewScanner(Options{Detect: DetectOptions{Keywords: []string{"客户", "报价", "合同", "联系人"}}})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := s.Scan(context.Background(), bytes.NewReader(data), int64(len(data)), name)
		if err != nil || res.Count(KindPhone) == 0 {
			b.Fatalf("scan: %v %+v", err, res)
		}
	}
}

func benchExtract(b *testing.B, data []byte, name string) {
	b.Helper()
	s := NewScanner(Options{})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		sink := &discardSink{}
		if _, err := s.scan(context.Background(), bytes.NewReader(data), int64(len(data)), name, sink); err != nil || sink.n == 0 {
			b.Fatalf("extract: %v", err)
		}
	}
}

// BenchmarkScanXLSX10k is the target: Scan (extraction + detectors) of the
// 10,000-row customer xlsx, under 150 ms and 50 MB allocated per scan.
func BenchmarkScanXLSX10k(b *testing.B) {
	benchScan(b, makeXLSX(b, fixtureSheet{"客户", customerRows(10000)}), "客户清单.xlsx")
}

// BenchmarkExtractXLSX10k is the extraction half alone on the same workbook.
func BenchmarkExtractXLSX10k(b *testing.B) {
	benchExtract(b, makeXLSX(b, fixtureSheet{"客户", customerRows(10000)}), "客户清单.xlsx")
}

// BenchmarkScanNestedZip scans zip-in-zip-in-zip holding a 2,000-row xlsx and a GBK CSV.
func BenchmarkScanNestedZip(b *testing.B) {
	rows := customerRows(2000)
	inner := makeZip(b, fixtureFile{"客户.xlsx", makeXLSX(b, fixtureSheet{"客户", rows})},
		fixtureFile{"客户.csv", encodeGBK(b, rowsText(rows, ","))})
	data := makeZip(b, fixtureFile{"mid.zip", makeZip(b, fixtureFile{"inner.zip", inner})})
	benchScan(b, data, "outer.zip")
}

// BenchmarkExtractCSVGBK extracts a 10,000-row GBK CSV.
func BenchmarkExtractCSVGBK(b *testing.B) {
	benchExtract(b, encodeGBK(b, rowsText(customerRows(10000), ",")), "客户.csv")
}

// BenchmarkExtractPDF extracts a 20-page PDF of 40 lines each.
func BenchmarkExtractPDF(b *testing.B) {
	var pages [][]string
	rows := customerRows(800)
	for p := 0; p < 20; p++ {
		var lines []string
		for _, r := range rows[1+p*40 : 1+(p+1)*40] {
			lines = append(lines, "client "+r[2]+" "+r[3])
		}
		pages = append(pages, lines)
	}
	benchExtract(b, makePDF(b, pages...), "list.pdf")
}
