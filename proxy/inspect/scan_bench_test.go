package inspect

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/internal/fixture"
)

type discardSink struct{ n int }

func (d *discardSink) Segment(s Segment) error { d.n += len(s.Text); return nil }

func benchScan(b *testing.B, data []byte, name string) {
	b.Helper()
	s := NewScanner(Options{Detect: DetectOptions{Keywords: []string{"客户", "报价", "合同", "联系人"}}})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	defer func() { reportCPU(b, cpu); b.ReportMetric(float64(len(data)), "file-bytes") }()
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
	cpu := processCPU()
	defer func() { reportCPU(b, cpu) }()
	for b.Loop() {
		sink := &discardSink{}
		if _, err := s.scan(context.Background(), bytes.NewReader(data), int64(len(data)), name, sink); err != nil || sink.n == 0 {
			b.Fatalf("extract: %v", err)
		}
	}
}

// reportCPU reports the process CPU time per operation since start (all threads,
// including the garbage collector).
func reportCPU(b *testing.B, start time.Duration) {
	if b.N > 0 && start > 0 {
		b.ReportMetric(float64(processCPU()-start)/float64(b.N)/1e6, "cpu-ms/op")
	}
}

// BenchmarkScanXLSX10k is the target: Scan (extraction + detectors) of the
// 10,000-row customer xlsx, under 150 ms and 50 MB allocated per scan.
func BenchmarkScanXLSX10k(b *testing.B) {
	benchScan(b, fixture.XLSXSheets(fixture.Sheet{Name: "客户", Rows: fixture.CustomerRows(10000)}), "客户清单.xlsx")
}

// BenchmarkScanXLSX10kWide scans 10,000 rows of ten columns (address, title, order
// number, amount, notes added), closer to a real CRM export of about 1 MB.
func BenchmarkScanXLSX10kWide(b *testing.B) {
	benchScan(b, fixture.XLSXSheets(fixture.Sheet{Name: "客户", Rows: wideRows(10000)}), "客户清单.xlsx")
}

// wideRows returns fixture.CustomerRows(n) with five more columns per row.
func wideRows(n int) [][]string {
	rows := fixture.CustomerRows(n)
	rows[0] = append(rows[0], "地址", "职位", "订单号", "金额", "备注")
	titles := []string{"采购经理", "总经理", "财务", "销售总监"}
	cities := []string{"上海", "北京", "深圳", "杭州", "苏州", "成都", "武汉", "南京"}
	for i := 1; i < len(rows); i++ {
		rows[i] = append(rows[i], fmt.Sprintf("%s市某某区某某路%d号%d室", cities[i%len(cities)], i%997, i%31),
			titles[i%len(titles)], fmt.Sprintf("SO2024%06d", i), fmt.Sprint(1000+i*37%90000), fmt.Sprintf("第%d次跟进，约%d月回访", i%9, 1+i%12))
	}
	return rows
}

// BenchmarkExtractXLSX10k is the extraction half alone on the same workbook.
func BenchmarkExtractXLSX10k(b *testing.B) {
	benchExtract(b, fixture.XLSXSheets(fixture.Sheet{Name: "客户", Rows: fixture.CustomerRows(10000)}), "客户清单.xlsx")
}

// BenchmarkScanNestedZip scans zip-in-zip-in-zip holding a 2,000-row xlsx and a GBK CSV.
func BenchmarkScanNestedZip(b *testing.B) {
	rows := fixture.CustomerRows(2000)
	inner := fixture.ZipFiles(fixture.File{Name: "客户.xlsx", Data: fixture.XLSXSheets(fixture.Sheet{Name: "客户", Rows: rows})},
		fixture.File{Name: "客户.csv", Data: fixture.GBK(fixture.RowsText(rows, ","))})
	data := fixture.ZipFiles(fixture.File{Name: "mid.zip", Data: fixture.ZipFiles(fixture.File{Name: "inner.zip", Data: inner})})
	benchScan(b, data, "outer.zip")
}

// BenchmarkExtractCSVGBK extracts a 10,000-row GBK CSV.
func BenchmarkExtractCSVGBK(b *testing.B) {
	benchExtract(b, fixture.GBK(fixture.RowsText(fixture.CustomerRows(10000), ",")), "客户.csv")
}

// BenchmarkExtractPDF extracts a 20-page PDF of 40 lines each.
func BenchmarkExtractPDF(b *testing.B) {
	var pages [][]string
	rows := fixture.CustomerRows(800)
	for p := 0; p < 20; p++ {
		var lines []string
		for _, r := range rows[1+p*40 : 1+(p+1)*40] {
			lines = append(lines, "client "+r[2]+" "+r[3])
		}
		pages = append(pages, lines)
	}
	benchExtract(b, fixture.PDF(pages...), "list.pdf")
}
