package console

import (
	"bytes"
	"context"
	"image"
	_ "image/gif" // decoders for previews
	_ "image/jpeg"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/disintegration/imaging"
	"github.com/sluice-dlp/sluice/store"
)

// Preview limits: a hostile file must not cost unbounded memory or time.
const (
	previewBox       = 800              // longest side of a preview, pixels
	maxPreviewPixels = 50_000_000       // larger images are not decoded
	pdfRenderTimeout = 20 * time.Second // pdftoppm gets this long
	excerptBytes     = 2048
	previewCacheSize = 64
)

// previewCache keeps rendered PNG previews by file sha256.
type previewCache struct {
	mu    sync.Mutex
	m     map[string][]byte
	order []string
}

func newPreviewCache() *previewCache { return &previewCache{m: map[string][]byte{}} }

func (c *previewCache) get(k string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *previewCache) put(k string, v []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; ok {
		return
	}
	if len(c.order) >= previewCacheSize {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
	c.m[k] = v
	c.order = append(c.order, k)
}

func blobID(f store.FileRecord) string {
	if f.Blob != "" {
		return f.Blob
	}
	return f.SHA256
}

// sniff returns the content type of a kept blob from its first bytes, or "" when it is gone.
func sniff(db *store.DB, f store.FileRecord) string {
	r, err := db.OpenBlob(blobID(f))
	if err != nil {
		return ""
	}
	defer r.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(r, head)
	return http.DetectContentType(head[:n])
}

// previewKind says how a held file can be shown: pdf, image, text, or "" (no preview).
func previewKind(db *store.DB, f store.FileRecord) string {
	ct := sniff(db, f)
	switch {
	case ct == "application/pdf":
		if _, err := exec.LookPath("pdftoppm"); err != nil {
			return "" // poppler-utils not installed: the page shows a note instead
		}
		return "pdf"
	case ct == "image/png" || ct == "image/jpeg" || ct == "image/gif":
		return "image"
	case strings.HasPrefix(ct, "text/"):
		return "text"
	}
	return ""
}

var (
	digitRun  = regexp.MustCompile(`\d[\d\- ]{4,}\d`)
	emailUser = regexp.MustCompile(`([A-Za-z0-9])[A-Za-z0-9._%+\-]*@`)
)

// maskText hides the middle of long digit runs (phones, IDs, cards) and e-mail user names.
func maskText(s string) string {
	s = digitRun.ReplaceAllStringFunc(s, func(m string) string {
		d := []rune(m)
		keep := 3
		if len(d) < 9 {
			keep = 2
		}
		for i := keep; i < len(d)-2; i++ {
			if d[i] >= '0' && d[i] <= '9' {
				d[i] = '*'
			}
		}
		return string(d)
	})
	return emailUser.ReplaceAllString(s, "$1***@")
}

// textExcerpt returns the masked beginning of a text file.
func textExcerpt(db *store.DB, f store.FileRecord) string {
	r, err := db.OpenBlob(blobID(f))
	if err != nil {
		return ""
	}
	defer r.Close()
	buf := make([]byte, excerptBytes)
	n, _ := io.ReadFull(r, buf)
	b := buf[:n]
	for len(b) > 0 && !utf8.Valid(b) && n == excerptBytes { // cut a rune split at the end
		b = b[:len(b)-1]
	}
	s := strings.ToValidUTF8(string(b), "�")
	if n == excerptBytes {
		s += " …"
	}
	return maskText(s)
}

// previewImage serves GET /request/{id}/preview/{n} and /event/{id}/preview/{n} as a PNG.
func (s *Server) previewImage(w http.ResponseWriter, r *http.Request, u *store.User) {
	var files []store.FileRecord
	o, ctx := s.as(w, r, u)
	if strings.HasPrefix(r.URL.Path, "/request/") {
		req, err := o.Request(ctx, r.PathValue("id"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		files = req.Files
	} else {
		id, _ := strconv.ParseUint(r.PathValue("id"), 10, 64)
		e, _, err := o.Event(ctx, id)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		files = e.Files
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 0 || n >= len(files) {
		http.NotFound(w, r)
		return
	}
	f := files[n]
	data, ok := s.previews.get(blobID(f))
	if !ok {
		data, err = s.renderPreview(r.Context(), f)
		if err != nil {
			s.c.Logger.Warn("preview failed", "file", f.Name, "err", err)
			http.Error(w, pageLang(w, r).T("no_preview"), http.StatusUnprocessableEntity)
			return
		}
		s.previews.put(blobID(f), data)
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	w.Write(data)
}

func (s *Server) renderPreview(ctx context.Context, f store.FileRecord) ([]byte, error) {
	switch previewKind(s.c.DB, f) {
	case "pdf":
		return pdfFirstPage(ctx, s.c.DB, f)
	case "image":
		return imageThumb(s.c.DB, f)
	}
	return nil, errNoPreview
}

var errNoPreview = &previewError{"this file type has no preview"}

type previewError struct{ s string }

// Error returns the message.
func (e *previewError) Error() string { return e.s }

// pdfFirstPage renders page 1 of a kept PDF with poppler's pdftoppm.
func pdfFirstPage(ctx context.Context, db *store.DB, f store.FileRecord) ([]byte, error) {
	src, err := db.BlobPath(blobID(f))
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "sluice-preview-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(ctx, pdfRenderTimeout)
	defer cancel()
	out := filepath.Join(dir, "page")
	cmd := exec.CommandContext(ctx, "pdftoppm", "-png", "-f", "1", "-l", "1", "-scale-to", strconv.Itoa(previewBox), "-singlefile", src, out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, &previewError{"pdftoppm could not render the PDF: " + err.Error() + " " + strings.TrimSpace(stderr.String())}
	}
	return os.ReadFile(out + ".png")
}

// imageThumb decodes a kept image (bounded by its header's size) and fits it into the preview box.
func imageThumb(db *store.DB, f store.FileRecord) ([]byte, error) {
	rd, err := db.OpenBlob(blobID(f))
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	cfg, _, err := image.DecodeConfig(rd)
	if err != nil {
		return nil, err
	}
	if cfg.Width*cfg.Height > maxPreviewPixels {
		return nil, &previewError{"image too large to preview"}
	}
	if _, err := rd.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	img, err := imaging.Decode(rd, imaging.AutoOrientation(true))
	if err != nil {
		return nil, err
	}
	img = imaging.Fit(img, previewBox, previewBox, imaging.Lanczos)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
