package upload

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"unicode/utf8"
)

// decodeFieldFiles finds files hidden in text fields — data: URLs and long base64 strings in form
// fields, multipart text fields and plain-text bodies (JSON strings are handled by the JSON walker) — and
// adds each as a file part of its own, so that a base64 slice in a form (Baidu's data_content) is
// inspected as the bytes it carries. Such parts cannot be rewritten.
func (b *Body) decodeFieldFiles() {
	if b.Format == "json" {
		return
	}
	var found []*Part
	for _, p := range b.Parts {
		if p.Kind != KindField || p.Data.Size() < minBase64 || p.Data.Size() > b.opts.MaxInspect {
			continue
		}
		data, err := p.Data.Bytes(b.opts.MaxInspect)
		if err != nil {
			continue
		}
		for _, s := range candidates(data) {
			dec, ct, ok := decodeBase64(s)
			if !ok {
				continue
			}
			found = append(found, &Part{Kind: KindBase64, Field: p.Field, FileName: p.Field, ContentType: ct,
				Data: SpoolBytes(dec), encoded: true})
		}
	}
	b.Parts = append(b.Parts, found...)
}

// candidates returns the runs of a field that may be base64: the whole trimmed value, and every data: URL in it.
func candidates(v []byte) []string {
	var out []string
	t := strings.TrimSpace(string(v))
	if !strings.Contains(t, "data:") {
		return append(out, t)
	}
	for rest := t; ; {
		i := strings.Index(rest, "data:")
		if i < 0 {
			break
		}
		rest = rest[i:]
		end := strings.IndexAny(rest, "\"' )>\n\r\t")
		if end < 0 {
			end = len(rest)
		}
		out = append(out, rest[:end])
		rest = rest[max(end, 5):]
	}
	return out
}

// decodeBase64 decodes s when it is a data: URL with base64 content or a long base64 string (any of
// the standard or URL alphabets, padded or not, line-wrapped or URL-escaped); it returns the declared
// content type of a data: URL.
func decodeBase64(s string) ([]byte, string, bool) {
	ct := ""
	if strings.HasPrefix(s, "data:") {
		i := strings.Index(s, ";base64,")
		if i < 0 || i > 100 {
			return nil, "", false
		}
		ct, s = s[5:i], s[i+len(";base64,"):]
	}
	if strings.Contains(s, "%") {
		if u, err := url.QueryUnescape(s); err == nil {
			s = u
		}
	}
	s = strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s)
	if len(s) < minBase64 || !isBase64Alphabet(s) {
		return nil, "", false
	}
	for _, e := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if dec, err := e.DecodeString(s); err == nil {
			return dec, ct, true
		}
	}
	return nil, "", false
}

// isBase64Alphabet reports whether s uses only base64 letters (either alphabet) and padding, and mixes
// cases and digits the way encoded bytes do (a long word or number is not base64).
func isBase64Alphabet(s string) bool {
	var upper, lower, digit bool
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= '0' && c <= '9':
			digit = true
		case c == '+' || c == '/' || c == '-' || c == '_' || c == '=':
		default:
			return false
		}
	}
	return upper && lower && digit
}

// sniffType classifies a body sent without a Content-Type by its first bytes: JSON, a urlencoded form,
// plain text (a chat message), or "" for file content.
func sniffType(s *Spool) string {
	head := make([]byte, min(s.Size(), 4096))
	n, _ := s.ReadAt(head, 0)
	head = head[:n]
	switch {
	case looksJSON(s) && (s.Size() <= int64(len(head)) && json.Valid(head) || s.Size() > int64(len(head)) && textLike(head)):
		return "application/json"
	case formLike(head):
		return "application/x-www-form-urlencoded"
	case textLike(head):
		return "text/plain"
	}
	return ""
}

// textLike reports whether head reads as text: valid UTF-8 (a rune cut at the end aside), no control bytes.
func textLike(head []byte) bool {
	for i := 0; i < 3 && len(head) > 0 && !utf8.Valid(head); i++ {
		head = head[:len(head)-1]
	}
	return utf8.Valid(head) && !bytes.ContainsAny(head, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f")
}

// formLike reports whether b reads as name=value pairs joined by & with URL-safe characters only.
func formLike(b []byte) bool {
	if len(b) == 0 || !bytes.Contains(b, []byte("=")) {
		return false
	}
	for _, pair := range bytes.Split(b, []byte("&")) {
		k, _, ok := bytes.Cut(pair, []byte("="))
		if !ok || len(k) == 0 {
			return false
		}
		for _, c := range pair {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || bytes.IndexByte([]byte("%+-_.~*=,:;/!()'[]"), c) >= 0) {
				return false
			}
		}
	}
	return true
}
