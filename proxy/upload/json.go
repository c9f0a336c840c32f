package upload

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
)

// minBase64 is the shortest JSON string treated as a possible base64 file.
const minBase64 = 256

var nameKeys = map[string]bool{"name": true, "filename": true, "file_name": true, "title": true, "attachmentname": true}

type jsonFrame struct {
	isArray bool
	key     string
	index   int
	parts   []*Part
	name    string
}

// splitJSON walks a JSON body: long base64 strings become file parts (with their exact offsets),
// other strings are gathered into one text part for message inspection.
func (b *Body) splitJSON() error {
	data, err := b.Decoded.Bytes(b.opts.MaxJSON)
	if err != nil {
		return fmt.Errorf("JSON body too large to inspect: %v", err)
	}
	if d := jsonDepth(data); d > maxJSONDepth { // checked before the decoder's own, slower walk
		return fmt.Errorf("JSON body nested deeper than %d levels", maxJSONDepth)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []*jsonFrame
	var text strings.Builder
	expectKey := func() bool { return len(stack) > 0 && !stack[len(stack)-1].isArray && stack[len(stack)-1].key == "" }
	pathOf := func() string {
		var sb strings.Builder
		for _, f := range stack {
			if f.isArray {
				sb.WriteString("[" + strconv.Itoa(f.index) + "]")
			} else if f.key != "" {
				if sb.Len() > 0 {
					sb.WriteByte('.')
				}
				sb.WriteString(f.key)
			}
		}
		return sb.String()
	}
	afterValue := func() {
		if len(stack) == 0 {
			return
		}
		top := stack[len(stack)-1]
		if top.isArray {
			top.index++
		} else {
			top.key = ""
		}
	}
	for {
		prev := dec.InputOffset()
		tok, err := dec.Token()
		if err == io.EOF {
			if len(stack) > 0 {
				return fmt.Errorf("malformed JSON body: truncated")
			}
			break
		}
		if err != nil {
			return fmt.Errorf("malformed JSON body: %v", err)
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if len(stack) >= maxJSONDepth { // no application nests this deep; walking it only burns CPU
					return fmt.Errorf("JSON body nested deeper than %d levels", maxJSONDepth)
				}
				stack = append(stack, &jsonFrame{isArray: t == '['})
			case '}', ']':
				top := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				for _, p := range top.parts {
					if p.FileName == "" {
						p.FileName = top.name
					}
				}
				if len(stack) > 0 && top.name == "" && len(top.parts) > 0 {
					stack[len(stack)-1].parts = append(stack[len(stack)-1].parts, top.parts...)
				}
				afterValue()
			}
		case string:
			if expectKey() {
				stack[len(stack)-1].key = t
				continue
			}
			end := dec.InputOffset()
			key := ""
			if len(stack) > 0 {
				key = strings.ToLower(stack[len(stack)-1].key)
			}
			if nameKeys[key] && len(stack) > 0 && stack[len(stack)-1].name == "" {
				stack[len(stack)-1].name = t
			}
			if p := b.base64Part(data, prev, end, t, pathOf); p != nil { // the path is built only for a found part
				b.Parts = append(b.Parts, p)
				if len(stack) > 0 {
					stack[len(stack)-1].parts = append(stack[len(stack)-1].parts, p)
				}
			} else if int64(text.Len()) < 4*b.opts.MaxFieldText {
				text.WriteString(t)
				text.WriteByte('\n')
			}
			afterValue()
		default:
			afterValue()
		}
	}
	if text.Len() > 0 {
		b.Parts = append(b.Parts, &Part{Kind: KindField, Field: "json", ContentType: "text/plain", Data: SpoolBytes([]byte(text.String()))})
	}
	return nil
}

// base64Part returns a file part when the JSON string at data[prev:end] holds base64 content.
func (b *Body) base64Part(data []byte, prev, end int64, s string, path func() string) *Part {
	if len(s) < minBase64 {
		return nil
	}
	raw := data[prev:end]
	q := bytes.IndexByte(raw, '"')
	if q < 0 {
		return nil
	}
	start := prev + int64(q) + 1 // first byte inside the quotes
	inner := data[start : end-1]
	if bytes.IndexByte(inner, '\\') >= 0 {
		// escaped content (e.g. "\/"): still decode, but rewriting must replace the whole literal
		inner = []byte(s)
	}
	ct := ""
	prefix := 0
	if strings.HasPrefix(s, "data:") {
		if i := strings.Index(s, ";base64,"); i > 0 && i < 100 {
			ct = s[5:i]
			prefix = i + len(";base64,")
		}
	}
	body := s[prefix:]
	var enc *base64.Encoding
	for _, e := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if e.DecodedLen(len(body)) > 0 {
			if _, err := e.DecodeString(body[:min(len(body), 1024)/4*4]); err == nil {
				if _, err := e.DecodeString(body); err == nil {
					enc = e
					break
				}
			}
		}
	}
	if enc == nil {
		return nil
	}
	decoded, _ := enc.DecodeString(body)
	p := &Part{Kind: KindBase64, Field: path(), ContentType: ct, Data: SpoolBytes(decoded)}
	p.b64 = enc
	if bytes.Equal(inner, []byte(s)) && bytes.IndexByte(data[start:end-1], '\\') < 0 {
		p.off, p.n = start+int64(prefix), int64(len(body))
	} else { // escaped literal: replace the whole quoted string
		p.off, p.n = start-1, end-(start-1)
		p.jsonLiteral, p.literalPrefix = true, s[:prefix]
	}
	return p
}

// splitForm reads urlencoded fields as text parts.
func (b *Body) splitForm() error {
	data, err := b.Decoded.Bytes(b.opts.MaxJSON)
	if err != nil {
		return fmt.Errorf("form body too large to inspect: %v", err)
	}
	vals, err := url.ParseQuery(string(data))
	if err != nil {
		return fmt.Errorf("malformed form body: %v", err)
	}
	for k, vs := range vals {
		for _, v := range vs {
			b.Parts = append(b.Parts, &Part{Kind: KindField, Field: k, Data: SpoolBytes([]byte(v))})
		}
	}
	return nil
}

// maxJSONDepth bounds the nesting of a JSON body Sluice walks; deeper bodies cannot be inspected.
const maxJSONDepth = 256

// jsonDepth returns the deepest nesting of brackets outside strings, stopping early past the limit.
func jsonDepth(data []byte) int {
	depth, deepest, inString, escaped := 0, 0, false, false
	for _, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			if depth++; depth > deepest {
				if deepest = depth; deepest > maxJSONDepth {
					return deepest
				}
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}
