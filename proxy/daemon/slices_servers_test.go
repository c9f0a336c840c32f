package daemon

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The server side of each slice protocol, as the stand-in keeps it (called with s.mu held).

// baiduPrecreate answers as pan.baidu.com: a new upload id and every slice still to send.
func (s *slicedSite) baiduPrecreate(w http.ResponseWriter, r *http.Request, body []byte) {
	form, _ := url.ParseQuery(string(body))
	var list []string
	json.Unmarshal([]byte(form.Get("block_list")), &list)
	seqs := []int{}
	for i := range list {
		seqs = append(seqs, i)
	}
	id := s.id("N1-MTAuMTQ0LjE3")
	s.parts["baidu:"+id] = map[string][]byte{}
	s.etags["baidu:"+id] = map[string]string{}
	writeJSON(w, 200, map[string]any{"errno": 0, "return_type": 1, "uploadid": id, "block_list": seqs})
}

// baiduCreate joins the slices the block_list names, checking each MD5 and the size.
func (s *slicedSite) baiduCreate(w http.ResponseWriter, r *http.Request, body []byte) {
	form, _ := url.ParseQuery(string(body))
	sess := "baidu:" + form.Get("uploadid")
	if _, ok := s.parts[sess]; !ok {
		writeJSON(w, 200, map[string]any{"errno": 31299, "errmsg": "uploadid not found " + form.Get("uploadid")})
		return
	}
	var list []string
	json.Unmarshal([]byte(form.Get("block_list")), &list)
	var order []string
	for i, sum := range list {
		if s.etags[sess][strconv.Itoa(i)] != sum {
			writeJSON(w, 200, map[string]any{"errno": 31363, "errmsg": "block miss in superfile2"})
			return
		}
		order = append(order, strconv.Itoa(i))
	}
	s.join(w, sess, order, form.Get("path"))
}

// aliyunCreate answers 阿里云盘's createWithFolders with presigned OSS part URLs on the data host.
func (s *slicedSite) aliyunCreate(w http.ResponseWriter, r *http.Request, body []byte) {
	var c struct {
		Name  string `json:"name"`
		Parts []struct {
			PartNumber int `json:"part_number"`
		} `json:"part_info_list"`
	}
	json.Unmarshal(body, &c)
	upload, fileID := s.id("12A9C3D"), s.id("64f1")
	var parts []map[string]any
	for _, p := range c.Parts {
		parts = append(parts, map[string]any{"part_number": p.PartNumber, "upload_url": fmt.Sprintf(
			"https://cn-beijing-data.aliyundrive.net/%s?partNumber=%d&uploadId=%s&x-oss-access-key-id=STS.x&x-oss-expires=1700000000&x-oss-signature=abc%%3D&x-oss-signature-version=OSS2",
			fileID, p.PartNumber, upload)})
	}
	s.parts["mp:"+upload], s.etags["mp:"+upload] = map[string][]byte{}, map[string]string{}
	writeJSON(w, 200, map[string]any{"file_id": fileID, "upload_id": upload, "file_name": c.Name, "rapid_upload": false, "part_info_list": parts})
}

// wechat keeps each chunk; the last one gets the MediaId.
func (s *slicedSite) wechat(w http.ResponseWriter, r *http.Request, body []byte) {
	f, data := formFields(r, body)
	sess := "wechat:" + f["id"]
	n, _ := strconv.Atoi(f["chunks"])
	s.put(sess, f["chunk"], data, "")
	if n <= 1 || len(s.parts[sess]) == n {
		if n <= 1 {
			s.done[f["name"]] = data
		} else {
			var file []byte
			for i := range n {
				file = append(file, s.parts[sess][strconv.Itoa(i)]...)
			}
			s.done[f["name"]] = file
			delete(s.parts, sess)
		}
		writeJSON(w, 200, map[string]any{"BaseResponse": map[string]any{"Ret": 0}, "MediaId": "@crypt_" + md5Hex(s.done[f["name"]])})
		return
	}
	writeJSON(w, 200, map[string]any{"BaseResponse": map[string]any{"Ret": 0}, "MediaId": ""})
}

// offsetChunk appends a chunk at off to a stream session; it refuses a chunk not at the end.
func (s *slicedSite) offsetChunk(sess string, off int64, data []byte) bool {
	if int64(len(s.stream[sess])) != off {
		return false
	}
	s.stream[sess] = append(s.stream[sess], data...)
	return true
}

