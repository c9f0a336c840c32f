package upload

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"github.com/andybalholm/brotli"
)

// Rewrite builds a new raw body in which each part in repl has new content; every other byte is
// kept exactly, and the original Content-Encoding is applied again. The caller sets Content-Length
// from the returned spool's size. Nothing is forwarded if any replacement cannot be made.
func (b *Body) Rewrite(repl map[*Part][]byte) (*Spool, error) {
	type cut struct {
		off, n int64
		with   []byte
	}
	var cuts []cut
	for p, content := range repl {
		if p.Data == nil {
			return nil, fmt.Errorf("part %q has no content to replace", p.FileName)
		}
		if p.encoded {
			return nil, fmt.Errorf("part %q was decoded from its transfer encoding and cannot be rewritten in place", p.FileName)
		}
		if b.Format == "multipart" && bytes.Contains(content, []byte("\r\n--"+b.boundary)) {
			return nil, fmt.Errorf("rewritten %q would contain the multipart boundary", p.FileName)
		}
		with := content
		if p.Kind == KindBase64 {
			enc := p.b64.EncodeToString(content)
			if p.jsonLiteral {
				lit, _ := json.Marshal(p.literalPrefix + enc)
				with = lit
			} else {
				with = []byte(enc)
			}
		} else if b.Format != "multipart" && b.Format != "raw" {
			return nil, fmt.Errorf("cannot rewrite part %q of a %s body", p.FileName, b.Format)
		}
		cuts = append(cuts, cut{p.off, p.n, with})
	}
	sort.Slice(cuts, func(i, j int) bool { return cuts[i].off < cuts[j].off })
	out := b.opts.newSpool()
	var w io.Writer = out
	var closer io.Closer
	switch b.Encoding {
	case "gzip", "x-gzip":
		zw := gzip.NewWriter(out)
		w, closer = zw, zw
	case "deflate":
		zw, _ := flate.NewWriter(out, flate.DefaultCompression)
		w, closer = zw, zw
	case "br":
		zw := brotli.NewWriter(out)
		w, closer = zw, zw
	}
	pos := int64(0)
	for _, c := range cuts {
		if c.off < pos {
			out.Close()
			return nil, fmt.Errorf("overlapping parts in rewrite")
		}
		if _, err := io.Copy(w, b.Decoded.Section(pos, c.off-pos)); err != nil {
			out.Close()
			return nil, err
		}
		if _, err := w.Write(c.with); err != nil {
			out.Close()
			return nil, err
		}
		pos = c.off + c.n
	}
	if _, err := io.Copy(w, b.Decoded.Section(pos, b.Decoded.Size()-pos)); err != nil {
		out.Close()
		return nil, err
	}
	if closer != nil {
		if err := closer.Close(); err != nil {
			out.Close()
			return nil, err
		}
	}
	out.Finish()
	return out, nil
}
