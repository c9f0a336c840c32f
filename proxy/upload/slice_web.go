package upload

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Recognisers of the slice protocols of web chat, webmail and the resumable-upload standards, as their
// clients use them (the Web WeChat front end and ItChat, rclone and Google's client libraries, the
// Gemini/Chromium "scotty" protocol, Dropbox's and OneDrive's SDKs, tus-js-client).

// wechatSlice: Web WeChat and the file helper send a file over 512 KiB in chunks:
// POST …/webwxuploadmedia with fields chunks (count), chunk (0-based), size and the same
// uploadmediarequest on every chunk; webwxuploadmediaparallel carries them in UploadMediaParallelRequest.
func wechatSlice(r *http.Request, b *Body) *Slice {
	p := r.URL.Path
	if !strings.HasSuffix(p, "/webwxuploadmedia") && !strings.HasSuffix(p, "/webwxuploadmediaparallel") {
		return nil
	}
	chunks, err1 := strconv.Atoi(b.field("chunks"))
	chunk, err2 := strconv.Atoi(b.field("chunk"))
	id := b.field("id")
	var meta struct {
		ClientMediaId string
		FileMd5       string
		FileMD5       string
		Chunk         int
		Chunks        int
		TotalLen      int64
	}
	json.Unmarshal([]byte(first(b.field("uploadmediarequest"), b.field("UploadMediaParallelRequest"))), &meta)
	if meta.Chunks > 1 { // the parallel variant
		chunks, chunk, err1, err2 = meta.Chunks, meta.Chunk, nil, nil
	}
	if err1 != nil || err2 != nil || chunks < 2 || chunk < 0 || chunk >= chunks {
		return nil // one request: an ordinary upload
	}
	total, err := strconv.ParseInt(b.field("size"), 10, 64)
	if err != nil {
		total = meta.TotalLen
	}
	name, _ := url.QueryUnescape(b.field("name"))
	return &Slice{Protocol: "wechat", Key: "wechat:" + id + ":" + first(meta.FileMd5, meta.FileMD5, meta.ClientMediaId),
		Index: chunk, Offset: -1, Total: total, Parts: chunks, Data: b.onlyFile(), Name: name, reply: wechatReply}
}

// googleSlice: Google's resumable uploads (Drive, Cloud Storage, Gmail API; rclone and the Google client
// libraries): PUT or POST to the session URL (…&upload_id=…) with Content-Range: bytes a-b/T (T may be *
// until the last chunk); "bytes */T" asks how much arrived.
func googleSlice(r *http.Request, b *Body) *Slice {
	id := r.URL.Query().Get("upload_id")
	cr := r.Header.Get("Content-Range")
	if id == "" || cr == "" || r.Header.Get("X-Goog-Upload-Command") != "" {
		return nil
	}
	s, e, total, ok := parseRange(cr)
	if !ok {
		return nil
	}
	sl := &Slice{Protocol: "google", Key: "google:" + id, Index: -1, Offset: s, Total: total, reply: googleReply}
	if s >= 0 {
		sl.Data = b.Decoded
		sl.Final = total >= 0 && e+1 == total
	} else {
		sl.FinalIfWhole = total > 0 // "bytes */T": a status query, or an empty last chunk once all T bytes are in
	}
	return sl
}

// scottySlice: the X-Goog-Upload protocol (Gemini, Drive's web client, Chromium): after "start", each
// chunk says X-Goog-Upload-Command: upload (or "upload, finalize" for the last) and X-Goog-Upload-Offset.
func scottySlice(r *http.Request, b *Body) *Slice {
	cmd := strings.ToLower(r.Header.Get("X-Goog-Upload-Command"))
	if cmd == "" {
		return nil
	}
	if strings.Contains(cmd, "start") { // "start, upload, finalize" is a whole file in one request
		if strings.Contains(cmd, "upload") && !strings.Contains(cmd, "finalize") && b.Decoded.Size() > 0 {
			return closed("scotty", "上传在创建时就带了文件的第一片，Sluice 无法在整份文件到齐前代为应答",
				"the upload carries the file's first piece in its creation request, which Sluice cannot answer for before the whole file is in")
		}
		return nil
	}
	key := "scotty:" + r.URL.Host + r.URL.Path + "?" + r.URL.RawQuery
	sl := &Slice{Protocol: "scotty", Key: key, Index: -1, Offset: -1, Total: -1, reply: scottyReply}
	if strings.Contains(cmd, "query") {
		return sl
	}
	off, err := strconv.ParseInt(r.Header.Get("X-Goog-Upload-Offset"), 10, 64)
	if err != nil {
		return nil
	}
	sl.Offset = off
	if b.Decoded.Size() > 0 {
		sl.Data = b.Decoded
	}
	if strings.Contains(cmd, "finalize") {
		sl.Final, sl.Total = true, off+b.Decoded.Size()
		sl.Commit = sl.Data == nil
	}
	return sl
}

