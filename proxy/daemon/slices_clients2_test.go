package daemon

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// driveClient: rclone backend/drive — initiate with X-Upload-Content-Length, then POST chunks with
// Content-Range "bytes a-b/T"; every chunk but the last must be answered 308.
func driveClient(r *runner, file []byte, name string) string {
	if !r.do("POST", "https://www.googleapis.com/upload/drive/v3/files?alt=json&uploadType=resumable&supportsAllDrives=true&name="+url.QueryEscape(name),
		map[string]string{"Content-Type": "application/json; charset=UTF-8", "X-Upload-Content-Type": "text/csv", "X-Upload-Content-Length": strconv.Itoa(len(file))},
		[]byte(jsonOf(map[string]any{"name": name, "parents": []string{"root"}}))) {
		return name
	}
	session := r.last.Header.Get("Location")
	offs, parts := ordered(file)
	for i, p := range parts {
		off := offs[i]
		last := off+len(p) == len(file)
		ok := []int{308}
		if last {
			ok = nil
		}
		if !r.do("POST", session, map[string]string{"Content-Type": "text/csv", "Content-Range": fmt.Sprintf("bytes %d-%d/%d", off, off+len(p)-1, len(file))}, p, ok...) {
			return name
		}
		if !last && r.last.StatusCode != 308 {
			r.fail("chunk at %d answered %d, not 308", off, r.last.StatusCode)
		}
	}
	return name
}

// ordered returns the chunks with their offsets, in file order.
func ordered(file []byte) (offs []int, parts [][]byte) {
	for i, p := range chunks(file, sliceSize) {
		offs, parts = append(offs, i*sliceSize), append(parts, p)
	}
	return offs, parts
}

// gcsClient: google-api-go-client gensupport (Cloud Storage) — chunks as "bytes a-b/*" with
// X-GUploader-No-308 (answers must be 200 with X-Http-Status-Code-Override: 308), then an empty last
// chunk "bytes */T".
func gcsClient(r *runner, file []byte, name string) string {
	if !r.do("POST", "https://storage.googleapis.com/upload/storage/v1/b/bkt/o?alt=json&uploadType=resumable&name="+url.QueryEscape(name),
		map[string]string{"Content-Type": "application/json", "X-Upload-Content-Type": "text/csv"}, []byte(`{"bucket":"bkt"}`)) {
		return name
	}
	session := r.last.Header.Get("Location")
	offs, parts := ordered(file)
	for i, p := range parts {
		if !r.do("POST", session, map[string]string{"Content-Range": fmt.Sprintf("bytes %d-%d/*", offs[i], offs[i]+len(p)-1), "X-GUploader-No-308": "yes",
			"X-Goog-Gcs-Idempotency-Token": "5d0a2b4c"}, p) {
			return name
		}
		if r.last.Header.Get("X-Http-Status-Code-Override") != "308" {
			r.fail("chunk %d not answered as incomplete: %d %v", i, r.last.StatusCode, r.last.Header)
			return name
		}
	}
	if r.do("POST", session, map[string]string{"Content-Range": fmt.Sprintf("bytes */%d", len(file)), "X-GUploader-No-308": "yes"}, nil) &&
		r.last.Header.Get("X-Http-Status-Code-Override") == "308" {
		r.fail("the empty last chunk did not finish the upload")
	}
	return name
}

// scottyClient: python-genai (Gemini Files API) — start with X-Goog-Upload-Header-Content-Length, then
// "upload" chunks at X-Goog-Upload-Offset and "upload, finalize" on the last; status must be active, then final.
func scottyClient(r *runner, file []byte, name string) string {
	if !r.do("POST", "https://generativelanguage.googleapis.com/upload/v1beta/files", map[string]string{"Content-Type": "application/json",
		"X-Goog-Upload-Protocol": "resumable", "X-Goog-Upload-Command": "start", "X-Goog-Upload-Header-Content-Length": strconv.Itoa(len(file)),
		"X-Goog-Upload-Header-Content-Type": "text/csv"}, []byte(jsonOf(map[string]any{"file": map[string]string{"display_name": name}}))) {
		return ""
	}
	session := r.last.Header.Get("X-Goog-Upload-URL")
	offs, parts := ordered(file)
	for i, p := range parts {
		cmd := "upload"
		if i == len(parts)-1 {
			cmd += ", finalize"
		}
		if !r.do("POST", session, map[string]string{"X-Goog-Upload-Command": cmd, "X-Goog-Upload-Offset": strconv.Itoa(offs[i])}, p) {
			break
		}
		want := "active"
		if i == len(parts)-1 {
			want = "final"
		}
		if got := r.last.Header.Get("X-Goog-Upload-Status"); got != want {
			r.fail("chunk %d: status %q, want %q", i, got, want)
			break
		}
	}
	u, _ := url.Parse(session)
	return "scotty:" + u.Query().Get("upload_id")
}

