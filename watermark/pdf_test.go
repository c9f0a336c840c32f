package watermark

import (
	"bytes"
	"fmt"
	"github.com/sluice-dlp/sluice/internal/testtool"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
)

func needTool(t *testing.T, name string) string {
	t.Helper()
	testtool.Require(t, name) // missing test tools fail unless SLUICE_ALLOW_MISSING_TOOLS=1
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed", name)
	}
	return p
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		// qpdf exits 3 for warnings; the output is still written.
		if ee, ok := err.(*exec.ExitError); !(ok && name == "qpdf" && ee.ExitCode() == 3) {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
}

var testMark = Mark{ID: 0x0000BEEFCAFE, Name: "张三堃", StaffID: "A1024", Time: time.Date(2026, 11, 22, 14, 3, 0, 0, time.Local)}

func stampTestPDF(t *testing.T, m *Marker, pages int) (in, out []byte) {
	t.Helper()
	in = genPDF(pages, 7)
	out, typ, err := m.Stamp(in, testMark)
	if err != nil || typ != "pdf" {
		t.Fatalf("Stamp: %v %q", err, typ)
	}
	return in, out
}

func wantContentMark(t *testing.T, m *Marker, data []byte, step string) {
	t.Helper()
	r, err := m.Decode(data)
	if err != nil || !r.Found || r.MarkID != testMark.ID || r.Layer != "pdf-content" {
		t.Fatalf("%s: Decode = %+v, %v; want content-layer mark %d", step, r, err, testMark.ID)
	}
}

// stripMetadata removes the Info dictionary and XMP metadata with pdfcpu.
func stripMetadata(t *testing.T, data []byte) []byte {
	t.Helper()
	ctx, err := api.ReadContext(bytes.NewReader(data), pdfConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx.XRefTable.Info = nil
	if root, err := ctx.XRefTable.Catalog(); err == nil {
		root.Delete("Metadata")
	}
	var b bytes.Buffer
	if err := api.WriteContext(ctx, &b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func removeVisible(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := api.RemoveWatermarks(bytes.NewReader(data), &b, nil, pdfConfig()); err != nil {
		t.Fatalf("pdfcpu watermark remove: %v", err)
	}
	return b.Bytes()
}

// TestPDFContentLayerSurvives checks layer (a): the token survives removing
// the visible stamp, stripping metadata and rewriting with qpdf (100%).
func TestPDFContentLayerSurvives(t *testing.T) {
	qpdf := needTool(t, "qpdf")
	m := NewMarker(testKey)
	orig, out := stampTestPDF(t, m, 3)
	wantContentMark(t, m, out, "stamped")
	if r, _ := m.decodePDF(orig); r.Found {
		t.Fatalf("unmarked PDF found: %+v", r)
	}
	if r, _ := NewMarker([]byte("wrong key")).decodePDF(out); r.Found && r.Layer == "pdf-content" {
		t.Fatalf("wrong key found: %+v", r)
	}
	dir := t.TempDir()
	noVisible := removeVisible(t, out)
	if bytes.Equal(noVisible, out) {
		t.Fatal("pdfcpu watermark remove changed nothing: the visible stamp is not a pdfcpu watermark")
	}
	wantContentMark(t, m, noVisible, "visible stamp removed")
	stripped := stripMetadata(t, noVisible)
	wantContentMark(t, m, stripped, "metadata stripped")
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, stripped, 0o600); err != nil {
		t.Fatal(err)
	}
	for i, args := range [][]string{
		{"--object-streams=generate"},
		{"--qdf", "--object-streams=disable"},
		{"--coalesce-contents", "--normalize-content=y"},
		{"--linearize"},
	} {
		dst := filepath.Join(dir, fmt.Sprintf("q%d.pdf", i))
		run(t, qpdf, append(args, in, dst)...)
		b, err := os.ReadFile(dst)
		if err != nil {
			t.Fatal(err)
		}
		wantContentMark(t, m, b, fmt.Sprint("qpdf ", args))
	}
}

// renderPages renders pages with pdftoppm at dpi as JPEG quality 75.
func renderPages(t *testing.T, pdf []byte, dpi int) [][]byte {
	t.Helper()
	tool := needTool(t, "pdftoppm")
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, tool, "-r", fmt.Sprint(dpi), "-jpeg", "-jpegopt", "quality=75", in, filepath.Join(dir, "p"))
	files, _ := filepath.Glob(filepath.Join(dir, "p*.jpg"))
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// TestPDFRenderLayer checks layer (b): pages rendered at 150 dpi and saved
// as JPEG 75 decode (target ≥ 90%), also after the visible stamp is removed.
func TestPDFRenderLayer(t *testing.T) {
	m := NewMarker(testKey)
	_, out := stampTestPDF(t, m, 10)
	pages := renderPages(t, removeVisible(t, out), 150)
	if len(pages) != 10 {
		t.Fatalf("rendered %d pages, want 10", len(pages))
	}
	ok := 0
	for i, p := range pages {
		r, err := m.Decode(p)
		if err == nil && r.Found && r.MarkID == testMark.ID {
			ok++
		} else {
			t.Logf("page %d: %+v %v", i+1, r, err)
		}
	}
	t.Logf("rendered layer: %d/%d pages decode", ok, len(pages))
	if ok < 9 {
		t.Fatalf("rendered layer decoded on %d/10 pages, want ≥ 9", ok)
	}
}

// TestPDFVisibleMark renders the first page and checks that the mark's ink
// is on the page (the visible text is a rendered image of the CJK text, so
// pdftotext cannot see it; pixels are checked instead).
func TestPDFVisibleMark(t *testing.T) {
	m := NewMarker(testKey)
	orig, out := stampTestPDF(t, m, 1)
	inkOn := func(pdf []byte) float64 {
		p := renderPages(t, pdf, 72)
		img, err := decodeImage(p[0])
		if err != nil {
			t.Fatal(err)
		}
		lum := lumaPlane(img)
		n := 0
		for _, v := range lum.v {
			if v > 150 && v < 225 { // mid-grey: the mark's ink on paper
				n++
			}
		}
		return float64(n) / float64(len(lum.v))
	}
	before, after, removed := inkOn(orig), inkOn(out), inkOn(removeVisible(t, out))
	t.Logf("mid-grey share: original %.3f, stamped %.3f, stamp removed %.3f", before, after, removed)
	if after < before+0.02 {
		t.Fatalf("visible mark not rendered: grey share %.3f → %.3f", before, after)
	}
	if removed > before+0.01 {
		t.Fatalf("visible mark is not a removable pdfcpu stamp: %.3f after removal", removed)
	}
}

// TestPDFRenderLayerOtherScales checks pages rendered at other sizes than
// the 150 dpi the tile is drawn for: 96 dpi (a screenshot of a viewer at
// 100 % zoom) and 300 dpi (the half-size fallback).
func TestPDFRenderLayerOtherScales(t *testing.T) {
	m := NewMarker(testKey)
	_, out := stampTestPDF(t, m, 1)
	for _, dpi := range []int{96, 300} {
		p := renderPages(t, out, dpi)
		r, err := m.Decode(p[0])
		if err != nil || !r.Found || r.MarkID != testMark.ID {
			t.Errorf("%d dpi render: %+v %v", dpi, r, err)
		}
	}
}
