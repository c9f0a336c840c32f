package inspect

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"
)

// partXML opens an OOXML part as a token decoder over its decompressed stream.
// DOCTYPE declarations are refused (OOXML never has them; they carry entity bombs),
// and custom entities are never expanded by encoding/xml.
type partXML struct {
	d    *xml.Decoder
	rc   io.ReadCloser
	name string
}

func (w *walker) openXML(n node, f *zip.File) (*partXML, error) {
	rc, err := w.openEntry(n, f)
	if err != nil {
		return nil, err
	}
	d := xml.NewDecoder(rc)
	d.Strict = true
	return &partXML{d: d, rc: rc, name: f.Name}, nil
}

// next returns the next raw token, or io.EOF at the end of the part.
func (p *partXML) next() (xml.Token, error) {
	tok, err := p.d.RawToken()
	if err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		var pr *problem
		if errors.As(err, &pr) {
			return nil, err
		}
		return nil, corrupt("malformed XML in %s: %v", p.name, err)
	}
	if dir, ok := tok.(xml.Directive); ok && len(dir) >= 7 && strings.EqualFold(string(dir[:7]), "DOCTYPE") {
		return nil, corrupt("XML DOCTYPE in %s refused (entity expansion attack?)", p.name)
	}
	return tok, nil
}

func (p *partXML) Close() error { return p.rc.Close() }

// attr returns the value of the attribute with local name local.
func attr(se xml.StartElement, local string) string {
	for _, a := range se.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// findFile returns the zip entry with the given name, or nil.
func findFile(zr *zip.Reader, name string) *zip.File {
	for _, f := range zr.File {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// rels reads a relationships part into Id → target part name (resolved against dir).
func (w *walker) rels(n node, zr *zip.Reader, relsName, dir string) (map[string]string, error) {
	f := findFile(zr, relsName)
	if f == nil {
		return nil, nil
	}
	p, err := w.openXML(n, f)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	m := map[string]string{}
	for {
		tok, err := p.next()
		if err == io.EOF {
			return m, nil
		}
		if err != nil {
			return nil, err
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "Relationship" {
			t := attr(se, "Target")
			if strings.HasPrefix(t, "/") {
				t = strings.TrimPrefix(t, "/")
			} else {
				t = path.Join(dir, t)
			}
			m[attr(se, "Id")] = t
		}
	}
}

// numberedParts returns the entries named prefix<N>.xml, sorted by N.
func numberedParts(zr *zip.Reader, prefix string) []*zip.File {
	type nf struct {
		n int
		f *zip.File
	}
	var out []nf
	for _, f := range zr.File {
		rest, ok := strings.CutPrefix(f.Name, prefix)
		if !ok || !strings.HasSuffix(rest, ".xml") {
			continue
		}
		k, err := strconv.Atoi(strings.TrimSuffix(rest, ".xml"))
		if err != nil {
			continue
		}
		out = append(out, nf{k, f})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].n < out[j].n })
	files := make([]*zip.File, len(out))
	for i, x := range out {
		files[i] = x.f
	}
	return files
}

// embeddings walks objects embedded in an OOXML package (e.g. a spreadsheet in a docx).
func (w *walker) embeddings(n node, zr *zip.Reader) error {
	for _, f := range zr.File {
		if !strings.Contains(f.Name, "/embeddings/") || f.FileInfo().IsDir() {
			continue
		}
		if n.depth+1 > w.b.lim.MaxDepth {
			return overLimit("archives nested deeper than %d levels", w.b.lim.MaxDepth)
		}
		data, err := w.readEntry(n, f)
		if err == nil {
			err = w.entry(n, data, f.Name)
		} else {
			err = w.settle(n.child(nil, 0, f.Name), "embedded object", err)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// docx extracts paragraphs and table rows of the body, headers, footers, notes and comments.
func (w *walker) docx(n node, zr *zip.Reader) error {
	zr, err := w.openZip(n, zr)
	if err != nil {
		return err
	}
	main := findFile(zr, "word/document.xml")
	if main == nil {
		return corrupt("docx has no word/document.xml")
	}
	parts := []*zip.File{main}
	for _, pre := range []string{"word/header", "word/footer"} {
		parts = append(parts, numberedParts(zr, pre)...)
	}
	for _, name := range []string{"word/footnotes.xml", "word/endnotes.xml", "word/comments.xml"} {
		if f := findFile(zr, name); f != nil {
			parts = append(parts, f)
		}
	}
	for _, f := range parts {
		if err := w.flowText(n, f, f.Name+" "); err != nil {
			return err
		}
	}
	if err := w.embeddings(n, zr); err != nil {
		return err
	}
	return w.officeMedia(n, zr)
}

// pptx extracts the paragraphs and table rows of every slide and its notes.
func (w *walker) pptx(n node, zr *zip.Reader) error {
	zr, err := w.openZip(n, zr)
	if err != nil {
		return err
	}
	for _, f := range numberedParts(zr, "ppt/slides/slide") {
		k := strings.TrimSuffix(strings.TrimPrefix(f.Name, "ppt/slides/slide"), ".xml")
		if err := w.flowText(n, f, "slide "+k+" "); err != nil {
			return err
		}
	}
	for _, f := range numberedParts(zr, "ppt/notesSlides/notesSlide") {
		k := strings.TrimSuffix(strings.TrimPrefix(f.Name, "ppt/notesSlides/notesSlide"), ".xml")
		if err := w.flowText(n, f, "slide "+k+" notes "); err != nil {
			return err
		}
	}
	if err := w.embeddings(n, zr); err != nil {
		return err
	}
	return w.officeMedia(n, zr)
}

// flowText streams a WordprocessingML or DrawingML part: each paragraph outside tables is
// a segment ("¶N"), each outermost table row is one segment with cells joined by '\t'.
// Deleted revision text (w:delText) is included; mc:Fallback duplicates are skipped.
func (w *walker) flowText(n node, f *zip.File, locPrefix string) error {
	p, err := w.openXML(n, f)
	if err != nil {
		return err
	}
	defer p.Close()
	fl := &textFlow{w: w, n: n, prefix: locPrefix}
	paraDepth, skip := 0, 0
	inText := false
	for {
		tok, err := p.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if skip > 0 || (t.Name.Local == "Fallback" && t.Name.Space == "mc") {
				skip++
				continue
			}
			switch t.Name.Local {
			case "p":
				paraDepth++
			case "t", "delText", "instrText":
				inText = t.Name.Local != "instrText"
			case "tab":
				fl.para.WriteByte('\t')
			case "br", "cr":
				fl.para.WriteByte(' ')
			case "tbl":
				fl.startTable()
			case "tr":
				fl.startRow()
			case "tc":
				fl.startCell()
			}
		case xml.CharData:
			if inText && skip == 0 {
				fl.para.Write(t)
			}
		case xml.EndElement:
			if skip > 0 {
				skip--
				continue
			}
			switch t.Name.Local {
			case "t", "delText", "instrText":
				inText = false
			case "p":
				paraDepth--
				if paraDepth > 0 {
					fl.para.WriteByte(' ')
					continue
				}
				if err := fl.endPara(); err != nil {
					return err
				}
			case "tc":
				fl.endCell()
			case "tr":
				if err := fl.endRow(); err != nil {
					return err
				}
			case "tbl":
				fl.endTable()
			}
		}
	}
}