// graphHosts are where OneDrive and SharePoint upload sessions take fragments (createUploadSession's uploadUrl).
var graphHosts = []string{".up.1drv.com", ".sharepoint.com", "api.onedrive.com", ".storage.live.com", "graph.microsoft.com", ".files.1drv.com"}

// graphSlice: OneDrive/SharePoint upload sessions: PUT <uploadUrl> with Content-Range: bytes a-b/T.
func graphSlice(r *http.Request, b *Body) *Slice {
	cr := r.Header.Get("Content-Range")
	if cr == "" || r.Method != http.MethodPut || !hostIn(r.URL.Hostname(), graphHosts) {
		return nil
	}
	s, e, total, ok := parseRange(cr)
	if !ok || s < 0 || total < 0 {
		return nil
	}
	return &Slice{Protocol: "graph", Key: "graph:" + r.URL.Host + r.URL.Path + "?" + r.URL.RawQuery, Index: -1, Offset: s, Total: total,
		Final: e+1 == total, Data: b.Decoded, reply: graphReply}
}

func hostIn(host string, suffixes []string) bool {
	for _, s := range suffixes {
		if host == strings.TrimPrefix(s, ".") || strings.HasPrefix(s, ".") && strings.HasSuffix(host, s) {
			return true
		}
	}
	return false
}

// dropboxSlice: Dropbox upload sessions on content.dropboxapi.com: /2/files/upload_session/start, then
// append_v2 (cursor.offset in the Dropbox-API-Arg header), then finish. The session id does not exist until
// start is answered, so Sluice answers start with its own id and maps it to Dropbox's when it replays.
func dropboxSlice(r *http.Request, b *Body) *Slice {
	const prefix = "/2/files/upload_session/"
	if !strings.HasPrefix(r.URL.Path, prefix) {
		return nil
	}
	var arg struct {
		Cursor struct {
			SessionID string `json:"session_id"`
			Offset    int64  `json:"offset"`
		} `json:"cursor"`
		SessionID string `json:"session_id"` // v1 append
		Offset    int64  `json:"offset"`
		Commit    struct {
			Path string `json:"path"`
		} `json:"commit"`
	}
	json.Unmarshal([]byte(r.Header.Get("Dropbox-API-Arg")), &arg)
	sl := &Slice{Protocol: "dropbox", Index: -1, Total: -1, reply: dropboxReply}
	if b.Decoded.Size() > 0 {
		sl.Data = b.Decoded
	}
	switch strings.TrimPrefix(r.URL.Path, prefix) {
	case "start": // held too (even empty): Dropbox's session must be opened before the appends are replayed
		var raw [12]byte
		rand.Read(raw[:])
		sl.Key, sl.Offset, sl.ID, sl.Data = "dropbox:sluice-"+hex.EncodeToString(raw[:]), 0, "start", b.Decoded
	case "append_v2":
		sl.Key, sl.Offset = "dropbox:"+arg.Cursor.SessionID, arg.Cursor.Offset
	case "append":
		sl.Key, sl.Offset = "dropbox:"+arg.SessionID, arg.Offset
	case "finish":
		sl.Key, sl.Offset, sl.Final, sl.Name = "dropbox:"+arg.Cursor.SessionID, arg.Cursor.Offset, true, arg.Commit.Path
		sl.Total, sl.Commit = arg.Cursor.Offset+b.Decoded.Size(), sl.Data == nil
	default:
		return nil
	}
	if sl.Data == nil && !sl.Final {
		return nil
	}
	return sl
}

