package inspect

import (
	"archive/zip"
	"io"
	"path"
	"strings"

	"github.com/gabriel-vasile/mimetype"
)

// sniffLen is how many leading bytes are used to recognise a type.
const sniffLen = 8192

// typeInfo is what content sniffing learned about one part.
type typeInfo struct {
	typ  string      // short type: xlsx, pdf, txt, ...
	mime string      // MIME type by content
	enc  textEnc     // text encoding, for text types
	zip  *zip.Reader // opened central directory, for zip-based types
	cfb  *cfb        // opened compound file, for legacy Office types
}

// mimeTypes maps MIME types (checked along mimetype's hierarchy) to short type names.
var mimeTypes = map[string]string{
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         "xlsx",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   "docx",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
	"application/vnd.oasis.opendocument.text":                                   "odt",
	"application/vnd.oasis.opendocument.spreadsheet":                            "ods",
	"application/vnd.oasis.opendocument.presentation":                           "odp",
	"application/pdf":               "pdf",
	"application/zip":               "zip",
	"application/gzip":              "gz",
	"application/x-tar":             "tar",
	"application/x-bzip2":           "bz2",
	"application/x-xz":              "xz",
	"application/x-7z-compressed":   "7z",
	"application/vnd.rar":           "rar",
	"application/zstd":              "zst",
	"application/x-ole-storage":     "ole",
	"application/vnd.ms-excel":      "xls",
	"application/msword":            "doc",
	"application/vnd.ms-powerpoint": "ppt",
	"image/jpeg":                    "jpeg",
	"image/png":                     "png",
	"image/gif":                     "gif",
	"image/webp":                    "webp",
	"image/bmp":                     "bmp",
	"image/tiff":                    "tiff",
	"image/heic":                    "heic",
	"image/heif":                    "heif",
	"image/avif":                    "avif",
	"image/x-icon":                  "ico",
	"image/svg+xml":                 "svg",
	"text/html":                     "html",
	"application/xhtml+xml":         "html",
	"text/xml":                      "xml",
	"application/json":              "json",
	"application/x-ndjson":          "json",
	"text/csv":                      "csv",
	"text/tab-separated-values":     "tsv",
	"message/rfc822":                "eml",
	"text/rtf":                      "rtf",
	"text/vcard":                    "vcf",
	"text/plain":                    "txt",
}

// imageTypes carry no extractable text (no OCR here).
var imageTypes = map[string]bool{
	"jpeg": true, "png": true, "gif": true, "webp": true, "bmp": true, "tiff": true,
	"heic": true, "heif": true, "avif": true, "ico": true,
}

// textTypes are decoded as text with a detected character encoding.
var textTypes = map[string]bool{
	"txt": true, "csv": true, "tsv": true, "html": true, "xml": true, "json": true,
	"eml": true, "rtf": true, "vcf": true, "svg": true,
}

// shortType names a mimetype result, walking up its parents until a known type.
func shortType(m *mimetype.MIME) string {
	for ; m != nil; m = m.Parent() {
		base, _, _ := strings.Cut(m.String(), ";")
		if t, ok := mimeTypes[base]; ok {
			return t
		}
	}
	return "bin"
}

// detectType recognises the real type of a part by its content, never by its name.
func detectType(r io.ReaderAt, size int64, head []byte) typeInfo {
	m := mimetype.Detect(head)
	ti := typeInfo{typ: shortType(m), mime: m.String()}
	switch {
	case ti.typ == "odt" || ti.typ == "ods" || ti.typ == "odp":
		if zr, err := zip.NewReader(r, size); err == nil {
			ti.zip = zr
		}
	case ti.typ == "zip" || ti.typ == "xlsx" || ti.typ == "docx" || ti.typ == "pptx":
		zr, err := zip.NewReader(r, size)
		if err != nil {
			return ti // unreadable directory: the extractor reports it
		}
		ti.zip = zr
		if t := ooxmlKind(zr); t != "" {
			ti.typ = t
			ti.mime = ooxmlMIME(t)
		} else if ti.typ != "zip" {
			ti.typ, ti.mime = "zip", "application/zip"
		}
	case ti.typ == "ole" || ti.typ == "xls" || ti.typ == "doc" || ti.typ == "ppt":
		c, err := openCFB(r, size)
		if err != nil {
			return ti
		}
		ti.cfb = c
		ti.typ = c.kind()
	case textTypes[ti.typ] || ti.typ == "bin":
		enc, ok := sniffEncoding(head)
		if !ok {
			ti.typ, ti.mime = "bin", "application/octet-stream"
			return ti
		}
		ti.enc = enc
		if enc != encUTF8 {
			// Look again at the decoded head to tell csv, html, json, ... apart.
			m = mimetype.Detect(decodeHead(head, enc))
			ti.typ = shortType(m)
			if ti.typ == "bin" {
				ti.typ = "txt"
			}
			base, _, _ := strings.Cut(m.String(), ";")
			ti.mime = base + "; charset=" + enc.String()
		} else if ti.typ == "bin" {
			ti.typ, ti.mime = "txt", "text/plain; charset=utf-8"
		}
	}
	return ti
}

