package upload

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc64"
	"io"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The answers a service gives to a slice it received, which Sluice gives in its place while the slice
// waits for the rest of the file: each client reads them to send its next slice.

// respond builds a complete response.
func respond(r *http.Request, status int, contentType, body string, header ...string) *http.Response {
	resp := &http.Response{StatusCode: status, Status: fmt.Sprintf("%d %s", status, http.StatusText(status)), Proto: "HTTP/1.1",
		ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)), Request: r}
	if contentType != "" {
		resp.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		resp.Header.Set(header[i], header[i+1])
	}
	resp.Header.Set("X-Sluice-Held", "1") // the slice waits at Sluice until the whole file is judged
	return resp
}

func jsonBody(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// digests returns the MD5 (hex) and the CRC-64/ECMA of a slice, as object stores report them.
func digests(s *Spool) (string, uint64) {
	m, c := md5.New(), crc64.New(crc64.MakeTable(crc64.ECMA))
	io.Copy(io.MultiWriter(m, c), s.Reader())
	return hex.EncodeToString(m.Sum(nil)), c.Sum64()
}

func randomDigits(n int) string {
	v, _ := rand.Int(rand.Reader, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil))
	return v.String()
}

// contiguous is how many bytes from the start of the file the session holds without a gap.
func (sess *Session) contiguous() int64 {
	end := int64(0)
	for changed := true; changed; {
		changed = false
		for _, h := range sess.slices {
			if h.offset >= 0 && h.offset <= end && h.offset+h.data.Size() > end {
				end, changed = h.offset+h.data.Size(), true
			}
		}
	}
	return end
}

// baiduReply: superfile2 answers with the slice's MD5, which clients put in create's block_list.
func baiduReply(sl *Slice, _ *Session, r *http.Request) *http.Response {
	sum, _ := digests(sl.Data)
	return respond(r, 200, "application/json", jsonBody(map[string]any{"md5": sum, "partseq": strconv.Itoa(sl.Index),
		"request_id": randomDigits(18), "uploadid": strings.TrimPrefix(sl.Key, "baidu:")}))
}

// multipartReply: UploadPart answers 200 with the part's ETag (its MD5; upper-case hex on Aliyun OSS)
// and, on OSS and COS, the CRC-64 their SDKs check.
func multipartReply(sl *Slice, _ *Session, r *http.Request) *http.Response {
	sum, crc := digests(sl.Data)
	host := r.URL.Hostname()
	oss := strings.HasSuffix(host, "aliyuncs.com") || strings.HasSuffix(host, "aliyundrive.net") || strings.HasSuffix(host, "alipan.com") || r.Header.Get("X-Oss-Date") != ""
	cos := strings.HasSuffix(host, "myqcloud.com")
	h := []string{"ETag", `"` + sum + `"`}
	switch {
	case oss:
		h = []string{"ETag", `"` + strings.ToUpper(sum) + `"`, "X-Oss-Hash-Crc64ecma", strconv.FormatUint(crc, 10), "X-Oss-Request-Id", randomDigits(24)}
	case cos:
		h = append(h, "X-Cos-Hash-Crc64ecma", strconv.FormatUint(crc, 10))
	}
	return respond(r, 200, "", "", h...)
}

// azureReply: Put Block answers 201 Created with the block's Content-MD5.
func azureReply(sl *Slice, _ *Session, r *http.Request) *http.Response {
	sum, _ := digests(sl.Data)
	raw, _ := hex.DecodeString(sum)
	return respond(r, 201, "", "", "Content-MD5", base64.StdEncoding.EncodeToString(raw), "X-Ms-Request-Server-Encrypted", "true",
		"X-Ms-Version", first(r.Header.Get("X-Ms-Version"), "2020-04-08"))
}

// wechatReply: a chunk that is not the last is answered with an empty MediaId (clients read the id from the last).
func wechatReply(sl *Slice, sess *Session, r *http.Request) *http.Response {
	return respond(r, 200, "text/plain", jsonBody(map[string]any{"BaseResponse": map[string]any{"Ret": 0, "ErrMsg": ""}, "MediaId": "",
		"StartPos": sess.bytes, "CDNThumbImgHeight": 0, "CDNThumbImgWidth": 0, "EncryFileName": ""}))
}

// googleReply: a chunk that does not finish the upload is answered 308 with the bytes received; clients that
// send X-GUploader-No-308 get 200 with the status in X-Http-Status-Code-Override.
func googleReply(_ *Slice, sess *Session, r *http.Request) *http.Response {
	h := []string{}
	if n := sess.contiguous(); n > 0 {
		h = append(h, "Range", "bytes=0-"+strconv.FormatInt(n-1, 10))
	}
	if strings.EqualFold(r.Header.Get("X-GUploader-No-308"), "yes") {
		return respond(r, 200, "", "", append(h, "X-Http-Status-Code-Override", "308")...)
	}
	return respond(r, 308, "", "", h...)
}

// scottyReply: the X-Goog-Upload protocol answers an unfinished upload as "active" with the size received.
func scottyReply(_ *Slice, sess *Session, r *http.Request) *http.Response {
	return respond(r, 200, "", "", "X-Goog-Upload-Status", "active", "X-Goog-Upload-Size-Received", strconv.FormatInt(sess.contiguous(), 10))
}

// graphReply: OneDrive answers a fragment with 202 and the next range it expects.
func graphReply(_ *Slice, sess *Session, r *http.Request) *http.Response {
	return respond(r, 202, "application/json", jsonBody(map[string]any{
		"expirationDateTime": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		"nextExpectedRanges": []string{strconv.FormatInt(sess.contiguous(), 10) + "-"}}))
}

// dropboxReply: start answers with the session id (Sluice's own, mapped to Dropbox's on replay); appends with null.
func dropboxReply(sl *Slice, _ *Session, r *http.Request) *http.Response {
	if sl.ID == "start" {
		return respond(r, 200, "application/json", jsonBody(map[string]string{"session_id": strings.TrimPrefix(sl.Key, "dropbox:")}))
	}
	return respond(r, 200, "application/json", "null")
}

// tusReply: tus answers a PATCH with 204 and the new offset.
func tusReply(_ *Slice, sess *Session, r *http.Request) *http.Response {
	return respond(r, 204, "", "", "Upload-Offset", strconv.FormatInt(sess.contiguous(), 10), "Tus-Resumable", "1.0.0")
}

// qiniuReply: Qiniu answers a part with its etag and MD5.
func qiniuReply(sl *Slice, _ *Session, r *http.Request) *http.Response {
	sum, _ := digests(sl.Data)
	return respond(r, 200, "application/json", jsonBody(map[string]string{"etag": "sluice-" + sum, "md5": sum}))
}

// pan123Reply: 123云盘's open platform answers a slice with code 0.
func pan123Reply(_ *Slice, _ *Session, r *http.Request) *http.Response {
	return respond(r, 200, "application/json", jsonBody(map[string]any{"code": 0, "message": "ok", "data": nil, "x-traceID": randomDigits(16)}))
}
