package inspect

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/gabriel-vasile/mimetype"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// openZip returns the central directory of a zip-based part, opening it if needed; more than
// MaxEntries entries is over the limit, for every zip-based format alike.
func (w *walker) openZip(n node, zr *zip.Reader) (*zip.Reader, error) {
	if zr == nil {
		var err error
		zr, err = zip.NewReader(n.r, n.size)
		if err != nil && !(errors.Is(err, zip.ErrInsecurePath) && zr != nil) {
			return nil, corrupt("corrupt or truncated zip structure: %v", err)
		}
	}
	if len(zr.File) > w.b.lim.MaxEntries {
		return nil, overLimit("zip has %d entries, more than %d", len(zr.File), w.b.lim.MaxEntries)
	}
	return zr, nil
}

// zipEncrypted reports whether an entry is encrypted (PKWARE flag bit 0 or WinZip AES).
func zipEncrypted(f *zip.File) bool {
	return f.Flags&0x1 != 0 || f.Method == 99
}

// openEntry opens a zip entry for reading, counting its decompressed bytes against the
// budget. Encrypted entries and unknown compression methods are problems.
func (w *walker) openEntry(n node, f *zip.File) (io.ReadCloser, error) {
	if zipEncrypted(f) {
		return nil, encrypted("encrypted zip entry %s", f.Name)
	}
	if f.Method != zip.Store && f.Method != zip.Deflate {
		return nil, corrupt("zip entry %s uses unsupported compression method %d", f.Name, f.Method)
	}
	if left := w.b.lim.MaxTotal - w.b.total; f.UncompressedSize64 > uint64(max(left, 0)) { // said to be too big: not inflated at all
		return nil, overLimit("%s: more than %d MiB uncompressed in total (its header says %d MiB; not inflated)", f.Name, w.b.lim.MaxTotal>>20, f.UncompressedSize64>>20)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, corrupt("cannot open zip entry %s: %v", f.Name, err)
	}
	csize := min(int64(f.CompressedSize64), n.size) // never trust the header beyond the file
	return struct {
		io.Reader
		io.Closer
	}{&inflated{r: rc, b: w.b, csize: csize, what: f.Name}, rc}, nil
}

// readEntry reads one zip entry fully, within the budget.
func (w *walker) readEntry(n node, f *zip.File) ([]byte, error) {
	rc, err := w.openEntry(n, f)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		if _, ok := err.(*problem); ok {
			return nil, err
		}
		return nil, corrupt("corrupt zip entry %s: %v", f.Name, err)
	}
	return data, nil
}

// zipArchive walks every file of a zip archive as a nested part.
func (w *walker) zipArchive(n node, zr *zip.Reader) error {
	zr, err := w.openZip(n, zr)
	if err != nil {
		return err
	}
	if n.depth+1 > w.b.lim.MaxDepth {
		return overLimit("archives nested deeper than %d levels", w.b.lim.MaxDepth)
	}
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		name := entryName(f)
		data, media, err := w.zipEntry(n, name, f)
		if media {
			continue
		}
		if err != nil {
			c := n.child(nil, 0, name)
			if serr := w.settle(c, "zip entry", err); serr != nil {
				return serr
			}
			continue
		}
		if err := w.spilledEntry(n, data, name); err != nil {
			return err
		}
	}
	return nil
}

// entryName returns a zip entry's name in UTF-8: names written by Chinese Windows tools
// without the UTF-8 flag (bit 11) are GBK.
func entryName(f *zip.File) string {
	if f.Flags&0x800 != 0 || utf8.ValidString(f.Name) {
		return f.Name
	}
	if d, err := simplifiedchinese.GB18030.NewDecoder().String(f.Name); err == nil {
		return d
	}
	return f.Name
}

// zipEntry opens one zip entry and reads it with readArchiveEntry.
func (w *walker) zipEntry(n node, name string, f *zip.File) (data *entryData, media bool, err error) {
	rc, err := w.openEntry(n, f)
	if err != nil {
		return nil, false, err
	}
	defer rc.Close()
	data, media, err = w.readArchiveEntry(n, name, rc)
	if err != nil {
		if _, ok := err.(*problem); !ok {
			err = corrupt("corrupt zip entry %s: %v", f.Name, err)
		}
	}
	return data, media, err
}

// readArchiveEntry reads one archive entry from r, which already counts against the budget.
// When the first bytes show media (reported by media) it stops there with media = true, so an
// archive of photos is not inflated; otherwise it returns the whole entry, read once (in memory up to
// 8 MiB, on disk beyond: memory does not grow with the entry).
func (w *walker) readArchiveEntry(n node, name string, r io.Reader) (data *entryData, media bool, err error) {
	var buf bytes.Buffer
	if _, err := io.CopyN(&buf, r, sniffLen); err != nil && err != io.EOF {
		return nil, false, err
	}
	if w.media(n, name, buf.Bytes()) {
		return nil, true, nil
	}
	data, err = w.readEntryData(io.MultiReader(&buf, r))
	return data, false, err
}