// ooxmlKind tells xlsx, docx and pptx apart by their main part names.
func ooxmlKind(zr *zip.Reader) string {
	var ct bool
	kind := ""
	for _, f := range zr.File {
		switch f.Name {
		case "[Content_Types].xml":
			ct = true
		case "xl/workbook.xml":
			kind = "xlsx"
		case "word/document.xml":
			kind = "docx"
		case "ppt/presentation.xml":
			kind = "pptx"
		}
	}
	if !ct {
		return ""
	}
	return kind
}

func ooxmlMIME(t string) string {
	for m, s := range mimeTypes {
		if s == t {
			return m
		}
	}
	return "application/octet-stream"
}

// extTypes lists, for declared file extensions, the real types that are not a disguise.
var extTypes = map[string][]string{
	"xlsx": {"xlsx", "ooxml"}, "xlsm": {"xlsx", "ooxml"}, "xls": {"xls", "xlsx", "ooxml", "html", "xml", "csv", "tsv", "txt"},
	"docx": {"docx", "ooxml"}, "docm": {"docx", "ooxml"}, "doc": {"doc", "docx", "ooxml", "rtf", "html", "xml"},
	"pptx": {"pptx", "ooxml"}, "ppt": {"ppt", "pptx"},
	"pdf": {"pdf"}, "odt": {"odt"}, "ods": {"ods"}, "odp": {"odp"},
	"jar": {"zip"}, "apk": {"zip"}, "epub": {"zip"}, "ofd": {"zip"}, "wps": {"doc", "docx"},
	"et": {"xls", "xlsx"}, "dps": {"ppt", "pptx"},
	"zip": {"zip"}, "gz": {"gz"}, "tgz": {"gz"}, "tar": {"tar"}, "bz2": {"bz2"}, "xz": {"xz"},
	"7z": {"7z"}, "rar": {"rar"}, "zst": {"zst"},
	"csv": {"csv", "tsv", "txt"}, "tsv": {"tsv", "csv", "txt"},
	"txt": {"txt", "csv", "tsv", "json", "xml", "html"}, "log": {"txt", "csv", "tsv", "json", "xml"},
	"md": {"txt", "html"}, "json": {"json", "txt"}, "xml": {"xml", "html", "svg", "txt"},
	"html": {"html", "xml", "txt"}, "htm": {"html", "xml", "txt"},
	"eml": {"eml", "txt"}, "rtf": {"rtf"}, "vcf": {"vcf", "txt"}, "svg": {"svg", "xml"},
	"jpg": {"jpeg"}, "jpeg": {"jpeg"}, "png": {"png"}, "gif": {"gif"}, "webp": {"webp"},
	"bmp": {"bmp"}, "tif": {"tiff"}, "tiff": {"tiff"}, "heic": {"heic", "heif"}, "ico": {"ico"},
	"avif": {"avif"},
}

// disguise reports whether the declared name's extension disagrees with the real type,
// and the extension it claims. Unknown extensions only disguise document-like content.
func disguise(name, typ string) (string, bool) {
	ext := strings.ToLower(strings.TrimPrefix(path.Ext(path.Base(strings.ReplaceAll(name, "\\", "/"))), "."))
	if ext == "" {
		return "", false
	}
	want, known := extTypes[ext]
	if !known {
		// A .dat or .bak holding text or opaque bytes is normal; holding a spreadsheet is not.
		return ext, !(textTypes[typ] || typ == "bin")
	}
	for _, t := range want {
		if t == typ {
			return ext, false
		}
	}
	// An image under another image extension is a common, harmless mislabel.
	if imageTypes[typ] && imageTypes[want[0]] {
		return ext, false
	}
	return ext, true
}