// onedriveClient: rclone backend/onedrive — createUploadSession, then PUT fragments with
// Content-Range "bytes a-b/T" (no Authorization) until 200/201.
func onedriveClient(r *runner, file []byte, name string) string {
	if !r.do("POST", "https://graph.microsoft.com/v1.0/drives/b!x/items/root:/"+url.PathEscape(name)+":/createUploadSession", jsonType,
		[]byte(`{"item":{"fileSystemInfo":{"lastModifiedDateTime":"2026-11-30T10:00:00Z"}}}`)) {
		return name
	}
	var s struct {
		UploadURL string `json:"uploadUrl"`
	}
	json.Unmarshal(r.body, &s)
	offs, parts := ordered(file)
	for i, p := range parts {
		if !r.do("PUT", s.UploadURL, map[string]string{"Content-Range": fmt.Sprintf("bytes %d-%d/%d", offs[i], offs[i]+len(p)-1, len(file))}, p) {
			break
		}
		if i < len(parts)-1 && r.last.StatusCode != 202 {
			r.fail("fragment %d answered %d", i, r.last.StatusCode)
		}
	}
	return name
}

// dropboxClient: rclone backend/dropbox — upload_session/start with an empty body, append_v2 with the
// cursor (close on the last), finish with an empty body and the commit.
func dropboxClient(r *runner, file []byte, name string) string {
	path := "/报价/" + name
	octet := func(arg string) map[string]string {
		return map[string]string{"Content-Type": "application/octet-stream", "Dropbox-API-Arg": arg, "Authorization": "Bearer sl.x"}
	}
	if !r.do("POST", "https://content.dropboxapi.com/2/files/upload_session/start", octet(`{"close":false}`), nil) {
		return path
	}
	var s struct {
		SessionID string `json:"session_id"`
	}
	if json.Unmarshal(r.body, &s); s.SessionID == "" {
		r.fail("start answered %s", r.body)
		return path
	}
	offs, parts := ordered(file)
	for i, p := range parts {
		arg := fmt.Sprintf(`{"cursor":{"session_id":%q,"offset":%d},"close":%v}`, s.SessionID, offs[i], i == len(parts)-1)
		if !r.do("POST", "https://content.dropboxapi.com/2/files/upload_session/append_v2", octet(arg), p) {
			return path
		}
	}
	commit := strings.ReplaceAll(jsonOf(map[string]any{"path": path, "mode": map[string]string{".tag": "overwrite"}, "autorename": false, "mute": false}), "\\u0026", "&")
	r.do("POST", "https://content.dropboxapi.com/2/files/upload_session/finish",
		octet(fmt.Sprintf(`{"cursor":{"session_id":%q,"offset":%d},"commit":%s}`, s.SessionID, len(file), asciiJSON(commit))), nil)
	return path
}

// asciiJSON escapes non-ASCII runes as \uXXXX, as the Dropbox SDK's HTTPHeaderSafeJSON does.
func asciiJSON(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c < 0x80 {
			b.WriteRune(c)
		} else {
			fmt.Fprintf(&b, `\u%04x`, c)
		}
	}
	return b.String()
}

// tusClient: tus-js-client — creation POST with Upload-Length and Upload-Metadata, then PATCH chunks
// (application/offset+octet-stream) at Upload-Offset; each answer's Upload-Offset is the next offset.
func tusClient(r *runner, file []byte, name string) string {
	meta := "filename " + base64.StdEncoding.EncodeToString([]byte(name)) + ",filetype " + base64.StdEncoding.EncodeToString([]byte("text/csv"))
	if !r.do("POST", "https://tusd.tusdemo.net/files/", map[string]string{"Tus-Resumable": "1.0.0", "Upload-Length": strconv.Itoa(len(file)), "Upload-Metadata": meta}, nil) {
		return ""
	}
	loc := r.last.Header.Get("Location")
	off := 0
	for off < len(file) {
		p := file[off:min(off+sliceSize, len(file))]
		if !r.do("PATCH", loc, map[string]string{"Tus-Resumable": "1.0.0", "Upload-Offset": strconv.Itoa(off), "Content-Type": "application/offset+octet-stream"}, p) {
			break
		}
		next, _ := strconv.Atoi(r.last.Header.Get("Upload-Offset"))
		if next != off+len(p) {
			r.fail("PATCH at %d answered offset %d", off, next)
			break
		}
		off = next
	}
	return "tus:" + loc
}

