package daemon

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// slicedSite stands in for the services' upload servers on loopback: it keeps the server side of each
// slice protocol (upload ids, ETags, offsets, session ids), refuses what the real service would refuse
// (an unknown session, a wrong offset, an ETag it never gave), and records every body it was sent and
// every file it put together.
type slicedSite struct {
	t      testing.TB
	mu     sync.Mutex
	parts  map[string]map[string][]byte // session → part key → bytes
	etags  map[string]map[string]string // session → part key → the ETag this site gave
	stream map[string][]byte            // session → bytes so far (offset protocols)
	length map[string]int64             // session → declared length (tus)
	done   map[string][]byte            // name → the completed file
	bodies [][]byte                     // every request body (kept up to 1 MiB each)
	seq    int
}

func newSlicedSite(t testing.TB) *slicedSite {
	return &slicedSite{t: t, parts: map[string]map[string][]byte{}, etags: map[string]map[string]string{},
		stream: map[string][]byte{}, length: map[string]int64{}, done: map[string][]byte{}}
}

// file returns a completed file by name.
func (s *slicedSite) file(name string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.done[name]
	return b, ok
}

// sawAny reports whether any body the site received contains one of needles.
func (s *slicedSite) sawAny(needles ...[]byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range s.bodies {
		for _, n := range needles {
			if bytes.Contains(b, n) {
				return true
			}
		}
	}
	return false
}

