package pipeline

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/proxy/upload"
)

// declaration is what an upload says about the original file instead of (or besides) sending it.
type declaration struct {
	blockList []string // Baidu's MD5 of each slice
	md5s      []string // whole-file MD5s
	others    []string // other whole-file hashes ("sha1=…", "content_hash=…"), as name=value
}

func (d declaration) empty() bool { return len(d.blockList)+len(d.md5s)+len(d.others) == 0 }

// canonical names the declared hashes in a fixed order, so the same file declared again (with a new
// task id or timestamp) is the same declaration: an approval grant is keyed to it.
func (d declaration) canonical() string {
	others := append([]string(nil), d.others...)
	md5s := append([]string(nil), d.md5s...)
	sort.Strings(others)
	sort.Strings(md5s)
	return "declared block_list=" + strings.Join(d.blockList, ",") + " md5=" + strings.Join(md5s, ",") + " " + strings.Join(others, " ")
}

// declaredMD5Names and declaredHashNames are the field names clients use for a hash of the whole file:
// Baidu's block_list/content-md5, 阿里云盘's content_hash, 夸克/UC's md5+sha1, 123云盘's etag, 迅雷's gcid.
var (
	declaredMD5Names  = map[string]bool{"content-md5": true, "content_md5": true, "contentmd5": true, "md5": true, "filemd5": true, "file_md5": true, "etag": true}
	declaredHashNames = map[string]bool{"content_hash": true, "sha1": true, "file_sha1": true, "filesha1": true, "gcid": true, "fileid_sha1": true}
)

// declaredHashes reads the hashes of the original file that an upload declares, from its query, form
// fields, JSON (at any depth) and Content-MD5-style headers (headers only for the registered-file lookup:
// an object store's Content-MD5 is the hash of that request's own body).
func declaredHashes(b *upload.Body, f *Flow, headers bool) declaration {
	var d declaration
	look := func(name, val string) {
		name, val = strings.ToLower(name), strings.TrimSpace(val)
		switch {
		case name == "block_list":
			var list []string
			if json.Unmarshal([]byte(val), &list) == nil && len(list) > 0 {
				d.blockList = list
			}
		case declaredMD5Names[name] && isHex(val, 32):
			d.md5s = append(d.md5s, strings.ToLower(val))
		case declaredHashNames[name] && len(val) >= 16:
			d.others = append(d.others, name+"="+strings.ToLower(val))
		}
	}
	for k, vs := range b.Query {
		for _, v := range vs {
			look(k, v)
		}
	}
	for _, p := range b.Fields() {
		if data, err := p.Data.Bytes(1 << 20); err == nil {
			look(p.Field, string(data))
		}
	}
	if b.Format == "json" || strings.Contains(b.ContentType, "json") {
		if data, err := b.Decoded.Bytes(1 << 20); err == nil {
			var v any
			if json.Unmarshal(data, &v) == nil {
				walkJSON(v, look, 0)
			}
		}
	}
	if headers {
		for _, h := range []string{"Content-MD5", "X-Content-MD5"} {
			if v := f.Req.Header.Get(h); v != "" {
				look("content-md5", v)
			}
		}
	}
	return d
}

// walkJSON calls look for every string (or number) value under a key, to a bounded depth.
func walkJSON(v any, look func(name, val string), depth int) {
	if depth > 8 {
		return
	}
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			switch y := x.(type) {
			case string:
				look(k, y)
			case []any:
				if b, err := json.Marshal(y); err == nil && k == "block_list" {
					look(k, string(b))
				}
			}
			walkJSON(x, look, depth+1)
		}
	case []any:
		for _, x := range t {
			walkJSON(x, look, depth+1)
		}
	}
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

// declaredFile returns the file an upload declares by hash instead of sending it (a netdisk "rapid
// upload" sends no bytes at all), or nil. A registered sensitive file is recognised by its hashes; to a
// personal channel, a declaration of any other file with no bytes of it gets the "can't inspect"
// verdict, since the site may complete the upload from the hashes alone. Its part holds the canonical
// declaration, so an approval grant is keyed to exactly that declaration.
func declaredFile(prints inspect.FingerprintIndex, f *Flow) *File {
	if f.assembled != nil { // a sliced file's commit: the whole file has been judged
		return nil
	}
	withHeaders := declaredHashes(f.Body, f, true)
	if withHeaders.empty() {
		return nil
	}
	name, ok := "", false
	if prints != nil && prints.Len() > 0 {
		if len(withHeaders.blockList) > 0 {
			name, ok = prints.LookupBlockList(withHeaders.blockList)
		}
		for _, m := range withHeaders.md5s {
			if !ok {
				name, ok = prints.LookupMD5(m)
			}
		}
	}
	if ok {
		return declarationFile(withHeaders, name, inspect.Finding{Kind: inspect.KindFingerprint, Count: 1, Detail: "declared hash matches registered file " + name})
	}
	d := declaredHashes(f.Body, f, false)
	if d.empty() || !f.Dest.Personal() || len(f.FilesOnly()) > 0 {
		return nil
	}
	return declarationFile(d, declaredName(f), inspect.Finding{Kind: inspect.KindUninspectable, Count: 1,
		Detail: "the upload declares the file's hash without sending it: the site may complete it from the hash alone, so Sluice cannot see what leaves"})
}

// registeredDeclaration reports whether the upload declares the hashes of a registered sensitive file.
func registeredDeclaration(prints inspect.FingerprintIndex, f *Flow) bool {
	x := declaredFile(prints, f)
	return x != nil && x.Result.Findings[0].Kind == inspect.KindFingerprint
}

func declarationFile(d declaration, name string, finding inspect.Finding) *File {
	part := &upload.Part{Kind: upload.KindFile, FileName: name, Data: upload.SpoolBytes([]byte(d.canonical()))}
	return &File{Part: part, Name: name, Declared: true, Result: &inspect.Result{Type: "declared", SHA256: part.SHA256(), Size: part.Size(),
		Findings: []inspect.Finding{finding}}}
}

// declaredName is the file name a declaration gives (path, name, file_name, fileName, filename), or a placeholder.
func declaredName(f *Flow) string {
	for _, k := range []string{"path", "name", "file_name", "fileName", "filename"} {
		if v := f.Body.Query.Get(k); v != "" {
			return baseName(v)
		}
	}
	for _, p := range f.Body.Fields() {
		switch strings.ToLower(p.Field) {
		case "path", "name", "file_name", "filename", "server_filename":
			if data, err := p.Data.Bytes(4096); err == nil && len(data) > 0 {
				return baseName(string(data))
			}
		}
	}
	if data, err := f.Body.Decoded.Bytes(1 << 20); err == nil {
		var m map[string]any
		if json.Unmarshal(data, &m) == nil {
			for _, k := range []string{"name", "file_name", "fileName", "filename", "path"} {
				if s, ok := m[k].(string); ok && s != "" {
					return baseName(s)
				}
			}
		}
	}
	return "(declared file)"
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, "/\\"); i >= 0 && i+1 < len(p) {
		return p[i+1:]
	}
	return p
}
