package inspect

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/sluice-dlp/sluice/internal/fixture"
	"github.com/sluice-dlp/sluice/internal/testtool"
)

// harmlessPDF is a one-page PDF that says nothing about customers.
func harmlessPDF() []byte {
	return fixture.PDF([]string{"Quarterly plan, internal", "Nothing to see here"})
}

// TestCustomerListAttachedToAPDFIsFound: a customer list attached to a harmless PDF (as qpdf attaches
// files: the EmbeddedFiles tree) is walked as a nested part, and so is an xlsx attached the same way.
func TestCustomerListAttachedToAPDFIsFound(t *testing.T) {
	testtool.Require(t, "qpdf")
	dir := t.TempDir()
	in := filepath.Join(dir, "plan.pdf")
	os.WriteFile(in, harmlessPDF(), 0o600)
	for name, data := range map[string][]byte{"客户名单.csv": fixture.CSV(fixture.Customers(40, 2)), "客户.xlsx": fixture.XLSX(fixture.Customers(40, 3))} {
		att := filepath.Join(dir, name)
		os.WriteFile(att, data, 0o600)
		out := filepath.Join(dir, "out-"+name+".pdf")
		if b, err := exec.Command("qpdf", in, "--add-attachment", att, "--", out).CombinedOutput(); err != nil {
			t.Fatalf("qpdf --add-attachment: %v %s", err, b)
		}
		pdf, _ := os.ReadFile(out)
		res := scanFull(t, pdf, "plan.pdf")
		if res.Type != "pdf" || res.Count(KindPhone) < 38 {
			t.Errorf("a PDF with %s attached: type %s, %d phones; %+v", name, res.Type, res.Count(KindPhone), res.Findings)
		}
	}
	if res := scanFull(t, harmlessPDF(), "plan.pdf"); res.Count(KindPhone) != 0 {
		t.Errorf("the harmless PDF alone: %+v", res.Findings)
	}
}

// TestCustomerListInPDFPropertiesIsFound: numbers pasted into the document properties (/Info, written
// with pdfcpu) are read like the pages.
func TestCustomerListInPDFPropertiesIsFound(t *testing.T) {
	var rows []string
	for _, c := range fixture.Customers(30, 4) {
		rows = append(rows, c.Company+" "+c.Contact+" "+c.Mobile)
	}
	var out bytes.Buffer
	if err := api.AddProperties(bytes.NewReader(harmlessPDF()), &out, map[string]string{"Memo": strings.Join(rows, "; "), "Project": "季度计划"}, nil); err != nil {
		t.Fatal(err)
	}
	if res := scanFull(t, out.Bytes(), "plan.pdf"); res.Count(KindPhone) < 28 {
		t.Errorf("30 contacts in a custom document property: %d phones; %+v", res.Count(KindPhone), res.Findings)
	}
}

// TestFileAttachmentAnnotationIsRead: a file carried by a page's FileAttachment annotation (the paper
// clip icon) is walked too.
func TestFileAttachmentAnnotationIsRead(t *testing.T) {
	csv := string(fixture.CSV(fixture.Customers(25, 6)))
	pdf := fixture.PDFObjects([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Annots [4 0 R] /Contents 6 0 R >>",
		"<< /Type /Annot /Subtype /FileAttachment /Rect [72 700 90 720] /FS << /Type /Filespec /F (list.csv) /UF (list.csv) /EF << /F 5 0 R >> >> >>",
		fmt.Sprintf("<< /Type /EmbeddedFile /Length %d >>\nstream\n%s\nendstream", len(csv), csv),
		fixture.PDFStream("BT ET"),
	})
	if res := scanFull(t, pdf, "memo.pdf"); res.Count(KindPhone) < 24 {
		t.Errorf("a list behind a paper clip: %d phones; %+v", res.Count(KindPhone), res.Findings)
	}
}

// TestPDFWithTooManyObjectsIsNotParsed: a PDF of 100,000 tiny objects (387 MB and 18 s of parsing
// before) is refused from a count of its objects.
func TestPDFWithTooManyObjectsIsNotParsed(t *testing.T) {
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>", fixture.PDFStream("BT ET")}
	for i := range 100_000 {
		objs = append(objs, fmt.Sprintf("[%d]", i))
	}
	pdf := fixture.PDFObjects(objs)
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	res := scanFull(t, pdf, "huge.pdf")
	runtime.ReadMemStats(&m1)
	if !res.Has(KindUninspectable) {
		t.Errorf("a 100,000-object PDF: %+v", res.Findings)
	}
	if got := (m1.TotalAlloc - m0.TotalAlloc) >> 20; got > 64 {
		t.Errorf("%d MB allocated to refuse it", got)
	}
}
