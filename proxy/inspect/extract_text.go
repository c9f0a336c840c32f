package inspect

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// textEnc is the character encoding detected for a text part.
type textEnc int

const (
	encUTF8 textEnc = iota
	encUTF16LE
	encUTF16BE
	encGB18030 // also covers GBK and GB2312, its subsets
	encLatin1  // windows-1252: 8-bit text that is neither UTF-8 nor GB18030
)

func (e textEnc) String() string {
	return [...]string{"utf-8", "utf-16le", "utf-16be", "gb18030", "windows-1252"}[e]
}

// encoding returns the x/text decoder for e, or nil for UTF-8. BOMs are stripped.
func (e textEnc) encoding() encoding.Encoding {
	switch e {
	case encUTF16LE:
		return unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)
	case encUTF16BE:
		return unicode.UTF16(unicode.BigEndian, unicode.UseBOM)
	case encGB18030:
		return simplifiedchinese.GB18030
	case encLatin1:
		return charmap.Windows1252
	}
	return nil
}

// sniffEncoding decides whether head is text and in which encoding: a BOM first, then
// UTF-16 without BOM, then valid UTF-8, then valid GB18030 (Chinese Excel exports).
func sniffEncoding(head []byte) (textEnc, bool) {
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		return encUTF8, true
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return encUTF16LE, true
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return encUTF16BE, true
	}
	if e, ok := sniffUTF16(head); ok {
		return e, true
	}
	for _, b := range head {
		if b <= 0x08 || b == 0x0B || 0x0E <= b && b <= 0x1A || 0x1C <= b && b <= 0x1F {
			return 0, false // binary data byte
		}
	}
	if validUTF8Prefix(head) {
		return encUTF8, true
	}
	if dec := decodeHead(head, encGB18030); bytes.Count(dec, []byte("\uFFFD")) <= 1 {
		return encGB18030, true
	}
	return encLatin1, true
}

// sniffUTF16 recognises BOM-less UTF-16 by the zero bytes of its ASCII characters.
func sniffUTF16(head []byte) (textEnc, bool) {
	n := min(len(head), 4096) &^ 1
	if n < 8 {
		return 0, false
	}
	var even, odd int
	for i := 0; i < n; i += 2 {
		if head[i] == 0 {
			even++
		}
		if head[i+1] == 0 {
			odd++
		}
	}
	pairs := n / 2
	switch {
	case odd*10 > pairs*4 && even*50 < pairs:
		return encUTF16LE, true
	case even*10 > pairs*4 && odd*50 < pairs:
		return encUTF16BE, true
	}
	return 0, false
}

// validUTF8Prefix reports whether b is valid UTF-8, allowing a rune cut at the end.
func validUTF8Prefix(b []byte) bool {
	for i := 0; i < 3 && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return true
		}
		b = b[:len(b)-1]
	}
	return utf8.Valid(b)
}

// decodeHead decodes a leading sample of text to UTF-8.
func decodeHead(head []byte, e textEnc) []byte {
	enc := e.encoding()
	if enc == nil {
		return head
	}
	if e == encUTF16LE || e == encUTF16BE {
		head = head[:len(head)&^1]
	}
	out, _, _ := transform.Bytes(enc.NewDecoder(), head)
	return out
}

// textReader returns the whole content of n decoded to UTF-8, without BOM.
func textReader(n node, e textEnc) io.Reader {
	var r io.Reader = io.NewSectionReader(n.r, 0, n.size)
	if enc := e.encoding(); enc != nil {
		return transform.NewReader(r, enc.NewDecoder())
	}
	br := bufio.NewReader(r)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	return br
}

// maxLine bounds one segment of line-oriented text; longer lines are split.
const maxLine = 64 << 10

// lines extracts line-oriented text. With sep ',' or '\t' each line is split into
// fields (quotes honoured within the line) that are re-joined with '\t'.
func (w *walker) lines(n node, e textEnc, sep byte) error {
	return w.linesFrom(n, textReader(n, e), 1, sep)
}

// linesFrom emits the lines of r as segments located "line N", starting at line first.
func (w *walker) linesFrom(n node, r io.Reader, first int, sep byte) error {
	br := bufio.NewReaderSize(r, maxLine)
	line := first
	for {
		b, err := br.ReadSlice('\n')
		if len(b) > 0 {
			s := strings.TrimRight(string(b), "\r\n")
			if sep != 0 {
				s = splitFields(s, sep)
			}
			if eerr := w.emit(n, "line "+strconv.Itoa(line), s); eerr != nil {
				return eerr
			}
		}
		switch err {
		case nil:
			line++
		case bufio.ErrBufferFull: // a very long line continues in the next segment
		case io.EOF:
			return nil
		default:
			return asReadError(err)
		}
	}
}

// asReadError keeps budget problems and turns decoding failures into corrupt ones.
func asReadError(err error) error {
	if _, ok := err.(*problem); ok {
		return err
	}
	return corrupt("cannot read text: %v", err)
}

// splitFields splits one CSV/TSV line on sep, removing quotes, and joins the fields with '\t'.
func splitFields(s string, sep byte) string {
	if strings.IndexByte(s, '"') < 0 {
		if sep == '\t' {
			return s
		}
		return strings.ReplaceAll(s, string(sep), "\t")
	}
	var sb strings.Builder
	sb.Grow(len(s))
	quoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' && quoted && i+1 < len(s) && s[i+1] == '"':
			sb.WriteByte('"')
			i++
		case c == '"':
			quoted = !quoted
		case c == sep && !quoted:
			sb.WriteByte('\t')
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

// utf16Runs appends to out the runs of at least minRunes printable UTF-16LE characters in b.
func utf16Runs(b []byte, minRunes int, out []string) []string {
	var run []uint16
	flush := func() {
		if len(run) >= minRunes {
			out = append(out, string(utf16.Decode(run)))
		}
		run = run[:0]
	}
	for i := 0; i+1 < len(b); i += 2 {
		u := uint16(b[i]) | uint16(b[i+1])<<8
		if printable16(u) {
			run = append(run, u)
		} else {
			flush()
		}
	}
	flush()
	return out
}

// printable16 reports whether u is a printable BMP character worth keeping.
func printable16(u uint16) bool {
	switch {
	case u == '\t':
		return true
	case u >= 0x20 && u < 0x7F:
		return true
	case u >= 0x3000 && u <= 0x30FF, u >= 0x4E00 && u <= 0x9FFF, u >= 0xFF00 && u <= 0xFFEF:
		return true // CJK punctuation, ideographs, full-width forms
	case u >= 0xA0 && u < 0x0250:
		return true // Latin-1 and Latin Extended letters
	}
	return false
}
