package upload

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/textproto"
	"strings"
)

const maxPartHeader = 16 << 10

// indexAll returns every offset of pat in s, scanning in chunks (streaming, bounded memory).
func indexAll(s *Spool, pat []byte, limit int) ([]int64, error) {
	var out []int64
	const chunk = 256 << 10
	buf := make([]byte, chunk+len(pat))
	carry := 0
	base := int64(0) // offset of buf[0]
	for off := int64(0); off < s.Size(); {
		n, err := s.ReadAt(buf[carry:carry+chunk], off)
		if err != nil && err != io.EOF {
			return nil, err
		}
		if n == 0 {
			break
		}
		data := buf[:carry+n]
		for i := 0; ; {
			j := bytes.Index(data[i:], pat)
			if j < 0 {
				break
			}
			out = append(out, base+int64(i+j))
			if len(out) > limit {
				return nil, fmt.Errorf("more than %d multipart parts", limit)
			}
			i += j + len(pat)
		}
		off += int64(n)
		keep := min(len(pat)-1, len(data))
		copy(buf, data[len(data)-keep:])
		base += int64(len(data) - keep)
		carry = keep
	}
	return out, nil
}

// splitMultipart finds each part's header and content offsets so that parts can be rewritten byte-exactly.
func (b *Body) splitMultipart() error {
	dash := []byte("--" + b.boundary)
	hits, err := indexAll(b.Decoded, dash, 10000)
	if err != nil {
		return fmt.Errorf("multipart body: %v", err)
	}
	// keep only delimiters at the start of the body or right after CRLF
	var delims []int64
	two := make([]byte, 2)
	for _, h := range hits {
		if h == 0 {
			delims = append(delims, h)
			continue
		}
		if h >= 2 {
			if _, err := b.Decoded.ReadAt(two, h-2); err == nil && string(two) == "\r\n" {
				delims = append(delims, h)
			}
		}
	}
	if len(delims) < 2 {
		return fmt.Errorf("malformed multipart body: boundary %q found %d times", b.boundary, len(delims))
	}
	closed := false
	for i, d := range delims[:len(delims)-1] {
		after := d + int64(len(dash))
		if _, err := b.Decoded.ReadAt(two, after); err == nil && string(two) == "--" {
			closed = true
			break
		}
		// skip transport padding up to CRLF
		br := bufio.NewReader(b.Decoded.Section(after, min(int64(maxPartHeader), b.Decoded.Size()-after)))
		line, err := br.ReadString('\n')
		if err != nil {
			return fmt.Errorf("malformed multipart body: delimiter line without CRLF")
		}
		hdrStart := after + int64(len(line))
		hdr, hdrLen, err := readPartHeader(b.Decoded, hdrStart)
		if err != nil {
			return err
		}
		contentStart := hdrStart + hdrLen
		contentEnd := delims[i+1] - 2
		if contentEnd < contentStart {
			return fmt.Errorf("malformed multipart body: part %d overlaps the next boundary", i+1)
		}
		p := &Part{Kind: KindField, off: contentStart, n: contentEnd - contentStart, ContentType: hdr.Get("Content-Type")}
		if cd := hdr.Get("Content-Disposition"); cd != "" {
			_, params, err := mime.ParseMediaType(cd)
			if err != nil {
				return fmt.Errorf("malformed multipart body: part %d has a bad Content-Disposition: %v", i+1, err)
			}
			p.Field = params["name"]
			if fn, ok := params["filename"]; ok {
				p.Kind, p.FileName = KindFile, fn
			}
		} else if !textual(p.ContentType) { // multipart/related, multipart/mixed: a part without a disposition is content
			p.Kind = KindFile
		}
		if p.Kind == KindField && p.n > b.opts.MaxFieldText {
			p.Kind = KindFile
		}
		if p.Data, err = b.Decoded.View(p.off, p.n); err != nil {
			return err
		}
		if cte := strings.ToLower(strings.TrimSpace(hdr.Get("Content-Transfer-Encoding"))); cte == "base64" || cte == "quoted-printable" {
			if err := b.decodeTransfer(p, cte); err != nil {
				return fmt.Errorf("malformed multipart body: part %d: %v", i+1, err)
			}
		}
		b.Parts = append(b.Parts, p)
	}
	b.nameRelatedParts()
	if !closed {
		last := delims[len(delims)-1]
		if _, err := b.Decoded.ReadAt(two, last+int64(len(dash))); err != nil || string(two) != "--" {
			return fmt.Errorf("malformed multipart body: no closing boundary (truncated upload?)")
		}
	}
	return nil
}

