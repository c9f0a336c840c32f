package inspect

import (
	"bytes"
	"compress/zlib"
	"strconv"
)

// maxRawPDF bounds how much of a damaged PDF is searched for content streams.
const maxRawPDF = 64 << 20

// pdfRawText recovers text from a PDF that pdfcpu cannot open (truncated, broken
// cross-reference table): every Flate or unfiltered stream that looks like page content
// is interpreted with simple-font decoding ("stream N"). It reports how many streams
// gave text; the caller still reports the file as corrupt.
func (w *walker) pdfRawText(n node) (int, error) {
	data := make([]byte, min(n.size, maxRawPDF))
	k, _ := n.r.ReadAt(data, 0)
	data = data[:k]
	found, idx := 0, 0
	for {
		i := bytes.Index(data, []byte("stream"))
		if i < 0 {
			return found, nil
		}
		body := data[i+6:]
		data = body
		if bytes.HasPrefix(body, []byte("\r\n")) {
			body = body[2:]
		} else if len(body) > 0 && (body[0] == '\n' || body[0] == '\r') {
			body = body[1:]
		} else {
			continue // "endstream" or a word containing "stream"
		}
		end := bytes.Index(body, []byte("endstream"))
		if end < 0 {
			end = len(body)
		}
		raw := body[:end]
		data = body[end:]
		idx++
		content := raw
		if zr, err := zlib.NewReader(bytes.NewReader(raw)); err == nil {
			content, err = w.b.readAll(zr, int64(len(raw)), "PDF stream")
			if isFatal(err) {
				return found, err
			}
		}
		if !bytes.Contains(content, []byte("BT")) || !(bytes.Contains(content, []byte("Tj")) || bytes.Contains(content, []byte("TJ"))) {
			continue
		}
		before := w.b.text
		pt := &pdfText{w: w, n: n, loc: "stream " + strconv.Itoa(idx), fonts: map[string]*pdfFont{}}
		pt.font = &pdfFont{}
		if err := pt.run(content, nil, maxFormDepth); err != nil {
			return found, err
		}
		if err := pt.flush(); err != nil {
			return found, err
		}
		if w.b.text > before {
			found++
		}
	}
}
