package daemon

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// The upload code of real clients, replayed request by request: each builds its requests and reads the
// answers as the named client does (sources in the comments), through the proxy. A client that gets an
// answer it cannot use fails the test, as the real client would fail the upload.

// runner sends one client's requests through the proxy and stops at the first answer the client would
// not go on from (a refusal by Sluice, or an error from the site).
type runner struct {
	t       *testing.T
	e       *testEnv
	last    *http.Response
	body    []byte
	stopped bool
	mu      sync.Mutex
}

// do sends one request; ok lists the statuses the client goes on from (default: any 2xx).
func (r *runner) do(method, u string, hdr map[string]string, body []byte, ok ...int) bool {
	if r.isStopped() {
		return false
	}
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	req.Header.Set("Sec-Fetch-Mode", "cors")
	resp, err := r.e.client.Do(req)
	if err != nil {
		r.t.Errorf("%s %s: %v", method, u, err)
		r.stop(nil, nil)
		return false
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	good := resp.StatusCode/100 == 2
	for _, s := range ok {
		good = good || resp.StatusCode == s
	}
	r.mu.Lock()
	r.last, r.body = resp, data
	r.mu.Unlock()
	if !good {
		r.stop(resp, data)
	}
	return good
}

func (r *runner) stop(resp *http.Response, data []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	if resp != nil {
		r.last, r.body = resp, data
	}
}

func (r *runner) isStopped() bool { r.mu.Lock(); defer r.mu.Unlock(); return r.stopped }

// fail records that the client could not use an answer (the upload would break in the real client).
func (r *runner) fail(format string, args ...any) {
	r.t.Errorf("client failed: "+format, args...)
	r.stop(nil, nil)
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

// chunks splits file into pieces of n bytes.
func chunks(file []byte, n int) [][]byte {
	var out [][]byte
	for i := 0; i < len(file); i += n {
		out = append(out, file[i:min(i+n, len(file))])
	}
	return out
}

// multipartOf builds a multipart body of fields (in order) and one file part.
func multipartOf(fields [][2]string, fileField, fileName string, data []byte) ([]byte, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		mw.WriteField(f[0], f[1])
	}
	w, _ := mw.CreateFormFile(fileField, fileName)
	w.Write(data)
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

const sliceSize = 64 << 10 // the clients' slice sizes, scaled down so a test file has several

var form = map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
var jsonType = map[string]string{"Content-Type": "application/json"}

// baiduClient: OpenList drivers/baidu_netdisk and BaiduPCS-Go — precreate, superfile2 per slice (the
// answer's md5 must equal the slice's), create with the answered md5s.
func baiduClient(r *runner, file []byte, name string) string {
	parts := chunks(file, sliceSize)
	var md5s []string
	for _, p := range parts {
		md5s = append(md5s, md5Hex(p))
	}
	dst := "/apps/sluice/" + name
	v := url.Values{"path": {dst}, "size": {strconv.Itoa(len(file))}, "isdir": {"0"}, "autoinit": {"1"}, "rtype": {"3"},
		"block_list": {jsonOf(md5s)}, "content-md5": {md5Hex(file)}, "slice-md5": {md5Hex(file[:min(len(file), 256<<10)])}}
	if !r.do("POST", "https://pan.baidu.com/api/precreate", form, []byte(v.Encode())) {
		return dst
	}
	var pre struct {
		UploadID  string `json:"uploadid"`
		BlockList []int  `json:"block_list"`
	}
	if json.Unmarshal(r.body, &pre); pre.UploadID == "" || len(pre.BlockList) != len(parts) {
		r.fail("precreate answered %s", r.body)
		return dst
	}
	got := make([]string, len(parts))
	for _, seq := range pre.BlockList {
		body, ct := multipartOf(nil, "file", name, parts[seq])
		q := url.Values{"method": {"upload"}, "type": {"tmpfile"}, "path": {dst}, "uploadid": {pre.UploadID}, "partseq": {strconv.Itoa(seq)}}
		if !r.do("POST", "https://d.pcs.baidu.com/rest/2.0/pcs/superfile2?"+q.Encode(), map[string]string{"Content-Type": ct}, body) {
			return dst
		}
		var ans struct {
			MD5 string `json:"md5"`
		}
		if json.Unmarshal(r.body, &ans); ans.MD5 != md5s[seq] {
			r.fail("superfile2 answered md5 %q for slice %d", ans.MD5, seq)
			return dst
		}
		got[seq] = ans.MD5
	}
	v = url.Values{"path": {dst}, "size": {strconv.Itoa(len(file))}, "isdir": {"0"}, "rtype": {"3"}, "uploadid": {pre.UploadID}, "block_list": {jsonOf(got)}}
	if r.do("POST", "https://pan.baidu.com/api/create", form, []byte(v.Encode())) {
		var ans struct {
			Errno int `json:"errno"`
		}
		if json.Unmarshal(r.body, &ans); ans.Errno != 0 {
			r.fail("create answered %s", r.body)
		}
	}
	return dst
}

// aliyunClient: OpenList drivers/aliyundrive — createWithFolders (no rapid upload), PUT each part to its
// presigned OSS URL (raw, no Content-Type), then /v2/file/complete naming the upload id.
func aliyunClient(r *runner, file []byte, name string) string {
	parts := chunks(file, sliceSize)
	var infos []map[string]int
	for i := range parts {
		infos = append(infos, map[string]int{"part_number": i + 1})
	}
	req := map[string]any{"check_name_mode": "overwrite", "drive_id": "9600002", "name": name, "parent_file_id": "root",
		"part_info_list": infos, "size": len(file), "type": "file", "content_hash_name": "none", "proof_version": "v1"}
	if !r.do("POST", "https://api.aliyundrive.com/adrive/v2/file/createWithFolders", jsonType, []byte(jsonOf(req))) {
		return ""
	}
	var created struct {
		FileID   string `json:"file_id"`
		UploadID string `json:"upload_id"`
		Parts    []struct {
			UploadURL string `json:"upload_url"`
		} `json:"part_info_list"`
	}
	if json.Unmarshal(r.body, &created); len(created.Parts) != len(parts) {
		r.fail("createWithFolders answered %s", r.body)
		return ""
	}
	for i, p := range created.Parts {
		if !r.do("PUT", p.UploadURL, nil, parts[i]) {
			return created.FileID
		}
	}
	r.do("POST", "https://api.aliyundrive.com/v2/file/complete", jsonType, []byte(jsonOf(map[string]string{"drive_id": "9600002", "file_id": created.FileID, "upload_id": created.UploadID})))
	return created.FileID
}

// s3Client: rclone backend/s3 (AWS SDK wire format) — CreateMultipartUpload, parts uploaded four at a
// time (so they finish out of order), CompleteMultipartUpload with the answered ETags. On an OSS host
// the same requests are what the Aliyun OSS SDK (夸克, UC, 115 data hosts) sends.
func s3Client(host string) func(r *runner, file []byte, name string) string {
	return func(r *runner, file []byte, name string) string {
		base := "https://" + host + "/sluice/" + url.PathEscape(name)
		if !r.do("POST", base+"?uploads=", nil, nil) {
			return ""
		}
		id := between(string(r.body), "<UploadId>", "</UploadId>")
		parts := chunks(file, sliceSize)
		etags := make([]string, len(parts))
		var wg sync.WaitGroup
		sem := make(chan struct{}, 4)
		for i, p := range parts {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				u := fmt.Sprintf("%s?partNumber=%d&uploadId=%s", base, i+1, id)
				if r.do("PUT", u, map[string]string{"Content-Type": "application/octet-stream", "Content-MD5": base64md5(p)}, p) {
					r.mu.Lock()
					etags[i] = r.last.Header.Get("ETag")
					r.mu.Unlock()
					if !strings.EqualFold(strings.Trim(etags[i], `"`), md5Hex(p)) {
						r.fail("part %d answered ETag %q", i+1, etags[i])
					}
				}
			}()
		}
		wg.Wait()
		var x strings.Builder
		x.WriteString(`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
		for i, e := range etags {
			fmt.Fprintf(&x, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i+1, e)
		}
		x.WriteString("</CompleteMultipartUpload>")
		r.do("POST", base+"?uploadId="+id, map[string]string{"Content-Type": "application/xml"}, []byte(x.String()))
		return "sluice/" + name
	}
}

func between(s, a, b string) string {
	_, rest, _ := strings.Cut(s, a)
	v, _, _ := strings.Cut(rest, b)
	return v
}

// azureClient: rclone backend/azureblob — Put Block for every chunk at once (block id = 8-byte chunk
// number + 8 random bytes, base64; Content-MD5 set), then Put Block List in chunk order.
func azureClient(r *runner, file []byte, name string) string {
	blob := "https://acct.blob.core.windows.net/container/" + url.PathEscape(name)
	parts := chunks(file, sliceSize)
	ids := make([]string, len(parts))
	var wg sync.WaitGroup
	for i := len(parts) - 1; i >= 0; i-- {
		var raw [16]byte
		binary.BigEndian.PutUint64(raw[:8], uint64(i))
		copy(raw[8:], md5Hex(parts[i])[:8])
		ids[i] = base64.StdEncoding.EncodeToString(raw[:])
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := blob + "?comp=block&blockid=" + url.QueryEscape(ids[i])
			r.do("PUT", u, map[string]string{"Content-Type": "application/octet-stream", "Content-MD5": base64md5(parts[i]), "X-Ms-Version": "2021-12-02"}, parts[i])
		}()
	}
	wg.Wait()
	var x strings.Builder
	x.WriteString(`<?xml version="1.0" encoding="utf-8"?><BlockList>`)
	for _, id := range ids {
		x.WriteString("<Latest>" + id + "</Latest>")
	}
	x.WriteString("</BlockList>")
	r.do("PUT", blob+"?comp=blocklist", map[string]string{"Content-Type": "application/xml", "X-Ms-Version": "2021-12-02"}, []byte(x.String()))
	return "container/" + name
}

// wechatClient: the Web WeChat front end / ItChat upload_chunk_file — 512 KiB chunks (scaled), fields id,
// name, type, lastModifiedDate, size, chunks, chunk, mediatype, uploadmediarequest, webwx_data_ticket,
// pass_ticket, then the file; the MediaId comes with the last chunk.
func wechatClient(r *runner, file []byte, name string) string {
	parts := chunks(file, sliceSize)
	umr := jsonOf(map[string]any{"UploadType": 2, "BaseRequest": map[string]any{"Uin": 2840930300, "Sid": "QfLp+Z+FePzvOFoG"},
		"ClientMediaId": 1700000000123, "TotalLen": len(file), "StartPos": 0, "DataLen": len(file), "MediaType": 4,
		"FromUserName": "@a1", "ToUserName": "filehelper", "FileMd5": md5Hex(file)})
	for i, p := range parts {
		fields := [][2]string{{"id", "WU_FILE_0"}, {"name", name}, {"type", "application/octet-stream"}, {"lastModifiedDate", "Mon Nov 30 2026 10:00:00 GMT+0800"},
			{"size", strconv.Itoa(len(file))}, {"chunks", strconv.Itoa(len(parts))}, {"chunk", strconv.Itoa(i)}, {"mediatype", "doc"},
			{"uploadmediarequest", umr}, {"webwx_data_ticket", "gSc+b4Xh"}, {"pass_ticket", "undefined"}}
		body, ct := multipartOf(fields, "filename", name, p)
		if !r.do("POST", "https://file.wx.qq.com/cgi-bin/mmwebwx-bin/webwxuploadmedia?f=json", map[string]string{"Content-Type": ct}, body) {
			return name
		}
	}
	var ans struct{ MediaId string }
	if json.Unmarshal(r.body, &ans); ans.MediaId == "" {
		r.fail("the last chunk gave no MediaId: %s", r.body)
	}
	return name
}
