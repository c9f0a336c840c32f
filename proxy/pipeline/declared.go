package pipeline

import (
	"encoding/json"
	"strings"

	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/proxy/upload"
)

// declaredHashes finds hashes of the original file that an upload declares instead of (or besides)
// sending it: Baidu Netdisk's block_list / content-md5 / slice-md5, Aliyun Drive's content_hash, etc.
func declaredHashes(b *upload.Body, f *Flow) (blockList []string, md5s []string) {
	look := func(name, val string) {
		switch strings.ToLower(name) {
		case "block_list":
			var list []string
			if json.Unmarshal([]byte(val), &list) == nil {
				blockList = list
			}
		case "content-md5", "content_md5", "md5", "filemd5", "file_md5":
			md5s = append(md5s, strings.ToLower(strings.TrimSpace(val)))
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
	for _, h := range []string{"Content-MD5", "X-Content-MD5"} {
		if v := f.Req.Header.Get(h); v != "" {
			look("content-md5", v)
		}
	}
	return blockList, md5s
}

// declaredFile returns a registered sensitive file recognised only by the hashes an upload declares
// (a netdisk "rapid upload" sends no bytes at all), or nil. Its part holds the declaration itself, so an
// approval grant is keyed to exactly that declaration.
func declaredFile(prints inspect.FingerprintIndex, f *Flow) *File {
	if prints == nil || prints.Len() == 0 {
		return nil
	}
	blocks, md5s := declaredHashes(f.Body, f)
	name, ok := "", false
	if len(blocks) > 0 {
		name, ok = prints.LookupBlockList(blocks)
	}
	for _, m := range md5s {
		if !ok {
			name, ok = prints.LookupMD5(m)
		}
	}
	if !ok {
		return nil
	}
	decl := "declared block_list=" + strings.Join(blocks, ",") + " md5=" + strings.Join(md5s, ",")
	part := &upload.Part{Kind: upload.KindFile, FileName: name, Data: upload.SpoolBytes([]byte(decl))}
	return &File{Part: part, Name: name, Declared: true, Result: &inspect.Result{Type: "declared", SHA256: part.SHA256(), Size: part.Size(),
		Findings: []inspect.Finding{{Kind: inspect.KindFingerprint, Count: 1, Detail: "declared hash matches registered file " + name}}}}
}
