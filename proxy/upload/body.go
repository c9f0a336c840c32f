package upload

import (
	"compress/flate"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/andybalholm/brotli"
)

// Kind tells what a part is.
type Kind string

// Part kinds.
const (
	KindFile   Kind = "file"   // a file: multipart file field or raw body
	KindBase64 Kind = "base64" // a file sent as a base64 string inside JSON
	KindField  Kind = "field"  // a text field or message
)

// Part is one piece of an upload: a file, a base64 attachment or a text field.
type Part struct {
	Kind        Kind
	Field       string // form field name or JSON path
	FileName    string // declared file name
	ContentType string // declared content type
	Data        *Spool // the part's bytes (decoded for base64)
	// where the part's bytes sit in the decoded body, for byte-exact rewriting
	off, n        int64
	b64           *base64.Encoding // encoding of a KindBase64 part
	jsonLiteral   bool             // off/n cover a whole escaped JSON string literal
	literalPrefix string           // data: URL prefix inside such a literal
	encoded       bool             // decoded from a transfer encoding or a form field: it cannot be rewritten in place
}

// Rewritable reports whether the part's bytes can be replaced in the body (a watermark): not when they
// were decoded from a Content-Transfer-Encoding or a form field.
func (p *Part) Rewritable() bool { return !p.encoded }

// Size returns the part's length in bytes.
func (p *Part) Size() int64 { return p.Data.Size() }

// SHA256 returns the part's hex sha256.
func (p *Part) SHA256() string { return p.Data.SHA256() }

// IsFile reports whether the part is a file (as opposed to a text field).
func (p *Part) IsFile() bool { return p.Kind != KindField }

// Options bound how a body is read.
type Options struct {
	Dir            string  // temp dir for spooling (the data dir)
	SpoolThreshold int64   // bytes held in memory before spilling to disk (default 8 MiB)
	MaxInspect     int64   // bodies larger than this are not parsed (default 512 MiB)
	MaxJSON        int64   // JSON bodies larger than this are not parsed (default 64 MiB)
	MaxFieldText   int64   // text fields larger than this are treated as files (default 1 MiB)
	Length         int64   // the body's length when the request declares it (http.Request.ContentLength), else ≤ 0
	Budget         *Budget // memory shared by all bodies in flight (nil: each body up to SpoolThreshold)
}

func (o *Options) defaults() {
	if o.SpoolThreshold <= 0 {
		o.SpoolThreshold = 8 << 20
	}
	if o.MaxInspect <= 0 {
		o.MaxInspect = 512 << 20
	}
	if o.MaxJSON <= 0 {
		o.MaxJSON = 64 << 20
	}
	if o.MaxFieldText <= 0 {
		o.MaxFieldText = 1 << 20
	}
}

// Body is a request body read off the wire and split into parts.
type Body struct {
	Raw         *Spool // as received (after transfer de-chunking)
	Decoded     *Spool // after Content-Encoding; same as Raw for identity
	Encoding    string // gzip, deflate, br or ""
	ContentType string
	Format      string  // multipart, json, form, raw, text, empty
	Parts       []*Part // files and fields in body order
	Query       url.Values
	// Problem is set when the body was read but could not be parsed (malformed, too large,
	// unknown encoding); the proxy then applies the policy's "uninspectable" verdict.
	Problem  string
	boundary string
	opts     Options
}

// ErrTooLarge is reported (as Body.Problem) for bodies over MaxInspect.
var ErrTooLarge = errors.New("body larger than the inspection limit")

// Read spools a request body and splits it into parts. Only I/O errors are returned;
// unparsable content is reported in Body.Problem so that nothing is silently allowed.
func Read(r io.Reader, h http.Header, u *url.URL, opts Options) (*Body, error) {
	opts.defaults()
	b := &Body{opts: opts, ContentType: h.Get("Content-Type"), Encoding: strings.ToLower(strings.TrimSpace(h.Get("Content-Encoding")))}
	if u != nil {
		b.Query = u.Query()
	}
	b.Raw = opts.newSpool()
	if opts.Length > 0 {
		b.Raw.Expect(opts.Length)
	}
	if r != nil {
		if _, err := io.Copy(b.Raw, r); err != nil {
			b.Raw.Close()
			return nil, l10n.Wrap(err, l10n.Invalid, "读取上传内容失败", "reading the upload body failed")
		}
	}
	b.Raw.Finish()
	b.Decoded = b.Raw
	if b.Raw.Size() == 0 {
		b.Format = "empty"
		return b, nil
	}
	if b.Raw.Size() > opts.MaxInspect {
		b.Problem = fmt.Sprintf("%s (%d MiB > %d MiB)", ErrTooLarge, b.Raw.Size()>>20, opts.MaxInspect>>20)
		return b, nil
	}
	if err := b.decode(); err != nil {
		b.Problem = err.Error()
		return b, nil
	}
	if err := b.split(h, u); err != nil {
		b.Problem = err.Error()
		return b, nil
	}
	b.decodeFieldFiles()
	return b, nil
}

