package upload

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// Recognisers of the slice protocols of netdisks and object stores, as their open-source clients use them
// (OpenList/AList drivers, BaiduPCS-Go, rclone, the Aliyun OSS, Tencent COS, Baidu BOS and Qiniu SDKs).

// baiduSlice: Baidu Netdisk, 一刻相册 and TeraBox send each slice as
// POST …/rest/2.0/pcs/superfile2?method=upload&uploadid=…&partseq=n (0-based) with one multipart file part.
func baiduSlice(r *http.Request, b *Body) *Slice {
	if !strings.HasSuffix(r.URL.Path, "/rest/2.0/pcs/superfile2") {
		return nil
	}
	q := r.URL.Query()
	id := q.Get("uploadid")
	seq, err := strconv.Atoi(q.Get("partseq"))
	if id == "" || err != nil || seq < 0 {
		return nil
	}
	return &Slice{Protocol: "baidu", Key: "baidu:" + id, Index: seq, Offset: -1, Total: -1, Data: b.onlyFile(),
		Name: path.Base(q.Get("path")), reply: baiduReply}
}

// baiduPrecreate: every Baidu upload opens with precreate (path, size, block_list of slice MD5s,
// content-md5; BaiduPCS-Go also sends the first bytes in data_content). It declares the file's hashes, and
// Baidu completes a "rapid upload" from them alone, so it must not reach Baidu before the file is judged:
// Sluice holds it as the session's opening request and answers with an upload id of its own (never
// "rapid"), which it maps to Baidu's when it replays the session.
func baiduPrecreate(r *http.Request, b *Body) *Slice {
	p := r.URL.Path
	if !strings.HasSuffix(p, "/api/precreate") && !strings.HasSuffix(p, "/file/v1/precreate") &&
		!(strings.HasSuffix(p, "/xpan/file") && r.URL.Query().Get("method") == "precreate") {
		return nil
	}
	var list []string
	json.Unmarshal([]byte(b.field("block_list")), &list)
	id := b.field("uploadid")
	if id == "" {
		var raw [12]byte
		rand.Read(raw[:])
		id = "N1-sluice" + hex.EncodeToString(raw[:])
	}
	return &Slice{Protocol: "baidu", Key: "baidu:" + id, ID: "start", Index: -1, Offset: -1, Total: -1, Data: SpoolBytes(nil),
		Name: path.Base(b.field("path")), Parts: 0, reply: func(sl *Slice, _ *Session, r *http.Request) *http.Response {
			seqs := make([]int, max(len(list), 1))
			for i := range seqs {
				seqs[i] = i
			}
			return respond(r, 200, "application/json", jsonBody(map[string]any{"errno": 0, "return_type": 1, "path": b.field("path"),
				"uploadid": id, "block_list": seqs, "request_id": randomDigits(18)}))
		}}
}

// baiduCommit: the create call that joins the slices (…/api/create, …/xpan/file?method=create,
// /youai/file/v1/create) names the uploadid and the slices' block_list.
func baiduCommit(r *http.Request, b *Body) *Slice {
	p := r.URL.Path
	create := strings.HasSuffix(p, "/api/create") || strings.HasSuffix(p, "/file/v1/create") ||
		strings.HasSuffix(p, "/xpan/file") && r.URL.Query().Get("method") == "create"
	id := b.field("uploadid")
	if !create || id == "" {
		return nil
	}
	var list []string
	json.Unmarshal([]byte(b.field("block_list")), &list)
	total, err := strconv.ParseInt(b.field("size"), 10, 64)
	if err != nil {
		total = -1
	}
	return &Slice{Protocol: "baidu", Key: "baidu:" + id, Index: -1, Offset: -1, Total: total, Parts: len(list), Final: true, Commit: true,
		Name: path.Base(b.field("path"))}
}

// multipartSlice: S3 and every store that copies it (Aliyun OSS — also behind 阿里云盘, 夸克, UC, 115,
// PikPak — Tencent COS, Baidu BOS, 迅雷, 123云盘's presigned parts): PUT …?partNumber=n&uploadId=…,
// then POST …?uploadId=… with the part list (XML; BOS sends JSON), or DELETE …?uploadId=… to abandon.
func multipartSlice(r *http.Request, b *Body) *Slice {
	q := r.URL.Query()
	id := first(q.Get("uploadId"), q.Get("uploadid"))
	if id == "" {
		return nil
	}
	pn := first(q.Get("partNumber"), q.Get("partnumber"))
	switch {
	case r.Method == http.MethodPut && pn != "":
		n, err := strconv.Atoi(pn)
		if err != nil || n < 1 {
			return nil
		}
		return &Slice{Protocol: "multipart", Key: "mp:" + id, Index: n, Offset: -1, Total: -1, Data: b.Decoded,
			Name: path.Base(r.URL.Path), reply: multipartReply}
	case r.Method == http.MethodPost && pn == "":
		return &Slice{Protocol: "multipart", Key: "mp:" + id, Index: -1, Offset: -1, Total: -1, Final: true, Commit: true,
			Order: partNumbers(b), Name: path.Base(r.URL.Path)}
	case r.Method == http.MethodDelete:
		return &Slice{Protocol: "multipart", Key: "mp:" + id, Abort: true}
	}
	return nil
}

var xmlPartNumber = regexp.MustCompile(`<PartNumber>\s*(\d+)\s*</PartNumber>`)
var jsonPartNumber = regexp.MustCompile(`"part_?[Nn]umber"\s*:\s*"?(\d+)`)

// partNumbers lists the part numbers a complete call names, in its order.
func partNumbers(b *Body) []string {
	data, err := b.Decoded.Bytes(4 << 20)
	if err != nil {
		return nil
	}
	var out []string
	for _, re := range []*regexp.Regexp{xmlPartNumber, jsonPartNumber} {
		for _, m := range re.FindAllSubmatch(data, -1) {
			out = append(out, string(m[1]))
		}
		if len(out) > 0 {
			break
		}
	}
	return out
}

