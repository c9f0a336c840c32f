package inspect

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"
)

// xmlScanner is a small streaming XML tokenizer for the machine-written parts that make
// up most of an xlsx (worksheets, shared strings), where encoding/xml's per-byte decoding
// and per-token allocations dominated the scan time. It reuses its buffers, resolves only
// the five predefined entities and character references (there is no entity expansion to
// abuse), refuses DOCTYPE declarations, and reads only as much as it tokenizes.
type xmlScanner struct {
	r    *bufio.Reader
	name string // part name, for error messages

	kind    byte   // xmlStart, xmlEnd, xmlText or 0 at the end
	local   []byte // local name of the element (prefix removed)
	attrs   []xmlAttr
	text    []byte // decoded character data
	pending bool   // emit the xmlEnd of a self-closing tag next

	tag []byte // raw tag being parsed (reused)
}

// xmlAttr is one attribute of the current start tag (local name, decoded value).
type xmlAttr struct {
	local, value []byte
}

const (
	xmlStart = 's'
	xmlEnd   = 'e'
	xmlText  = 't'
)

func newXMLScanner(r io.Reader, name string) *xmlScanner {
	return &xmlScanner{r: bufio.NewReaderSize(r, 64<<10), name: name}
}

// attr returns the value of the attribute with the given local name, or nil.
func (s *xmlScanner) attr(local string) []byte {
	for _, a := range s.attrs {
		if string(a.local) == local {
			return a.value
		}
	}
	return nil
}

// next advances to the next token; it returns io.EOF at the end of the part.
func (s *xmlScanner) next() error {
	if s.pending {
		s.pending, s.kind = false, xmlEnd
		return nil
	}
	b, err := s.r.ReadByte()
	if err != nil {
		return s.fail(err)
	}
	if b != '<' {
		s.r.UnreadByte()
		return s.readText()
	}
	return s.readTag()
}

func (s *xmlScanner) fail(err error) error {
	if err == io.EOF {
		s.kind = 0
		return io.EOF
	}
	var p *problem
	if errors.As(err, &p) {
		return err
	}
	return corrupt("malformed XML in %s: %v", s.name, err)
}

// readText reads character data up to the next '<', decoding references.
func (s *xmlScanner) readText() error {
	s.text = s.text[:0]
	for {
		chunk, err := s.r.ReadSlice('<')
		if err == nil {
			s.text = append(s.text, chunk[:len(chunk)-1]...)
			s.r.UnreadByte()
			break
		}
		s.text = append(s.text, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			break
		}
		return s.fail(err)
	}
	t, err := unescapeXML(s.text)
	if err != nil {
		return corrupt("malformed XML text in %s: %v", s.name, err)
	}
	s.text, s.kind = t, xmlText
	return nil
}

// readTag reads one markup construct after '<'.
func (s *xmlScanner) readTag() error {
	chunk, err := s.r.ReadSlice('>')
	if err == nil && len(chunk) > 0 && chunk[0] != '!' && chunk[0] != '?' &&
		bytes.IndexByte(chunk, '\'') < 0 && bytes.Count(chunk, []byte{'"'})%2 == 0 {
		// Fast path: the whole tag is in the buffer with balanced quotes; parse it in
		// place (valid until the next read, that is until the next token).
		return s.parseTag(chunk[:len(chunk)-1])
	}
	s.tag = s.tag[:0]
	for {
		if err != nil && err != bufio.ErrBufferFull {
			if err == io.EOF {
				return corrupt("malformed XML in %s: unexpected end inside a tag", s.name)
			}
			return s.fail(err)
		}
		s.tag = append(s.tag, chunk...)
		if err == nil && s.balanced() && s.complete() {
			return s.parseTag(s.tag[:len(s.tag)-1])
		}
		chunk, err = s.r.ReadSlice('>')
	}
}

// balanced reports whether the raw tag has no open quote (quotes in comments, CDATA and
// processing instructions do not hide '>').
func (s *xmlScanner) balanced() bool {
	if len(s.tag) > 0 && (s.tag[0] == '!' || s.tag[0] == '?') {
		return true
	}
	var quote byte
	for _, c := range s.tag {
		if quote != 0 {
			if c == quote {
				quote = 0
			}
		} else if c == '"' || c == '\'' {
			quote = c
		}
	}
	return quote == 0
}

