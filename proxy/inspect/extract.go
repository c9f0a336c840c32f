package inspect

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode/utf8"
)

// excerptRunes is how much leading text a Result's Excerpt keeps.
const excerptRunes = 300

// walker extracts one top-level part and everything nested inside it, feeding every
// segment to a Sink and collecting the findings that extraction itself produces.
type walker struct {
	b       *budget
	sink    Sink
	own     []Finding
	excerpt strings.Builder
	exRunes int
	exCut   bool // the excerpt's last line stops mid-way
	exMore  bool // text followed that the excerpt does not hold
	segs    int
	ocr     *ocrState // nil unless OCR is enabled
}

// node is one part being walked: the top-level part or an entry nested in it.
type node struct {
	r     io.ReaderAt
	size  int64
	name  string // declared name of the part or archive entry
	path  string // location prefix of its segments; "" for the top-level part
	depth int    // archive nesting depth
}

// archivePath is the prefix under which this node's entries are located.
func (n node) archivePath() string {
	if n.path != "" {
		return n.path
	}
	if n.name != "" {
		return path.Base(strings.ReplaceAll(n.name, "\\", "/"))
	}
	return "part"
}

// child returns the node for an entry of this archive.
func (n node) child(r io.ReaderAt, size int64, entry string) node {
	return node{r: r, size: size, name: entry, path: n.archivePath() + "/" + entry, depth: n.depth + 1}
}

// loc prefixes a location inside this node with the node's own path.
func (n node) loc(l string) string {
	switch {
	case n.path == "":
		return l
	case l == "":
		return n.path
	}
	return n.path + " " + l
}

// emit hands one segment of extracted text to the sink.
func (w *walker) emit(n node, loc, text string) error { return w.emitSeg(n, loc, text, false) }

// emitSeg hands one segment to the sink, enforcing the text and time budgets; ocr marks
// text recognised in an image.
func (w *walker) emitSeg(n node, loc, text string, ocr bool) error {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
	}
	w.b.text += int64(len(text))
	if w.b.text > w.b.lim.MaxText {
		return overLimit("more than %d MiB of extracted text", w.b.lim.MaxText>>20)
	}
	w.segs++
	if w.segs&255 == 0 {
		if err := w.b.check(); err != nil {
			return err
		}
	}
	if w.exRunes < excerptRunes {
		if w.excerpt.Len() > 0 {
			w.excerpt.WriteByte('\n')
		}
		for _, r := range text {
			if w.exRunes >= excerptRunes {
				w.exCut, w.exMore = true, true
				break
			}
			w.excerpt.WriteRune(r)
			w.exRunes++
		}
	} else if text != "" {
		w.exMore = true
	}
	if err := w.sink.Segment(Segment{Text: text, Location: n.loc(loc), OCR: ocr}); err != nil {
		return overLimit("detector stopped: %v", err)
	}
	return nil
}

// addOwn records a finding produced by extraction (encrypted, uninspectable, ...),
// merging findings of the same kind.
func (w *walker) addOwn(kind, detail, loc string) {
	s := Sample{Value: detail, Location: loc}
	for i := range w.own {
		f := &w.own[i]
		if f.Kind != kind {
			continue
		}
		f.Count++
		if len(f.Samples) < 5 {
			f.Samples = append(f.Samples, s)
		}
		if !strings.Contains(f.Detail, detail) && len(f.Detail) < 400 {
			f.Detail += "; " + detail
		}
		return
	}
	w.own = append(w.own, Finding{Kind: kind, Count: 1, Detail: detail, Samples: []Sample{s}})
}

// settle turns an extraction error of node n into a finding. It returns the error
// again only when it must stop the whole scan (a fatal limit), marked as recorded.
func (w *walker) settle(n node, what string, err error) error {
	if err == nil {
		return nil
	}
	p := asProblem(err, what)
	if p.recorded {
		return p
	}
	p.recorded = true
	w.addOwn(p.kind, p.detail, n.loc(""))
	if p.fatal {
		return p
	}
	return nil
}