// readPartHeader parses a part header block starting at off and returns it with its length (including the blank line).
func readPartHeader(s *Spool, off int64) (textproto.MIMEHeader, int64, error) {
	n := min(int64(maxPartHeader), s.Size()-off)
	buf := make([]byte, n)
	if _, err := s.ReadAt(buf, off); err != nil && err != io.EOF {
		return nil, 0, err
	}
	end := bytes.Index(buf, []byte("\r\n\r\n"))
	if end < 0 {
		if bytes.HasPrefix(buf, []byte("\r\n")) { // no headers at all
			return textproto.MIMEHeader{}, 2, nil
		}
		return nil, 0, fmt.Errorf("malformed multipart body: part header longer than %d bytes or not terminated", maxPartHeader)
	}
	tr := textproto.NewReader(bufio.NewReader(bytes.NewReader(buf[:end+4])))
	h, err := tr.ReadMIMEHeader()
	if err != nil && !strings.Contains(err.Error(), "EOF") {
		return nil, 0, fmt.Errorf("malformed multipart body: %v", err)
	}
	return h, int64(end + 4), nil
}

// textual reports whether a part's declared type is text a person wrote (a field), not file content.
func textual(ct string) bool {
	mt, _, _ := mime.ParseMediaType(ct)
	return ct == "" || strings.HasPrefix(mt, "text/plain") || mt == "application/json" || mt == "application/x-www-form-urlencoded"
}

// decodeTransfer replaces a part's bytes with their Content-Transfer-Encoding undone (base64 or
// quoted-printable, as mail messages and some upload APIs send them); such a part cannot be rewritten.
func (b *Body) decodeTransfer(p *Part, cte string) error {
	var dec io.Reader = p.Data.Reader()
	if cte == "base64" {
		dec = base64.NewDecoder(base64.StdEncoding, &skipSpace{r: dec})
	} else {
		dec = quotedprintable.NewReader(dec)
	}
	out := b.opts.newSpool()
	if _, err := io.Copy(out, io.LimitReader(dec, b.opts.MaxInspect+1)); err != nil {
		out.Close()
		return fmt.Errorf("%s content is corrupt: %v", cte, err)
	}
	out.Finish()
	p.Data, p.encoded = out, true
	return nil
}

// skipSpace drops CR, LF, spaces and tabs (line-wrapped base64).
type skipSpace struct{ r io.Reader }

func (s *skipSpace) Read(p []byte) (int, error) {
	for {
		n, err := s.r.Read(p)
		k := 0
		for _, c := range p[:n] {
			if c != '\r' && c != '\n' && c != ' ' && c != '\t' {
				p[k] = c
				k++
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}

// nameRelatedParts gives unnamed content parts of a multipart/related body (Google Drive's
// uploadType=multipart: JSON metadata, then the media) the name the metadata declares.
func (b *Body) nameRelatedParts() {
	name := ""
	for _, p := range b.Parts {
		if p.Kind == KindField && strings.HasPrefix(p.ContentType, "application/json") {
			if data, err := p.Data.Bytes(1 << 20); err == nil {
				var meta struct{ Name, Title string }
				if json.Unmarshal(data, &meta) == nil {
					name = meta.Name
					if name == "" {
						name = meta.Title
					}
				}
			}
		}
		if p.Kind == KindFile && p.FileName == "" {
			p.FileName = name
		}
	}
}