// decode undoes Content-Encoding into b.Decoded, bounded by MaxInspect.
func (b *Body) decode() error {
	var dec io.Reader
	src := b.Raw.Reader()
	switch b.Encoding {
	case "", "identity":
		b.Encoding = ""
		return nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(src)
		if err != nil {
			return fmt.Errorf("gzip body is corrupt: %v", err)
		}
		dec = zr
	case "deflate":
		dec = flate.NewReader(src)
	case "br":
		dec = brotli.NewReader(src)
	default:
		return fmt.Errorf("unsupported Content-Encoding %q", b.Encoding)
	}
	out := b.opts.newSpool()
	n, err := io.Copy(out, io.LimitReader(dec, b.opts.MaxInspect+1))
	out.Finish()
	if err != nil {
		out.Close()
		return fmt.Errorf("%s body is corrupt: %v", b.Encoding, err)
	}
	if n > b.opts.MaxInspect {
		out.Close()
		return fmt.Errorf("%s (decompressed past %d MiB)", ErrTooLarge, b.opts.MaxInspect>>20)
	}
	b.Decoded = out
	return nil
}

// split fills b.Parts according to the content type.
func (b *Body) split(h http.Header, u *url.URL) error {
	mt, params, _ := mime.ParseMediaType(b.ContentType)
	if mt == "" {
		mt = sniffType(b.Decoded)
	}
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		b.Format = "multipart"
		b.boundary = params["boundary"]
		if b.boundary == "" {
			return fmt.Errorf("multipart body without a boundary parameter")
		}
		return b.splitMultipart()
	case mt == "application/json" || strings.HasSuffix(mt, "+json") || (mt == "text/plain" && looksJSON(b.Decoded)):
		b.Format = "json"
		return b.splitJSON()
	case mt == "application/x-www-form-urlencoded":
		b.Format = "form"
		return b.splitForm()
	case strings.HasPrefix(mt, "text/") && b.Decoded.Size() <= b.opts.MaxFieldText:
		b.Format = "text"
		b.Parts = append(b.Parts, &Part{Kind: KindField, Field: "body", ContentType: mt, Data: b.Decoded, off: 0, n: b.Decoded.Size()})
		return nil
	default:
		b.Format = "raw"
		b.Parts = append(b.Parts, &Part{Kind: KindFile, FileName: rawFileName(h, u), ContentType: mt, Data: b.Decoded, off: 0, n: b.Decoded.Size()})
		return nil
	}
}

// rawFileName guesses the declared name of a raw (non-form) upload.
func rawFileName(h http.Header, u *url.URL) string {
	if _, p, err := mime.ParseMediaType(h.Get("Content-Disposition")); err == nil && p["filename"] != "" {
		return p["filename"]
	}
	for _, k := range []string{"X-File-Name", "X-Filename", "Slug", "X-Goog-Upload-File-Name"} {
		if v := h.Get(k); v != "" {
			if dec, err := url.QueryUnescape(v); err == nil {
				return dec
			}
			return v
		}
	}
	if u != nil {
		q := u.Query()
		for _, k := range []string{"filename", "name", "path", "file"} {
			if v := q.Get(k); v != "" {
				return path.Base(v)
			}
		}
		if base := path.Base(u.Path); base != "/" && base != "." && strings.Contains(base, ".") {
			return base
		}
	}
	return ""
}

// Close deletes the spools of the body and its parts.
func (b *Body) Close() {
	for _, p := range b.Parts {
		if p.Data != b.Decoded && p.Data != b.Raw {
			p.Data.Close()
		}
	}
	if b.Decoded != b.Raw {
		b.Decoded.Close()
	}
	b.Raw.Close()
}

// Files returns the file parts.
func (b *Body) Files() []*Part {
	var out []*Part
	for _, p := range b.Parts {
		if p.IsFile() {
			out = append(out, p)
		}
	}
	return out
}

// Fields returns the text parts.
func (b *Body) Fields() []*Part {
	var out []*Part
	for _, p := range b.Parts {
		if !p.IsFile() {
			out = append(out, p)
		}
	}
	return out
}

// Declared returns form/query/JSON field names and header names present in the request, lower-cased,
// so the catalog can recognise uploads that declare the original's hash or size.
func (b *Body) Declared(h http.Header) map[string]bool {
	out := map[string]bool{}
	for k := range h {
		out[strings.ToLower(k)] = true
	}
	for k := range b.Query {
		out[strings.ToLower(k)] = true
	}
	for _, p := range b.Parts {
		if p.Kind == KindField && p.Field != "" {
			f := p.Field
			if i := strings.LastIndexAny(f, ".]"); i >= 0 && i+1 < len(f) {
				f = f[i+1:]
			}
			out[strings.ToLower(f)] = true
		}
	}
	return out
}

func looksJSON(s *Spool) bool {
	var buf [1]byte
	for off := int64(0); off < s.Size() && off < 64; off++ {
		if _, err := s.ReadAt(buf[:], off); err != nil {
			return false
		}
		switch buf[0] {
		case ' ', '\t', '\r', '\n':
			continue
		case '{', '[':
			return true
		default:
			return false
		}
	}
	return false
}
