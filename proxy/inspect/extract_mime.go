package inspect

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"

	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/transform"
)

// maxMIMEDepth bounds nesting of multipart bodies inside one message.
const maxMIMEDepth = 16

// wordDecoder decodes RFC 2047 words in any charset x/text knows (GBK, GB18030, Big5, ...).
var wordDecoder = &mime.WordDecoder{CharsetReader: func(cs string, r io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(cs)
	if err != nil {
		return nil, err
	}
	return transform.NewReader(r, enc.NewDecoder()), nil
}}

// decodeWords decodes RFC 2047 encoded words, keeping the raw text when it cannot.
func decodeWords(s string) string {
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		return d
	}
	return s
}

// eml extracts an e-mail message: address and subject headers, text and HTML bodies
// (base64 / quoted-printable, any charset), and attachments walked as nested parts.
func (w *walker) eml(n node, _ textEnc) error {
	msg, err := mail.ReadMessage(io.NewSectionReader(n.r, 0, n.size))
	if err != nil {
		return corrupt("malformed e-mail headers: %v", err)
	}
	for _, h := range []string{"From", "To", "Cc", "Bcc", "Reply-To", "Subject"} {
		for _, v := range msg.Header[h] {
			if err := w.emit(n, "header "+h, h+": "+decodeWords(v)); err != nil {
				return err
			}
		}
	}
	m := &mimeWalk{w: w, n: n}
	return m.part(textproto.MIMEHeader(msg.Header), msg.Body, 0)
}

// mimeWalk walks the parts of one message.
type mimeWalk struct {
	w     *walker
	n     node
	parts int
}

// part handles one MIME entity and, for multiparts, its children.
func (m *mimeWalk) part(h textproto.MIMEHeader, body io.Reader, depth int) error {
	if m.parts++; m.parts > m.w.b.lim.MaxEntries {
		return overLimit("e-mail has more than %d MIME parts", m.w.b.lim.MaxEntries)
	}
	ct, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		ct, params = "text/plain", map[string]string{}
	}
	if strings.HasPrefix(ct, "multipart/") {
		if depth >= maxMIMEDepth {
			return overLimit("MIME parts nested deeper than %d levels", maxMIMEDepth)
		}
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return corrupt("malformed multipart e-mail body: %v", err)
			}
			if err := m.part(p.Header, p, depth+1); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))) {
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, &spaceless{r: body})
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	}
	data, err := m.w.b.readAll(body, m.n.size, "e-mail part")
	if err != nil {
		if _, ok := err.(*problem); ok {
			return err
		}
		return corrupt("undecodable e-mail part: %v", err)
	}
	_, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	name := decodeWords(dparams["filename"])
	if name == "" {
		name = decodeWords(params["name"])
	}
	if name == "" && (ct == "text/plain" || ct == "text/html") {
		return m.text(ct, params["charset"], data)
	}
	if name == "" {
		name = fmt.Sprintf("part%d", m.parts)
	}
	if m.n.depth+1 > m.w.b.lim.MaxDepth {
		return overLimit("attachments nested deeper than %d levels", m.w.b.lim.MaxDepth)
	}
	return m.w.entry(m.n, data, name)
}

// text emits a text or HTML body in its declared charset (sniffed when unknown).
func (m *mimeWalk) text(ct, charset string, data []byte) error {
	body := node{r: bytes.NewReader(data), size: int64(len(data)), name: "body", path: m.n.archivePath() + "/body", depth: m.n.depth}
	var r io.Reader = bytes.NewReader(data)
	if enc, err := htmlindex.Get(charset); err == nil && charset != "" {
		r = transform.NewReader(r, enc.NewDecoder())
	} else if e, ok := sniffEncoding(data[:min(len(data), sniffLen)]); ok {
		r = textReader(body, e)
	}
	if ct == "text/html" {
		return m.w.htmlFrom(body, r, "")
	}
	return m.w.linesFrom(body, r, 1, 0)
}

// spaceless drops the spaces some mailers leave in base64 bodies (newlines are
// already ignored by encoding/base64).
type spaceless struct{ r io.Reader }

func (s *spaceless) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	k := 0
	for _, c := range p[:n] {
		if c != ' ' && c != '\t' {
			p[k] = c
			k++
		}
	}
	if k == 0 && n > 0 && err == nil {
		return s.Read(p)
	}
	return k, err
}