// sawPhonesOf reports whether any body the site received holds a mobile number that appears in list.
func (s *slicedSite) sawPhonesOf(list []byte) bool {
	set := map[string]bool{}
	for _, m := range mobile.FindAll(list, -1) {
		set[string(m)] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range s.bodies {
		for _, m := range mobile.FindAll(b, -1) {
			if set[string(m)] {
				return true
			}
		}
	}
	return false
}

func (s *slicedSite) id(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%04d", prefix, s.seq)
}

func (s *slicedSite) put(sess, part string, data []byte, etag string) {
	if s.parts[sess] == nil {
		s.parts[sess], s.etags[sess] = map[string][]byte{}, map[string]string{}
	}
	s.parts[sess][part], s.etags[sess][part] = data, etag
}

func md5Hex(b []byte) string { m := md5.Sum(b); return hex.EncodeToString(m[:]) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

var (
	qiniuPath = regexp.MustCompile(`^/buckets/[^/]+/objects/[^/]+/uploads(?:/([^/]+)(?:/(\d+))?)?$`)
	xmlPart   = regexp.MustCompile(`<PartNumber>(\d+)</PartNumber>\s*<ETag>([^<]*)</ETag>`)
)

func (s *slicedSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bodies = append(s.bodies, body[:min(len(body), 1<<20)])
	q, p := r.URL.Query(), r.URL.Path
	switch {
	case strings.HasSuffix(p, "/api/precreate"):
		s.baiduPrecreate(w, r, body)
	case strings.HasSuffix(p, "/rest/2.0/pcs/superfile2"):
		data := formFile(r, body)
		s.put("baidu:"+q.Get("uploadid"), q.Get("partseq"), data, md5Hex(data))
		writeJSON(w, 200, map[string]any{"md5": md5Hex(data), "request_id": 1})
	case strings.HasSuffix(p, "/api/create"):
		s.baiduCreate(w, r, body)
	case q.Has("uploads") && r.Method == http.MethodPost: // CreateMultipartUpload
		id := s.id("VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA")
		s.parts["mp:"+id], s.etags["mp:"+id] = map[string][]byte{}, map[string]string{}
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprintf(w, "<InitiateMultipartUploadResult><Bucket>bkt</Bucket><Key>%s</Key><UploadId>%s</UploadId></InitiateMultipartUploadResult>", strings.TrimPrefix(p, "/"), id)
	case q.Get("partNumber") != "" && r.Method == http.MethodPut: // S3 / OSS UploadPart
		etag := `"` + md5Hex(body) + `"`
		if strings.Contains(r.Host, "aliyun") {
			etag = strings.ToUpper(etag)
		}
		s.put("mp:"+q.Get("uploadId"), q.Get("partNumber"), body, etag)
		w.Header().Set("ETag", etag)
	case q.Has("uploadId") && r.Method == http.MethodPost: // CompleteMultipartUpload
		var names []string
		for _, m := range xmlPart.FindAllSubmatch(body, -1) {
			if want := s.etags["mp:"+q.Get("uploadId")][string(m[1])]; !strings.EqualFold(want, string(m[2])) {
				http.Error(w, "<Error><Code>InvalidPart</Code></Error>", 400)
				return
			}
			names = append(names, string(m[1]))
		}
		s.join(w, "mp:"+q.Get("uploadId"), names, strings.TrimPrefix(p, "/"))
	case strings.HasSuffix(p, "/adrive/v2/file/createWithFolders"):
		s.aliyunCreate(w, r, body)
	case strings.HasSuffix(p, "/v2/file/complete"):
		var c struct {
			FileID   string `json:"file_id"`
			UploadID string `json:"upload_id"`
		}
		json.Unmarshal(body, &c)
		s.join(w, "mp:"+c.UploadID, sortedKeys(s.parts["mp:"+c.UploadID]), c.FileID)
	case q.Get("comp") == "block":
		if h := r.Header.Get("Content-MD5"); h != "" && h != base64md5(body) {
			http.Error(w, "Md5Mismatch", 400)
			return
		}
		s.put("azure:"+p, q.Get("blockid"), body, "")
		w.WriteHeader(201)
	case q.Get("comp") == "blocklist":
		var list struct {
			IDs []string `xml:",any"`
		}
		xml.Unmarshal(body, &list)
		s.join(w, "azure:"+p, list.IDs, strings.TrimPrefix(p, "/"))
	case strings.HasSuffix(p, "/webwxuploadmedia"):
		s.wechat(w, r, body)
	case q.Get("uploadType") == "resumable" && q.Get("upload_id") == "": // Google: initiate
		w.Header().Set("Location", "https://"+r.Host+p+"?uploadType=resumable&upload_id="+s.id("ADPycdu")+"&name="+url.QueryEscape(q.Get("name")))
	case q.Get("upload_id") != "" && r.Header.Get("X-Goog-Upload-Command") == "":
		s.google(w, r, body)
	case r.Header.Get("X-Goog-Upload-Command") != "":
		s.scotty(w, r, body)
	case strings.HasSuffix(p, ":/createUploadSession"):
		item := strings.TrimSuffix(p, ":/createUploadSession")
		name := item[strings.LastIndex(item, ":/")+2:]
		writeJSON(w, 200, map[string]any{"uploadUrl": "https://sn3302.up.1drv.com/up/" + s.id("fe6987") + "?name=" + url.QueryEscape(name), "nextExpectedRanges": []string{"0-"}})
	case strings.HasPrefix(p, "/up/"):
		s.graph(w, r, body)
	case strings.HasPrefix(p, "/2/files/upload_session/"):
		s.dropbox(w, r, body)
	case r.Header.Get("Tus-Resumable") != "":
		s.tus(w, r, body)
	case qiniuPath.MatchString(p):
		s.qiniu(w, r, body)
	case strings.HasSuffix(p, "/upload/v2/file/create"):
		writeJSON(w, 200, map[string]any{"code": 0, "data": map[string]any{"preuploadID": s.id("h1Kiaa"), "reuse": false, "sliceSize": 16 << 10,
			"servers": []string{"https://openapi-upload.123242.com"}}})
	case strings.HasSuffix(p, "/upload/v2/file/slice"):
		s.pan123Slice(w, r, body)
	case strings.HasSuffix(p, "/upload/v2/file/upload_complete"):
		var c struct {
			PreuploadID string `json:"preuploadID"`
		}
		json.Unmarshal(body, &c)
		s.join(w, "pan123:"+c.PreuploadID, sortedKeys(s.parts["pan123:"+c.PreuploadID]), c.PreuploadID)
	default:
		writeJSON(w, 200, map[string]any{"ok": true})
	}
}

// join puts a session's parts together in the order given and records the file under name.
func (s *slicedSite) join(w http.ResponseWriter, sess string, order []string, name string) {
	var file []byte
	for _, k := range order {
		part, ok := s.parts[sess][k]
		if !ok {
			writeJSON(w, 400, map[string]any{"error": "missing part " + k + " of " + sess})
			return
		}
		file = append(file, part...)
	}
	if len(order) == 0 {
		writeJSON(w, 404, map[string]any{"error": "no such upload " + sess})
		return
	}
	s.done[name] = file
	delete(s.parts, sess)
	writeJSON(w, 200, map[string]any{"name": name, "size": len(file), "md5": md5Hex(file)})
}

func sortedKeys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		a, _ := strconv.Atoi(out[i])
		b, _ := strconv.Atoi(out[j])
		return a < b
	})
	return out
}

func base64md5(b []byte) string { m := md5.Sum(b); return base64.StdEncoding.EncodeToString(m[:]) }

// formFile returns the one file part of a multipart body.
func formFile(r *http.Request, body []byte) []byte {
	_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		part, err := mr.NextPart()
		if err != nil {
			return nil
		}
		if part.FileName() != "" || part.FormName() == "file" || part.FormName() == "uploadedfile" {
			data, _ := io.ReadAll(part)
			return data
		}
	}
}

// formFields returns the text fields and the file of a multipart body.
func formFields(r *http.Request, body []byte) (map[string]string, []byte) {
	_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	fields := map[string]string{}
	var file []byte
	for {
		part, err := mr.NextPart()
		if err != nil {
			return fields, file
		}
		data, _ := io.ReadAll(part)
		if part.FileName() != "" {
			file = data
		} else {
			fields[part.FormName()] = string(data)
		}
	}
}
