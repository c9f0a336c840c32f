package upload

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime"
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
		_, params, err := mime.ParseMediaType(hdr.Get("Content-Disposition"))
		if err != nil {
			return fmt.Errorf("malformed multipart body: part %d has a bad Content-Disposition: %v", i+1, err)
		}
		p.Field = params["name"]
		if fn, ok := params["filename"]; ok {
			p.Kind, p.FileName = KindFile, fn
		} else if p.n > b.opts.MaxFieldText {
			p.Kind = KindFile
		}
		if p.Data, err = b.Decoded.View(p.off, p.n); err != nil {
			return err
		}
		b.Parts = append(b.Parts, p)
	}
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