// entry walks one archive entry held in memory and records its problems.
func (w *walker) entry(parent node, data []byte, name string) error {
	c := parent.child(bytes.NewReader(data), int64(len(data)), name)
	ti, err := w.walk(c)
	return w.settle(c, ti.typ, err)
}

// walk recognises the type of n and runs the matching extractor.
func (w *walker) walk(n node) (ti typeInfo, err error) {
	defer func() {
		if v := recover(); v != nil {
			if ti.typ == "" {
				ti.typ = "bin"
			}
			err = corrupt("%s parser failed on malformed input: %v", ti.typ, v)
		}
	}()
	head := make([]byte, min(n.size, sniffLen))
	if k, rerr := n.r.ReadAt(head, 0); k < len(head) {
		return typeInfo{typ: "bin", mime: "application/octet-stream"}, corrupt("cannot read content: %v", rerr)
	}
	ti = detectType(n.r, n.size, head)
	if err := w.b.check(); err != nil {
		return ti, err
	}
	if n.depth > w.b.lim.MaxDepth {
		return ti, overLimit("archives nested deeper than %d levels", w.b.lim.MaxDepth)
	}
	if ext, bad := disguise(n.name, ti.typ); bad {
		w.addOwn(KindDisguised, fmt.Sprintf("name says .%s but content is %s", ext, ti.typ), n.loc(""))
	}
	before := w.b.text
	err = w.extract(n, ti)
	if err == nil && w.b.text == before && documentTypes[ti.typ] {
		why := "empty"
		if ti.typ == "pdf" {
			why = "scanned pages without a text layer? no OCR here"
			if w.ocr != nil {
				why = "no text layer, and OCR read none in its images"
			}
		}
		w.addOwn(KindNoText, fmt.Sprintf("no text found in this %s (%s)", ti.typ, why), n.loc(""))
	}
	return ti, err
}

// documentTypes are expected to carry text; finding none is itself reported.
var documentTypes = map[string]bool{
	"xlsx": true, "docx": true, "pptx": true, "odt": true, "ods": true, "odp": true, "xls": true, "doc": true, "ppt": true, "pdf": true,
	"csv": true, "tsv": true, "txt": true, "html": true, "json": true, "xml": true, "eml": true, "rtf": true,
}

// extract dispatches n to the extractor for its type.
func (w *walker) extract(n node, ti typeInfo) error {
	switch ti.typ {
	case "xlsx":
		return w.xlsx(n, ti.zip)
	case "docx":
		return w.docx(n, ti.zip)
	case "pptx":
		return w.pptx(n, ti.zip)
	case "odt", "ods", "odp":
		return w.odf(n, ti.zip)
	case "zip":
		return w.zipArchive(n, ti.zip)
	case "gz", "bz2":
		return w.decompress(n, ti.typ)
	case "tar":
		return w.tarArchive(n)
	case "pdf":
		return w.pdf(n)
	case "xls", "doc", "ppt", "ole", "ooxml":
		return w.legacy(n, ti)
	case "eml":
		return w.eml(n, ti.enc)
	case "html", "svg":
		return w.html(n, ti.enc)
	case "json":
		return w.json(n, ti.enc)
	case "xml":
		return w.xmlText(n, ti.enc)
	case "csv":
		return w.lines(n, ti.enc, ',')
	case "tsv":
		return w.lines(n, ti.enc, '\t')
	case "txt", "rtf", "vcf":
		return w.lines(n, ti.enc, 0)
	case "7z", "rar", "xz", "zst":
		return corrupt("%s archives are not supported; contents not inspected", ti.typ)
	}
	if imageTypes[ti.typ] && w.ocr != nil {
		return w.ocrImage(n, ti.typ)
	}
	if imageTypes[ti.typ] {
		w.addOwn(KindNoText, "images carry no extractable text (no OCR)", n.loc(""))
		return nil
	}
	found, err := w.printableRuns(n)
	if err != nil {
		return err
	}
	if found == 0 {
		w.addOwn(KindNoText, fmt.Sprintf("unknown binary content (%s), no text in it", ti.mime), n.loc(""))
	}
	return nil
}