// parseTag interprets one markup construct t (between '<' and '>').
func (s *xmlScanner) parseTag(t []byte) error {
	switch {
	case bytes.HasPrefix(t, []byte("!--")), bytes.HasPrefix(t, []byte("?")):
		return s.next()
	case bytes.HasPrefix(t, []byte("![CDATA[")):
		s.text = append(s.text[:0], t[8:len(t)-2]...)
		s.kind = xmlText
		return nil
	case bytes.HasPrefix(t, []byte("!")):
		return corrupt("XML DOCTYPE or declaration in %s refused (entity expansion attack?)", s.name)
	case bytes.HasPrefix(t, []byte("/")):
		s.kind, s.local = xmlEnd, localName(bytes.TrimSpace(t[1:]))
		return nil
	}
	selfClose := bytes.HasSuffix(t, []byte("/"))
	if selfClose {
		t = t[:len(t)-1]
	}
	s.pending = selfClose
	return s.parseStart(t)
}

// complete reports whether the raw tag read so far ends its construct (comments and
// CDATA sections may contain '>').
func (s *xmlScanner) complete() bool {
	switch {
	case bytes.HasPrefix(s.tag, []byte("!--")):
		return len(s.tag) >= 6 && bytes.HasSuffix(s.tag, []byte("-->"))
	case bytes.HasPrefix(s.tag, []byte("![CDATA[")):
		return len(s.tag) >= 11 && bytes.HasSuffix(s.tag, []byte("]]>"))
	}
	return true
}

// parseStart splits a start tag into its name and attributes.
func (s *xmlScanner) parseStart(t []byte) error {
	i := 0
	for i < len(t) && !xmlSpace(t[i]) {
		i++
	}
	s.kind, s.local, s.attrs = xmlStart, localName(t[:i]), s.attrs[:0]
	for {
		for i < len(t) && xmlSpace(t[i]) {
			i++
		}
		if i >= len(t) {
			return nil
		}
		eq := bytes.IndexByte(t[i:], '=')
		if eq < 0 {
			return corrupt("malformed XML attribute in %s", s.name)
		}
		name := bytes.TrimSpace(t[i : i+eq])
		i += eq + 1
		for i < len(t) && xmlSpace(t[i]) {
			i++
		}
		if i >= len(t) || (t[i] != '"' && t[i] != '\'') {
			return corrupt("malformed XML attribute in %s", s.name)
		}
		end := bytes.IndexByte(t[i+1:], t[i])
		if end < 0 {
			return corrupt("malformed XML attribute in %s", s.name)
		}
		v, err := unescapeXML(t[i+1 : i+1+end])
		if err != nil {
			return corrupt("malformed XML attribute in %s: %v", s.name, err)
		}
		s.attrs = append(s.attrs, xmlAttr{local: localName(name), value: v})
		i += end + 2
	}
}

func xmlSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// localName strips a namespace prefix.
func localName(n []byte) []byte {
	if i := bytes.IndexByte(n, ':'); i >= 0 {
		return n[i+1:]
	}
	return n
}

// unescapeXML resolves the predefined entities and character references in place.
// Any other entity is an error: nothing is ever expanded from a declaration.
func unescapeXML(b []byte) ([]byte, error) {
	amp := bytes.IndexByte(b, '&')
	if amp < 0 {
		return b, nil
	}
	out := b[:amp]
	for i := amp; i < len(b); {
		if b[i] != '&' {
			out = append(out, b[i])
			i++
			continue
		}
		semi := bytes.IndexByte(b[i:], ';')
		if semi < 0 || semi > 12 {
			return nil, errors.New("unterminated entity reference")
		}
		ref := b[i+1 : i+semi]
		i += semi + 1
		switch string(ref) {
		case "lt":
			out = append(out, '<')
		case "gt":
			out = append(out, '>')
		case "amp":
			out = append(out, '&')
		case "quot":
			out = append(out, '"')
		case "apos":
			out = append(out, '\'')
		default:
			if len(ref) < 2 || ref[0] != '#' {
				return nil, errors.New("undefined entity &" + string(ref) + ";")
			}
			var v uint64
			var err error
			if ref[1] == 'x' {
				v, err = strconv.ParseUint(string(ref[2:]), 16, 32)
			} else {
				v, err = strconv.ParseUint(string(ref[1:]), 10, 32)
			}
			if err != nil || !utf8.ValidRune(rune(v)) {
				return nil, errors.New("invalid character reference &" + string(ref) + ";")
			}
			out = utf8.AppendRune(out, rune(v))
		}
	}
	return out, nil
}
