package inspect

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// blockTags end a segment of HTML text; cellTags separate fields with '\t'.
var blockTags = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Br: true, atom.Li: true, atom.Tr: true, atom.Table: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Section: true, atom.Article: true, atom.Ul: true, atom.Ol: true, atom.Dd: true,
	atom.Dt: true, atom.Blockquote: true, atom.Pre: true, atom.Title: true, atom.Option: true,
	atom.Form: true, atom.Header: true, atom.Footer: true, atom.Hr: true, atom.Body: true,
}

var cellTags = map[atom.Atom]bool{atom.Td: true, atom.Th: true}

// skipTags hold no human text.
var skipTags = map[atom.Atom]bool{atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true}

// html extracts the visible text of an HTML document, one segment per block ("block N").
func (w *walker) html(n node, e textEnc) error {
	return w.htmlFrom(n, textReader(n, e), "")
}

// htmlFrom extracts HTML text from r; locPrefix is put before "block N".
func (w *walker) htmlFrom(n node, r io.Reader, locPrefix string) error {
	z := html.NewTokenizer(r)
	z.SetMaxBuf(4 << 20)
	var sb strings.Builder
	block, skip := 0, 0
	flush := func() error {
		block++
		s := sb.String()
		sb.Reset()
		return w.emit(n, locPrefix+"block "+strconv.Itoa(block), strings.TrimSpace(s))
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if err := z.Err(); err != io.EOF {
				if p := (*problem)(nil); errors.As(err, &p) {
					return err
				}
				if errors.Is(err, html.ErrBufferExceeded) {
					return corrupt("HTML token longer than 4 MiB")
				}
				return asReadError(err)
			}
			return flush()
		case html.TextToken:
			if skip == 0 {
				sb.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			tn, _ := z.TagName()
			a := atom.Lookup(tn)
			closing := tt == html.EndTagToken
			switch {
			case skipTags[a]:
				if closing && skip > 0 {
					skip--
				} else if !closing {
					skip++
				}
			case cellTags[a]:
				if !closing && sb.Len() > 0 {
					sb.WriteByte('\t')
				}
			case blockTags[a]:
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
}

// record accumulates the scalar values of one JSON object/array or XML element.
type record struct {
	parts []string
	size  int
	obj   bool // a JSON object: its tokens alternate key, value
	key   bool // the next token of the object is a key
}

// maxRecord bounds a record before it is flushed as a segment of its own.
const maxRecord = 8 << 10

// json extracts string and number values; each object's scalar members become one
// segment (joined with '\t'), located "item N". Text after a syntax error is read as lines.
func (w *walker) json(n node, e textEnc) error {
	dec := json.NewDecoder(textReader(n, e))
	dec.UseNumber()
	var stack []*record
	item := 0
	flush := func(r *record) error {
		if len(r.parts) == 0 {
			return nil
		}
		item++
		s := strings.Join(r.parts, "\t")
		r.parts, r.size = r.parts[:0], 0
		return w.emit(n, "item "+strconv.Itoa(item), s)
	}
	top := &record{}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return flush(top)
		}
		if err != nil {
			if p := (*problem)(nil); errors.As(err, &p) {
				return err
			}
			if ferr := flush(top); ferr != nil {
				return ferr
			}
			return w.restAsLines(n, e, dec.InputOffset())
		}
		cur := top
		if len(stack) > 0 {
			cur = stack[len(stack)-1]
		}
		var val string
		switch t := tok.(type) {
		case json.Delim:
			if t == '{' || t == '[' {
				cur.key = cur.obj // the container was this member's value
				stack = append(stack, &record{obj: t == '{', key: t == '{'})
				continue
			}
			if len(stack) > 0 {
				r := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				if err := flush(r); err != nil {
					return err
				}
			}
			continue
		case string:
			if cur.obj && cur.key {
				cur.key = false
				continue
			}
			val = t
		case json.Number:
			val = string(t)
		default:
			cur.key = cur.obj
			continue
		}
		cur.key = cur.obj
		cur.parts = append(cur.parts, val)
		cur.size += len(val)
		if cur.size > maxRecord || len(cur.parts) > 256 {
			if err := flush(cur); err != nil {
				return err
			}
		}
	}
}

// restAsLines emits, as plain lines, the decoded text of n after offset bytes; used when
// a structured parser stops at a syntax error so no text is left unread.
func (w *walker) restAsLines(n node, e textEnc, offset int64) error {
	br := bufio.NewReader(textReader(n, e))
	if _, err := br.Discard(int(offset)); err != nil {
		return nil
	}
	return w.linesFrom(n, br, 1, 0)
}

// xmlText extracts the text of a generic XML document: an element whose children are
// all leaves becomes one segment of their texts joined with '\t' ("element N").
// Entities are never expanded (encoding/xml does not support custom entities).
func (w *walker) xmlText(n node, e textEnc) error {
	d := xml.NewDecoder(textReader(n, e))
	d.Strict = false
	d.CharsetReader = func(string, io.Reader) (io.Reader, error) {
		return nil, errors.New("already decoded")
	}
	var stack []*record
	var text strings.Builder
	elem := 0
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if p := (*problem)(nil); errors.As(err, &p) {
				return err
			}
			return w.restAsLines(n, e, d.InputOffset())
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) > 0 {
				stack[len(stack)-1].size = -1 // parent is not a leaf
			}
			stack = append(stack, &record{})
			text.Reset()
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			if len(stack) == 0 {
				continue
			}
			r := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if r.size >= 0 { // a leaf: its text belongs to the parent's record
				if len(stack) > 0 {
					p := stack[len(stack)-1]
					if s := strings.TrimSpace(text.String()); s != "" {
						p.parts = append(p.parts, s)
					}
				}
			} else if len(r.parts) > 0 {
				elem++
				if err := w.emit(n, "element "+strconv.Itoa(elem), strings.Join(r.parts, "\t")); err != nil {
					return err
				}
			}
			text.Reset()
		}
	}
}