// qiniuClient: OpenList drivers/ilanzou (Qiniu resumable v2) — init, PUT each part (answer: etag), then
// complete with {fnmae, parts:[{partNumber, etag}]}.
func qiniuClient(r *runner, file []byte, name string) string {
	base := "https://upload.qiniup.com/buckets/wpanstore-lanzou/objects/" + base64.URLEncoding.EncodeToString([]byte("disk/2026/12/01/"+name)) + "/uploads"
	auth := map[string]string{"Authorization": "UpToken kXa:sig:eyJzY29wZSI6IndwYW5zdG9yZSJ9", "Content-Type": "application/json"}
	if !r.do("POST", base, auth, nil) {
		return name
	}
	var init struct {
		UploadID string `json:"uploadId"`
	}
	json.Unmarshal(r.body, &init)
	type part struct {
		PartNumber int    `json:"partNumber"`
		Etag       string `json:"etag"`
	}
	var done []part
	for i, p := range chunks(file, sliceSize) {
		if !r.do("PUT", fmt.Sprintf("%s/%s/%d", base, init.UploadID, i+1), map[string]string{"Authorization": auth["Authorization"],
			"Content-Type": "application/octet-stream", "Content-MD5": md5Hex(p)}, p) {
			return name
		}
		var ans struct {
			Etag string `json:"etag"`
			MD5  string `json:"md5"`
		}
		if json.Unmarshal(r.body, &ans); ans.Etag == "" || ans.MD5 != md5Hex(p) {
			r.fail("part %d answered %s", i+1, r.body)
			return name
		}
		done = append(done, part{i + 1, ans.Etag})
	}
	r.do("POST", base+"/"+init.UploadID, auth, []byte(jsonOf(map[string]any{"fnmae": name, "parts": done})))
	return name
}

// pan123Client: OpenList drivers/123_open — create (declares the file's MD5 as etag), slices as multipart
// (preuploadID, sliceNo from 1, sliceMD5, file part "slice") three at a time, then upload_complete.
func pan123Client(r *runner, file []byte, name string) string {
	auth := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer eyJhbGciOi", "Platform": "open_platform"}
	if !r.do("POST", "https://open-api.123pan.com/upload/v2/file/create", auth, []byte(jsonOf(map[string]any{"parentFileID": 0,
		"filename": name, "etag": md5Hex(file), "size": len(file), "duplicate": 2, "containDir": false}))) {
		return ""
	}
	var c struct {
		Data struct {
			PreuploadID string   `json:"preuploadID"`
			Servers     []string `json:"servers"`
		} `json:"data"`
	}
	if json.Unmarshal(r.body, &c); c.Data.PreuploadID == "" || len(c.Data.Servers) == 0 {
		r.fail("create answered %s", r.body)
		return ""
	}
	parts := chunks(file, sliceSize)
	done := make(chan struct{}, len(parts))
	sem := make(chan struct{}, 3)
	for i, p := range parts {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; done <- struct{}{} }()
			body, ct := multipartOf([][2]string{{"preuploadID", c.Data.PreuploadID}, {"sliceNo", strconv.Itoa(i + 1)}, {"sliceMD5", md5Hex(p)}},
				"slice", fmt.Sprintf("%s.part%d", name, i+1), p)
			r.do("POST", c.Data.Servers[0]+"/upload/v2/file/slice", map[string]string{"Content-Type": ct, "Authorization": auth["Authorization"], "Platform": "open_platform"}, body)
		}()
	}
	for range parts {
		<-done
	}
	r.do("POST", "https://open-api.123pan.com/upload/v2/file/upload_complete", auth, []byte(jsonOf(map[string]string{"preuploadID": c.Data.PreuploadID})))
	return c.Data.PreuploadID
}