// google: Content-Range chunks; 308 (or 200 + override) until the total is reached.
func (s *slicedSite) google(w http.ResponseWriter, r *http.Request, body []byte) {
	sess := "google:" + r.URL.Query().Get("upload_id")
	var a, b int64
	var total string
	cr := r.Header.Get("Content-Range")
	if strings.HasPrefix(cr, "bytes */") {
		total = strings.TrimPrefix(cr, "bytes */")
	} else if _, err := fmt.Sscanf(cr, "bytes %d-%d/%s", &a, &b, &total); err != nil || !s.offsetChunk(sess, a, body) {
		http.Error(w, "bad chunk "+cr, 400)
		return
	}
	if n := strconv.Itoa(len(s.stream[sess])); total == n {
		s.done[r.URL.Query().Get("name")] = s.stream[sess]
		writeJSON(w, 200, map[string]any{"md5Checksum": md5Hex(s.stream[sess])})
		return
	}
	if len(s.stream[sess]) > 0 {
		w.Header().Set("Range", fmt.Sprintf("bytes=0-%d", len(s.stream[sess])-1))
	}
	if r.Header.Get("X-GUploader-No-308") == "yes" {
		w.Header().Set("X-Http-Status-Code-Override", "308")
		return
	}
	w.WriteHeader(308)
}

// scotty: start gives the upload URL; chunks at X-Goog-Upload-Offset; finalize completes.
func (s *slicedSite) scotty(w http.ResponseWriter, r *http.Request, body []byte) {
	cmd := r.Header.Get("X-Goog-Upload-Command")
	if strings.Contains(cmd, "start") {
		w.Header().Set("X-Goog-Upload-URL", "https://"+r.Host+"/upload/v1beta/files?upload_id="+s.id("AUxK")+"&upload_protocol=resumable")
		w.Header().Set("X-Goog-Upload-Status", "active")
		w.Header().Set("X-Goog-Upload-Chunk-Granularity", "8192")
		return
	}
	sess := "scotty:" + r.URL.RawQuery
	off, _ := strconv.ParseInt(r.Header.Get("X-Goog-Upload-Offset"), 10, 64)
	if !s.offsetChunk(sess, off, body) {
		http.Error(w, "offset mismatch", 400)
		return
	}
	if strings.Contains(cmd, "finalize") {
		s.done["scotty:"+r.URL.Query().Get("upload_id")] = s.stream[sess]
		w.Header().Set("X-Goog-Upload-Status", "final")
		writeJSON(w, 200, map[string]any{"file": map[string]any{"sizeBytes": strconv.Itoa(len(s.stream[sess]))}})
		return
	}
	w.Header().Set("X-Goog-Upload-Status", "active")
}

// graph: OneDrive fragments; 202 with the next expected range, 201 at the end.
func (s *slicedSite) graph(w http.ResponseWriter, r *http.Request, body []byte) {
	sess := "graph:" + r.URL.Path
	var a, b, total int64
	if _, err := fmt.Sscanf(r.Header.Get("Content-Range"), "bytes %d-%d/%d", &a, &b, &total); err != nil || !s.offsetChunk(sess, a, body) {
		writeJSON(w, 416, map[string]any{"error": map[string]any{"code": "invalidRange"}})
		return
	}
	if int64(len(s.stream[sess])) == total {
		s.done[r.URL.Query().Get("name")] = s.stream[sess]
		writeJSON(w, 201, map[string]any{"name": r.URL.Query().Get("name"), "size": total})
		return
	}
	writeJSON(w, 202, map[string]any{"nextExpectedRanges": []string{fmt.Sprintf("%d-", len(s.stream[sess]))}})
}

