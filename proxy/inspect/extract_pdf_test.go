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
	"time"

	"github.com/sluice-dlp/sluice/internal/fixture"
	"github.com/sluice-dlp/sluice/internal/testtool"
)

// TestPDFFromChromium prints an HTML customer table to PDF with headless Chromium (real
// embedded CJK subset fonts, ToUnicode CMaps, one BT block per table cell) and checks
// that every table row comes back as one line with the name and the phone number.
func TestPDFFromChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	bin := testtool.Require(t, "chromium")
	rows := fixture.CustomerRows(12)
	var h strings.Builder
	h.WriteString(`<html><head><meta charset="utf-8"></head><body style="font-family:'WenQuanYi Micro Hei'"><h1>客户名单</h1><table>`)
	for _, r := range rows {
		fmt.Fprintf(&h, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>", r[1], r[2], r[0], r[3])
	}
	h.WriteString(`</table></body></html>`)
	dir := t.TempDir()
	html, pdf := filepath.Join(dir, "list.html"), filepath.Join(dir, "list.pdf")
	if err := os.WriteFile(html, []byte(h.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--print-to-pdf="+pdf, "file://"+html)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium could not print: %v %s", err, out)
	}
	data, err := os.ReadFile(pdf)
	if err != nil {
		t.Fatal(err)
	}
	res, segs := extract(t, data, "list.pdf", Limits{})
	if res.Type != "pdf" {
		t.Fatalf("type %q", res.Type)
	}
	wantOnly(t, res)
	lines := map[string]bool{}
	for _, s := range segs {
		lines[s.Text] = true
	}
	if !lines["客户名单"] {
		t.Errorf("heading missing: %q", allText(segs))
	}
	for _, r := range rows[1:] {
		want := strings.Join([]string{r[1], r[2], r[0], r[3]}, " ")
		if !lines[want] {
			t.Errorf("row %q missing; text:\n%s", want, allText(segs))
			break
		}
	}
	if n := scanFull(t, data, "list.pdf").Count(KindPhone); n != 12 {
		t.Errorf("phones %d, want 12", n)
	}
}

// TestPDFObjectCountReadsTheOverlapOnce: an object stream's /N that lies in the 256 bytes two windows
// share is counted once, like every "endobj".
func TestPDFObjectCountReadsTheOverlapOnce(t *testing.T) {
	data := bytes.Repeat([]byte(" "), 1<<20+4096)
	copy(data[1<<20-200:], "1 0 obj << /Type /ObjStm /N 7 /First 9 >> stream\nendstream endobj")
	if n := pdfObjects(node{r: bytes.NewReader(data), size: int64(len(data))}); n != 8 {
		t.Errorf("counted %d objects, want 8 (7 in the object stream, 1 endobj)", n)
	}
}
