package inspect

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// What a PDF carries besides its pages, and is read too: a customer list attached to a harmless-looking
// PDF, or pasted into its document properties, is not "just a PDF".
//   - the document information dictionary (/Info: Title, Author, Subject, Keywords, custom keys);
//   - the XMP metadata stream (/Metadata in the catalog);
//   - embedded files (the catalog's /Names /EmbeddedFiles tree) and file attachment annotations,
//     each walked as a nested part (a zip, an xlsx, a CSV inside the PDF).

// maxPDFFiles bounds how many embedded files of one PDF are opened.
const maxPDFFiles = 256

// pdfExtras reads the metadata and embedded files of a parsed PDF.
func (w *walker) pdfExtras(n node, x *model.XRefTable, pages []types.Dict) error {
	if err := w.pdfInfo(n, x); err != nil {
		return err
	}
	cat, err := x.Catalog()
	if err != nil || cat == nil {
		return nil
	}
	if sd, _, err := x.DereferenceStreamDict(cat["Metadata"]); err == nil && sd != nil {
		if err := w.decodeStream(sd); err != nil {
			return err
		}
		if err := w.emitLines(n, "XMP metadata", xmpText(sd.Content)); err != nil {
			return err
		}
	}
	specs := map[string]types.Dict{} // name → file specification
	if names, err := x.DereferenceDict(cat["Names"]); err == nil && names != nil {
		pdfNameTree(x, names["EmbeddedFiles"], specs, 0)
	}
	for p, d := range pages {
		annots, _ := x.DereferenceArray(d["Annots"])
		for i, a := range annots {
			ad, err := x.DereferenceDict(a)
			if err != nil || ad == nil || ad.NameEntry("Subtype") == nil || *ad.NameEntry("Subtype") != "FileAttachment" {
				continue
			}
			if fs, err := x.DereferenceDict(ad["FS"]); err == nil && fs != nil {
				specs["page "+strconv.Itoa(p+1)+" attachment "+strconv.Itoa(i+1)] = fs
			}
		}
	}
	keys := make([]string, 0, len(specs))
	for k := range specs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > maxPDFFiles {
		return overLimit("PDF embeds more than %d files", maxPDFFiles)
	}
	if len(keys) > 0 && n.depth+1 > w.b.lim.MaxDepth {
		return overLimit("files nested deeper than %d levels", w.b.lim.MaxDepth)
	}
	for _, k := range keys {
		if err := w.pdfFile(n, x, k, specs[k]); err != nil {
			return err
		}
	}
	return nil
}

// pdfInfo emits the string values of the document information dictionary.
func (w *walker) pdfInfo(n node, x *model.XRefTable) error {
	if x.Info == nil {
		return nil
	}
	info, err := x.DereferenceDict(*x.Info)
	if err != nil || info == nil {
		return nil
	}
	keys := make([]string, 0, len(info))
	for k := range info {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s, err := x.DereferenceStringOrHexLiteral(info[k], model.V10, nil)
		if err != nil || strings.TrimSpace(s) == "" {
			continue
		}
		if err := w.emitLines(n, "document properties /"+k, s); err != nil {
			return err
		}
	}
	return nil
}

// pdfNameTree collects the leaves of a name tree (file specifications by name), bounded in depth and size.
func pdfNameTree(x *model.XRefTable, o types.Object, out map[string]types.Dict, depth int) {
	d, err := x.DereferenceDict(o)
	if err != nil || d == nil || depth > 16 || len(out) > maxPDFFiles {
		return
	}
	names, _ := x.DereferenceArray(d["Names"])
	for i := 0; i+1 < len(names); i += 2 {
		key, _ := x.DereferenceStringOrHexLiteral(names[i], model.V10, nil)
		if fs, err := x.DereferenceDict(names[i+1]); err == nil && fs != nil {
			out["embedded "+key+" #"+strconv.Itoa(len(out)+1)] = fs
		}
	}
	kids, _ := x.DereferenceArray(d["Kids"])
	for _, k := range kids {
		pdfNameTree(x, k, out, depth+1)
	}
}

// pdfFile decodes one embedded file (within the uncompressed budget) and walks it as a nested part.
func (w *walker) pdfFile(n node, x *model.XRefTable, key string, fs types.Dict) error {
	name := key
	for _, k := range []string{"UF", "F"} {
		if s, err := x.DereferenceStringOrHexLiteral(fs[k], model.V10, nil); err == nil && s != "" {
			name = s
			break
		}
	}
	ef, err := x.DereferenceDict(fs["EF"])
	if err != nil || ef == nil {
		return nil // a reference to an outside file: nothing embedded
	}
	sd, _, err := x.DereferenceStreamDict(ef["F"])
	if err != nil || sd == nil {
		return w.settle(n.child(nil, 0, name), "embedded file", corrupt("embedded file %s unreadable: %v", name, err))
	}
	if err := w.decodeStream(sd); err != nil {
		if isFatal(err) {
			return err
		}
		return w.settle(n.child(nil, 0, name), "embedded file", corrupt("embedded file %s cannot be decoded: %v", name, err))
	}
	return w.entry(n, sd.Content, name)
}

var xmlTag = regexp.MustCompile(`<[^>]*>`)

// xmpText is the text of an XMP packet without its markup, one value per line.
func xmpText(b []byte) string {
	var lines []string
	for _, l := range strings.Split(xmlTag.ReplaceAllString(string(b), "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}