// entryInMemory is the most of an archive entry held in memory; the rest of it waits on disk.
const entryInMemory = 8 << 20

// entryData is one archive entry's bytes, in memory or in an unlinked temp file.
type entryData struct {
	r    io.ReaderAt
	size int64
	file *os.File
}

func (e *entryData) close() {
	if e != nil && e.file != nil {
		e.file.Close()
	}
}

// readEntryData reads r to its end: up to entryInMemory in memory, everything past it to a temp file.
func (w *walker) readEntryData(r io.Reader) (*entryData, error) {
	head, err := io.ReadAll(io.LimitReader(r, entryInMemory+1))
	if err != nil {
		return nil, err
	}
	if len(head) <= entryInMemory {
		return &entryData{r: bytes.NewReader(head), size: int64(len(head))}, nil
	}
	f, err := os.CreateTemp(w.b.lim.SpillDir, "sluice-entry-*")
	if err != nil {
		return nil, fmt.Errorf("cannot spill a large archive entry to disk: %w", err)
	}
	os.Remove(f.Name()) // gone when closed, even after a crash
	n, err := io.Copy(f, io.MultiReader(bytes.NewReader(head), r))
	if err != nil {
		f.Close()
		return nil, err
	}
	return &entryData{r: f, size: n, file: f}, nil
}

// spilledEntry walks one archive entry read by readEntryData and releases it.
func (w *walker) spilledEntry(parent node, e *entryData, name string) error {
	defer e.close()
	c := parent.child(e.r, e.size, name)
	ti, err := w.walk(c)
	return w.settle(c, ti.typ, err)
}

// media recognises an archive entry that carries no text (image, audio, video, font)
// from its first bytes and reports it, so that the caller need not inflate the rest and
// an archive of photos does not run into the uncompressed-size cap.
func (w *walker) media(n node, name string, head []byte) bool {
	m := mimetype.Detect(head)
	typ := shortType(m)
	if imageTypes[typ] && w.ocr != nil {
		return false // read it whole: its text is recognised
	}
	if !imageTypes[typ] && !strings.HasPrefix(m.String(), "audio/") && !strings.HasPrefix(m.String(), "video/") && !strings.HasPrefix(m.String(), "font/") {
		return false
	}
	c := n.child(nil, 0, name)
	if ext, bad := disguise(name, typ); bad {
		w.addOwn(KindDisguised, fmt.Sprintf("name says .%s but content is %s", ext, typ), c.loc(""))
	}
	detail := "images carry no extractable text (no OCR)"
	if !imageTypes[typ] {
		detail = fmt.Sprintf("%s carries no extractable text", m.String())
	}
	w.addOwn(KindNoText, detail, c.loc(""))
	return true
}

// decompress inflates a gzip or bzip2 part and walks its content as a nested part.
func (w *walker) decompress(n node, typ string) error {
	if n.depth+1 > w.b.lim.MaxDepth {
		return overLimit("archives nested deeper than %d levels", w.b.lim.MaxDepth)
	}
	src := io.NewSectionReader(n.r, 0, n.size)
	var r io.Reader
	inner := strings.TrimSuffix(path.Base(n.archivePath()), "."+typ)
	switch typ {
	case "gz":
		zr, err := gzip.NewReader(src)
		if err != nil {
			return corrupt("corrupt gzip header: %v", err)
		}
		if zr.Name != "" {
			inner = path.Base(zr.Name)
		}
		r = zr
	default:
		r = bzip2.NewReader(src)
	}
	if strings.HasSuffix(n.archivePath(), ".tgz") {
		inner = strings.TrimSuffix(path.Base(n.archivePath()), ".tgz") + ".tar"
	}
	data, err := w.readEntryData(w.b.reader(r, n.size, typ))
	if err != nil {
		if _, ok := err.(*problem); ok {
			return err
		}
		return corrupt("corrupt %s stream: %v", typ, err)
	}
	return w.spilledEntry(n, data, inner)
}

// tarArchive walks every regular file of a tar archive as a nested part.
func (w *walker) tarArchive(n node) error {
	if n.depth+1 > w.b.lim.MaxDepth {
		return overLimit("archives nested deeper than %d levels", w.b.lim.MaxDepth)
	}
	tr := tar.NewReader(io.NewSectionReader(n.r, 0, n.size))
	for count := 0; ; count++ {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return corrupt("corrupt tar archive: %v", err)
		}
		if count >= w.b.lim.MaxEntries {
			return overLimit("tar has more than %d entries", w.b.lim.MaxEntries)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		data, media, err := w.readArchiveEntry(n, h.Name, w.b.reader(tr, max(h.Size, 1), h.Name))
		if media {
			continue // tar.Next skips the rest
		}
		if err != nil {
			if _, ok := err.(*problem); ok {
				return err
			}
			return corrupt("corrupt tar entry %s: %v", h.Name, err)
		}
		if err := w.spilledEntry(n, data, h.Name); err != nil {
			return err
		}
	}
}
