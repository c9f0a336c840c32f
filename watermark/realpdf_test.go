package watermark

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// needCITool is needTool that fails instead of skipping in CI, where
// scripts/test.sh installs the tool.
func needCITool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed (Debian %s); scripts/test.sh installs it", name, pkg)
		}
		t.Skipf("%s is not installed (Debian %s)", name, pkg)
	}
	return p
}

// TestPDFRealTools marks a PDF and runs it through what a leaker does to
// PDFs: rewrites by Ghostscript (also with images filtered out), mutool and
// cairo, and screenshots of Chromium's PDF viewer at 100 % and 150 %. Each
// must trace to the mark; the visible name must be in the text layer, also
// after Ghostscript dropped the images.
func TestPDFRealTools(t *testing.T) {
	gs := needCITool(t, "gs", "ghostscript")
	mutool := needCITool(t, "mutool", "mupdf-tools")
	cairo := needCITool(t, "pdftocairo", "poppler-utils")
	m := NewMarker(testKey)
	_, out := stampTestPDF(t, m, 3)
	dir := t.TempDir()
	in := filepath.Join(dir, "marked.pdf")
	if err := os.WriteFile(in, out, 0o600); err != nil {
		t.Fatal(err)
	}
	name := noSpace(VisibleText(testMark))
	if txt := pdftotextOf(t, in); !strings.Contains(noSpace(txt), name) {
		t.Errorf("pdftotext of the marked PDF lacks %q:\n%s", name, txt)
	}
	rewrites := []struct {
		name string
		args []string
	}{
		{"gs pdfwrite", []string{gs, "-q", "-dNOPAUSE", "-dBATCH", "-sDEVICE=pdfwrite", "-o", "OUT", in}},
		{"gs pdfwrite -dFILTERIMAGE", []string{gs, "-q", "-dNOPAUSE", "-dBATCH", "-sDEVICE=pdfwrite", "-dFILTERIMAGE", "-o", "OUT", in}},
		{"mutool clean -gg", []string{mutool, "clean", "-gg", in, "OUT"}},
		{"pdftocairo -pdf", []string{cairo, "-pdf", in, "OUT"}},
	}
	for i, rw := range rewrites {
		dst := filepath.Join(dir, fmt.Sprintf("rw%d.pdf", i))
		args := make([]string, len(rw.args))
		for j, a := range rw.args {
			args[j] = strings.ReplaceAll(a, "OUT", dst)
		}
		run(t, args[0], args[1:]...)
		b, err := os.ReadFile(dst)
		if err != nil {
			t.Fatal(err)
		}
		r, err := m.Decode(b)
		if err != nil || !r.Found || r.MarkID != testMark.ID {
			t.Errorf("%s: traced %+v %v, want %x", rw.name, r, err, testMark.ID)
		} else {
			t.Logf("%s: traced through layer %s", rw.name, r.Layer)
		}
		if txt := pdftotextOf(t, dst); !strings.Contains(noSpace(txt), name) {
			t.Errorf("%s: the visible name is not in the text layer any more", rw.name)
		}
	}
	// Screenshots of the first page in Chromium's PDF viewer.
	var jobs []shotJob
	for _, z := range []int{100, 150} {
		jobs = append(jobs, shotJob{URL: fmt.Sprintf("file://%s#zoom=%d", in, z), Width: 1280, Height: 1000, Scale: 1, Wait: 8000,
			Out: filepath.Join(dir, fmt.Sprintf("viewer%d.png", z))})
	}
	shoot(t, jobs)
	for _, j := range jobs {
		b, err := os.ReadFile(j.Out)
		if err != nil {
			t.Fatal(err)
		}
		if r, err := m.Decode(b); err != nil || !r.Found || r.MarkID != testMark.ID {
			t.Errorf("%s: traced %+v %v", j.URL, r, err)
		}
	}
}

// TestPrintedPageWithPhoto embeds a marked photo in a web page, prints it
// to PDF with Chromium and traces the PDF (through the embedded picture).
func TestPrintedPageWithPhoto(t *testing.T) {
	m := NewMarker(testKey)
	mark := Mark{ID: 0x7E57AB1E, Name: "李四", StaffID: "B22"}
	r, err := m.StampFile(encodeTestJPEG(t, genPhoto(900, 640, 31), 88), mark)
	if err != nil || r.Weak {
		t.Fatalf("StampFile: %v weak=%v", err, r.Weak)
	}
	dir := t.TempDir()
	photo := filepath.Join(dir, "p.jpg")
	page := filepath.Join(dir, "page.html")
	pdf := filepath.Join(dir, "page.pdf")
	if err := os.WriteFile(photo, r.Out, 0o600); err != nil {
		t.Fatal(err)
	}
	html := fmt.Sprintf(`<html><head><meta charset="utf-8"></head><body style="font-family:sans-serif"><h1>报价单</h1><p>请查收附件中的产品照片。</p><img src="file://%s" style="width:600px"></body></html>`, photo)
	if err := os.WriteFile(page, []byte(html), 0o600); err != nil {
		t.Fatal(err)
	}
	shoot(t, []shotJob{{URL: "file://" + page, Width: 1000, Height: 800, Scale: 1, PDF: pdf}})
	b, err := os.ReadFile(pdf)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Decode(b)
	if err != nil || !got.Found || got.MarkID != mark.ID {
		t.Fatalf("printed page: traced %+v %v, want %x", got, err, mark.ID)
	}
	t.Logf("printed page traced through layer %s", got.Layer)
}

// TestPDFTextTokenAfterGhostscript marks several one-page PDFs (each
// token is random) and drops their images with Ghostscript: every one must
// trace through the text token. Read in poppler's layout order, the
// tokens came out cut and re-ordered (8 of 8 failed).
func TestPDFTextTokenAfterGhostscript(t *testing.T) {
	gs := needCITool(t, "gs", "ghostscript")
	needCITool(t, "pdftotext", "poppler-utils")
	m := NewMarker(testKey)
	m.RenderTool = "-" // the text token only
	dir := t.TempDir()
	for i := 0; i < 8; i++ {
		_, out := stampTestPDF(t, m, 1)
		in, dst := filepath.Join(dir, "in.pdf"), filepath.Join(dir, "out.pdf")
		if err := os.WriteFile(in, out, 0o600); err != nil {
			t.Fatal(err)
		}
		run(t, gs, "-q", "-dNOPAUSE", "-dBATCH", "-sDEVICE=pdfwrite", "-dFILTERIMAGE", "-o", dst, in)
		b, err := os.ReadFile(dst)
		if err != nil {
			t.Fatal(err)
		}
		if r, err := m.Decode(b); err != nil || !r.Found || r.MarkID != testMark.ID || r.Layer != "pdf-text" {
			t.Errorf("file %d: traced %+v %v, want %x through pdf-text", i, r, err, testMark.ID)
		}
	}
}

func pdftotextOf(t *testing.T, path string) string {
	t.Helper()
	tool := needTool(t, "pdftotext")
	out, err := exec.Command(tool, path, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v %s", err, out)
	}
	return string(out)
}

// noSpace drops white space: rewriters re-space extracted text.
func noSpace(s string) string { return strings.Join(strings.Fields(s), "") }
