package inspect

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
)

// Segment is one unit of extracted text: a spreadsheet row (cells joined by '\t'), a line
// of CSV/TXT, a paragraph of docx, a PDF text line, etc.
type Segment struct {
	Text     string // UTF-8
	Location string // human location: "Sheet1!R12", "page 3", "line 40", "word/document.xml ¶7", "a.zip/b.xlsx Sheet1!R3"
	OCR      bool   // recognised by OCR in an image rather than extracted as text
}

// Sink receives segments as they are extracted (streaming); return an error to stop.
type Sink interface {
	Segment(Segment) error
}

// KnownDigest is implemented by readers that already know the sha256 of their bytes (the proxy's
// spooled parts); Scan then does not read everything a second time just to hash it.
type KnownDigest interface {
	SHA256() string // lower-case hex
}

// Options configure a Scanner.
type Options struct {
	Limits Limits        // zero fields take DefaultLimits values
	Detect DetectOptions // passed to NewDetector for every part
	OCR    OCROptions    // text recognition in images; off unless OCR.Enabled
}

// Scanner inspects uploaded parts; it is safe for concurrent use (each Scan has its own state).
type Scanner struct {
	opts Options
}

// Fingerprints returns the registered-file index the scanner checks (nil when none is set).
func (s *Scanner) Fingerprints() FingerprintIndex { return s.opts.Detect.Fingerprints }

// NewScanner returns a Scanner with o's limits (defaults for zero fields) and detector options.
func NewScanner(o Options) *Scanner {
	o.Limits = o.Limits.withDefaults()
	return &Scanner{opts: o}
}

// Scan reads one part (r with its size; name is the declared file name, may be "") and
// returns its Result. It never panics and never returns an allow-worthy empty result for
// content it could not read: corrupt, over-limit or timed-out content yields a
// KindUninspectable finding (Detail says why), encrypted content KindEncrypted. The error
// return is only for I/O errors of r itself and for cancellation of ctx by the caller.
func (s *Scanner) Scan(ctx context.Context, r io.ReaderAt, size int64, name string) (*Result, error) {
	d := NewDetector(s.opts.Detect)
	res, err := s.scan(ctx, r, size, name, d)
	if err != nil {
		return nil, err
	}
	d.CheckFingerprint(res.SHA256)
	own := res.Findings
	res.Findings = append(d.Findings(), own...)
	res.Customers = d.CustomerIDs()
	res.Excerpt = MaskText(res.Excerpt)
	if res.OCR != nil {
		res.OCR.Text = MaskText(res.OCR.Text)
	}
	return res, nil
}

// scan walks one part feeding sink; Result.Findings holds only extraction findings and
// Result.Excerpt is unmasked.
func (s *Scanner) scan(ctx context.Context, r io.ReaderAt, size int64, name string, sink Sink) (res *Result, err error) {
	rec := &recReaderAt{r: r, size: size}
	res = &Result{Size: size, Findings: []Finding{}}
	if k, ok := r.(KnownDigest); ok && len(k.SHA256()) == 64 {
		res.SHA256 = k.SHA256() // the caller already hashed these bytes while receiving them
	} else {
		h := sha256.New()
		if _, err := io.Copy(h, io.NewSectionReader(rec, 0, size)); err != nil {
			return nil, fmt.Errorf("reading the part to scan: %w", err)
		}
		res.SHA256 = hex.EncodeToString(h.Sum(nil))
	}

	sctx, cancel := context.WithTimeout(ctx, s.opts.Limits.TimeBudget)
	defer cancel()
	w := &walker{b: &budget{ctx: sctx, lim: s.opts.Limits}, sink: sink}
	if s.opts.OCR.Enabled {
		w.ocr = newOCRState(sctx, s.opts.OCR)
		defer w.ocr.close()
		if d, ok := sink.(*Detector); ok && s.opts.OCR.StopWhen != nil {
			w.ocr.stop = func() bool { return s.opts.OCR.StopWhen(append(d.Findings(), w.own...)) }
		}
	}
	top := node{r: rec, size: size, name: name}
	ti, werr := w.walk(top)
	res.Type, res.MIME = ti.typ, ti.mime
	if res.Type == "" {
		res.Type, res.MIME = "bin", "application/octet-stream"
	}
	w.settle(top, res.Type, werr)
	if rec.err != nil {
		return nil, fmt.Errorf("reading the part to scan: %w", rec.err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("scan cancelled: %w", err)
	}
	res.Findings = w.own
	if res.Findings == nil {
		res.Findings = []Finding{}
	}
	res.Excerpt, res.ExcerptCut, res.ExcerptMore = w.excerpt.String(), w.exCut, w.exMore
	res.OCR = w.ocr.report()
	return res, nil
}

// recReaderAt remembers the first I/O error of the underlying reader, so that read
// failures of the part itself are returned as errors rather than mistaken for corruption.
type recReaderAt struct {
	r    io.ReaderAt
	size int64
	err  error
}

func (x *recReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off >= x.size {
		return 0, io.EOF // a parser following a bad offset: not an I/O error of the part
	}
	if int64(len(p)) > x.size-off {
		n, err := x.ReadAt(p[:x.size-off], off)
		if err == nil {
			err = io.EOF
		}
		return n, err
	}
	n, err := x.r.ReadAt(p, off)
	if err != nil && err != io.EOF && x.err == nil {
		x.err = err
	}
	return n, err
}