// azureSlice: Azure Blob block uploads (rclone, ChatGPT's file storage): PUT …?comp=block&blockid=…,
// then PUT …?comp=blocklist with the block ids in file order.
func azureSlice(r *http.Request, b *Body) *Slice {
	q := r.URL.Query()
	key := "azure:" + r.URL.Host + r.URL.Path
	switch {
	case r.Method == http.MethodPut && q.Get("comp") == "block" && q.Get("blockid") != "":
		return &Slice{Protocol: "azure", Key: key, Index: -1, Offset: -1, Total: -1, ID: q.Get("blockid"), Data: b.Decoded,
			Name: path.Base(r.URL.Path), reply: azureReply}
	case r.Method == http.MethodPut && q.Get("comp") == "blocklist":
		var list struct {
			IDs []string `xml:",any"`
		}
		data, _ := b.Decoded.Bytes(4 << 20)
		xml.Unmarshal(data, &list)
		return &Slice{Protocol: "azure", Key: key, Index: -1, Offset: -1, Total: -1, Final: true, Commit: true, Order: list.IDs,
			Name: path.Base(r.URL.Path)}
	}
	return nil
}

var qiniuPart = regexp.MustCompile(`^/buckets/[^/]+/objects/[^/]+/uploads/([^/]+)(?:/(\d+))?$`)

// qiniuSlice: Qiniu's resumable v2 (蓝奏云优享 and other apps on Qiniu): PUT …/uploads/<id>/<n>, then
// POST …/uploads/<id> with the parts as JSON, or DELETE …/uploads/<id>.
func qiniuSlice(r *http.Request, b *Body) *Slice {
	m := qiniuPart.FindStringSubmatch(r.URL.Path)
	if m == nil {
		return nil
	}
	key := "qiniu:" + m[1]
	switch {
	case r.Method == http.MethodPut && m[2] != "":
		n, _ := strconv.Atoi(m[2])
		return &Slice{Protocol: "qiniu", Key: key, Index: n, Offset: -1, Total: -1, Data: b.Decoded, reply: qiniuReply}
	case r.Method == http.MethodPost && m[2] == "":
		var done struct {
			Fname string `json:"fname"`
			Fnmae string `json:"fnmae"` // sic: what 蓝奏云优享's client sends
		}
		data, _ := b.Decoded.Bytes(4 << 20)
		json.Unmarshal(data, &done)
		return &Slice{Protocol: "qiniu", Key: key, Index: -1, Offset: -1, Total: -1, Final: true, Commit: true, Order: partNumbers(b),
			Name: first(done.Fname, done.Fnmae)}
	case r.Method == http.MethodDelete:
		return &Slice{Protocol: "qiniu", Key: key, Abort: true}
	}
	return nil
}

// qiniuV1Slice: Qiniu's resumable v1 (mkblk, bput, then mkfile naming each block's ctx) sends blocks in
// parallel under contexts the server makes up, with no upload id tying them to one file; Sluice cannot hold
// them as one file, so the blocks are closed. (v2, above, and the form upload are judged whole.)
func qiniuV1Slice(r *http.Request, b *Body) *Slice {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/mkblk/") && !strings.HasPrefix(r.URL.Path, "/bput/") {
		return nil
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "UpToken ") && !strings.HasSuffix(r.URL.Hostname(), "qiniup.com") {
		return nil
	}
	return closed("qiniu-v1", "七牛旧版分块上传（mkblk/bput）的块之间没有上传编号，Sluice 无法把它们拼成一个文件判定",
		"Qiniu's v1 block upload (mkblk/bput) has no upload id tying its blocks to one file, so Sluice cannot judge them as one file")
}

// pan123Slice: 123云盘's open platform: POST …/upload/v2/file/slice with preuploadID, sliceNo (1-based) and
// the bytes in a multipart part named slice; then POST …/upload/v2/file/upload_complete {preuploadID}.
func pan123Slice(r *http.Request, b *Body) *Slice {
	switch {
	case strings.HasSuffix(r.URL.Path, "/upload/v2/file/slice"):
		id := b.field("preuploadID")
		n, err := strconv.Atoi(b.field("sliceNo"))
		if id == "" || err != nil || n < 1 {
			return nil
		}
		return &Slice{Protocol: "pan123", Key: "pan123:" + id, Index: n, Offset: -1, Total: -1, Data: b.onlyFile(), reply: pan123Reply}
	case strings.HasSuffix(r.URL.Path, "/upload/v2/file/upload_complete"):
		var done struct {
			PreuploadID string `json:"preuploadID"`
		}
		data, _ := b.Decoded.Bytes(1 << 20)
		if json.Unmarshal(data, &done) != nil || done.PreuploadID == "" {
			return nil
		}
		return &Slice{Protocol: "pan123", Key: "pan123:" + done.PreuploadID, Index: -1, Offset: -1, Total: -1, Final: true, Commit: true}
	}
	return nil
}

// weiyunSlice: 腾讯微云 sends pieces over parallel channels whose next piece the server's answer names;
// Sluice cannot answer for it, so such pieces are closed.
func weiyunSlice(r *http.Request, b *Body) *Slice {
	if !strings.HasSuffix(r.URL.Host, "weiyun.com") || r.URL.Query().Get("cmd") != "247121" {
		return nil
	}
	return closed("weiyun", "腾讯微云的分片上传由服务器逐片指定下一片，Sluice 无法代为应答，无法在整份文件到齐前判定",
		"Weiyun's server names each next piece, so Sluice cannot answer for it nor judge the whole file first")
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
