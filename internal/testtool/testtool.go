// Package testtool finds the external programs tests drive (Chromium, poppler, qpdf, certutil, ...):
// a missing one fails the test with the install line, unless the developer opts out with
// SLUICE_ALLOW_MISSING_TOOLS=1, which skips instead. CI never sets it, so nothing is skipped silently.
package testtool

import (
	"os"
	"os/exec"
	"testing"
)

// packages names the Debian package of each tool tests use.
var packages = map[string]string{
	"chromium": "chromium", "pdftotext": "poppler-utils", "pdftoppm": "poppler-utils", "pdftocairo": "poppler-utils",
	"qpdf": "qpdf", "certutil": "libnss3-tools", "cwebp": "webp", "dwebp": "webp", "node": "nodejs",
	"tesseract": "tesseract-ocr", "gs": "ghostscript", "mutool": "mupdf-tools", "convert": "imagemagick",
	"pngquant": "pngquant", "initdb": "postgresql", "pg_ctl": "postgresql",
}

// Require returns the path of the program name, or stops the test: fatally, naming the package to
// install, or (with SLUICE_ALLOW_MISSING_TOOLS=1) as skipped.
func Require(t testing.TB, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/bin", "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin"} {
		if p := dir + "/" + name; isExec(p) {
			return p
		}
	}
	pkg := packages[name]
	if pkg == "" {
		pkg = name
	}
	msg := name + " is not installed; run ./scripts/test.sh (it installs it) or: sudo apt-get install " + pkg
	if os.Getenv("SLUICE_ALLOW_MISSING_TOOLS") == "1" {
		t.Skip(msg + " (skipped: SLUICE_ALLOW_MISSING_TOOLS=1)")
	}
	t.Fatal(msg)
	return ""
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}