// tusSlice: the tus resumable-upload protocol (tus-js-client, Uppy): PATCH <upload URL> with Upload-Offset;
// the length comes from Upload-Length (on the creation POST, or on a deferred-length PATCH).
func tusSlice(r *http.Request, b *Body) *Slice {
	if r.Header.Get("Tus-Resumable") == "" {
		return nil
	}
	if r.Method == http.MethodPost && b.Decoded.Size() > 0 { // creation with upload: whole, or the first piece
		if n, err := strconv.ParseInt(r.Header.Get("Upload-Length"), 10, 64); err == nil && n == b.Decoded.Size() {
			return nil
		}
		return closed("tus", "tus 上传在创建时就带了文件的第一片，Sluice 无法在整份文件到齐前代为应答",
			"the tus upload carries the file's first piece in its creation request, which Sluice cannot answer for before the whole file is in")
	}
	if r.Method != http.MethodPatch {
		return nil
	}
	off, err := strconv.ParseInt(r.Header.Get("Upload-Offset"), 10, 64)
	if err != nil {
		return nil
	}
	total := int64(-1)
	if v, err := strconv.ParseInt(r.Header.Get("Upload-Length"), 10, 64); err == nil {
		total = v
	}
	return &Slice{Protocol: "tus", Key: "tus:" + r.URL.Host + r.URL.Path, Index: -1, Offset: off, Total: total, Data: b.Decoded, reply: tusReply}
}

// qqFTNSlice: QQ邮箱's large attachments go as 128 KiB slices behind a binary header of their own to
// *.ftn.qq.com/ftn_handler/<md5>. The header's layout and the answer are not published, so Sluice cannot
// answer for them: the slices are closed unless the file's declaration was approved (see the pipeline).
func qqFTNSlice(r *http.Request, b *Body) *Slice {
	i := strings.Index(r.URL.Path, "/ftn_handler/")
	if i < 0 || !strings.HasSuffix(r.URL.Hostname(), "ftn.qq.com") {
		return nil
	}
	s := closed("qqftn", "QQ邮箱超大附件的分片协议无法由 Sluice 代为应答，整份文件到齐前无法判定；这类附件需先获批准",
		"QQ Mail's large-attachment slices cannot be answered on its behalf, so the whole file cannot be judged first; such attachments need an approval")
	s.Key = "qqftn:" + strings.ToLower(strings.Trim(r.URL.Path[i+len("/ftn_handler/"):], "/"))
	return s
}

// mail163Slice: 网易邮箱 (163/126/yeah) attachments go to /upxmail/upload with Mail-Upload-Offset,
// -Length and -Size headers. A whole file in one request is an ordinary upload; the answer to a partial one
// is not published, so such slices are closed.
func mail163Slice(r *http.Request, b *Body) *Slice {
	size, err1 := strconv.ParseInt(r.Header.Get("Mail-Upload-Size"), 10, 64)
	off, err2 := strconv.ParseInt(r.Header.Get("Mail-Upload-Offset"), 10, 64)
	length, err3 := strconv.ParseInt(r.Header.Get("Mail-Upload-Length"), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || off == 0 && length == size {
		return nil
	}
	return closed("mail163", "网易邮箱的分片附件协议无法由 Sluice 代为应答，整份文件到齐前无法判定",
		"NetEase Mail's sliced attachments cannot be answered on its behalf, so the whole file cannot be judged first")
}

// Bodiless reports whether a request without a body may still belong to a sliced upload: an empty
// Dropbox start or finish, a Google status query or empty last chunk ("bytes */T"), an X-Goog-Upload
// query or finalize, a tus PATCH. The front sends such requests through the pipeline too.
func Bodiless(r *http.Request) bool {
	return r.Header.Get("X-Goog-Upload-Command") != "" && !strings.Contains(strings.ToLower(r.Header.Get("X-Goog-Upload-Command")), "start") ||
		strings.HasPrefix(strings.TrimSpace(r.Header.Get("Content-Range")), "bytes */") ||
		strings.HasPrefix(r.URL.Path, "/2/files/upload_session/") ||
		r.Method == http.MethodPatch && r.Header.Get("Tus-Resumable") != ""
}

// contentRangeSlice closes any other partial upload (Content-Range on a request body of an unknown
// protocol): a slice nobody can judge alone must not leave.
func contentRangeSlice(r *http.Request, b *Body) *Slice {
	s, e, total, ok := parseRange(r.Header.Get("Content-Range"))
	if !ok || r.Header.Get("Content-Range") == "" || s == 0 && total >= 0 && e+1 == total {
		return nil
	}
	return closed("content-range", "这是一个未知断点续传协议的分片，单独无法判定整份文件",
		"this is a slice of an unknown resumable-upload protocol; the whole file cannot be judged from it alone")
}