// dropbox: start gives a session id; appends must name it and the right offset; finish commits.
func (s *slicedSite) dropbox(w http.ResponseWriter, r *http.Request, body []byte) {
	var arg struct {
		Cursor struct {
			SessionID string `json:"session_id"`
			Offset    int64  `json:"offset"`
		} `json:"cursor"`
		Commit struct {
			Path string `json:"path"`
		} `json:"commit"`
	}
	json.Unmarshal([]byte(r.Header.Get("Dropbox-API-Arg")), &arg)
	route := strings.TrimPrefix(r.URL.Path, "/2/files/upload_session/")
	if route == "start" {
		id := s.id("pid_upload_session:ABCDEFG")
		s.stream["dropbox:"+id] = append([]byte{}, body...)
		writeJSON(w, 200, map[string]any{"session_id": id})
		return
	}
	sess := "dropbox:" + arg.Cursor.SessionID
	if _, ok := s.stream[sess]; !ok {
		writeJSON(w, 409, map[string]any{"error_summary": "lookup_failed/not_found/", "error": map[string]any{".tag": "lookup_failed"}})
		return
	}
	if !s.offsetChunk(sess, arg.Cursor.Offset, body) {
		writeJSON(w, 409, map[string]any{"error_summary": "lookup_failed/incorrect_offset/", "correct_offset": len(s.stream[sess])})
		return
	}
	if route == "finish" {
		s.done[arg.Commit.Path] = s.stream[sess]
		writeJSON(w, 200, map[string]any{"path_display": arg.Commit.Path, "size": len(s.stream[sess])})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte("null"))
}

// tus: creation gives the upload URL; PATCHes must come at Upload-Offset.
func (s *slicedSite) tus(w http.ResponseWriter, r *http.Request, body []byte) {
	w.Header().Set("Tus-Resumable", "1.0.0")
	if r.Method == http.MethodPost {
		loc := "https://" + r.Host + "/files/" + s.id("24e533e02ec3bc40c387f1a0e460e216")
		n, _ := strconv.ParseInt(r.Header.Get("Upload-Length"), 10, 64)
		s.length["tus:"+loc] = n
		s.stream["tus:"+loc] = []byte{}
		w.Header().Set("Location", loc)
		w.WriteHeader(201)
		return
	}
	sess := "tus:https://" + r.Host + r.URL.Path
	off, _ := strconv.ParseInt(r.Header.Get("Upload-Offset"), 10, 64)
	if _, ok := s.stream[sess]; !ok || !s.offsetChunk(sess, off, body) {
		w.WriteHeader(409)
		return
	}
	if int64(len(s.stream[sess])) == s.length[sess] {
		s.done[sess] = s.stream[sess]
	}
	w.Header().Set("Upload-Offset", strconv.Itoa(len(s.stream[sess])))
	w.WriteHeader(204)
}

// qiniu: resumable v2; every part gets an etag of this site's making, which the completion must repeat.
func (s *slicedSite) qiniu(w http.ResponseWriter, r *http.Request, body []byte) {
	m := qiniuPath.FindStringSubmatch(r.URL.Path)
	switch {
	case m[1] == "" && r.Method == http.MethodPost:
		writeJSON(w, 200, map[string]any{"uploadId": s.id("65b0c5e1"), "expireAt": 1700000000})
	case m[2] != "" && r.Method == http.MethodPut:
		etag := "Fq" + md5Hex(append([]byte("qiniu"), body...))[:26]
		s.put("qiniu:"+m[1], m[2], body, etag)
		writeJSON(w, 200, map[string]any{"etag": etag, "md5": md5Hex(body)})
	case r.Method == http.MethodPost:
		var c struct {
			Fname string `json:"fnmae"`
			Parts []struct {
				PartNumber int    `json:"partNumber"`
				Etag       string `json:"etag"`
			} `json:"parts"`
		}
		json.Unmarshal(body, &c)
		var order []string
		for _, p := range c.Parts {
			if s.etags["qiniu:"+m[1]][strconv.Itoa(p.PartNumber)] != p.Etag {
				writeJSON(w, 400, map[string]any{"error": "invalid etag " + p.Etag})
				return
			}
			order = append(order, strconv.Itoa(p.PartNumber))
		}
		s.join(w, "qiniu:"+m[1], order, c.Fname)
	}
}

// pan123Slice keeps a 123云盘 slice after checking its sliceMD5.
func (s *slicedSite) pan123Slice(w http.ResponseWriter, r *http.Request, body []byte) {
	f, data := formFields(r, body)
	if f["sliceMD5"] != md5Hex(data) {
		writeJSON(w, 200, map[string]any{"code": 1, "message": "slice md5 mismatch"})
		return
	}
	s.put("pan123:"+f["preuploadID"], f["sliceNo"], data, "")
	writeJSON(w, 200, map[string]any{"code": 0, "message": "ok"})
}
