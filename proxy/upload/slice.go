package upload

import (
	"net/http"
	"strconv"
	"strings"
)

// Slice is one request of a file sent in several: a part of its bytes, or the call that completes it.
// Recognize builds it from a request; Sessions holds the slices of one file until the file is whole.
type Slice struct {
	Protocol string // baidu, multipart (S3/OSS/COS/BOS), azure, wechat, google, scotty, graph, dropbox, tus, qiniu, pan123, ...
	Key      string // the upload session, unique per user: protocol + the service's session id
	Index    int    // part number or chunk index; -1 when the slice is placed by Offset
	Offset   int64  // byte offset in the file; -1 when placed by Index
	Total    int64  // the whole file's size when the request says it, else -1
	Parts    int    // how many parts the file has, when the request says it, else 0
	Final    bool   // this request completes the file: its last slice, or the commit call
	Commit   bool   // the request carries none of the file's bytes (a commit / complete call)
	Order    []string
	Name     string // the file's name when the protocol says it
	ID       string // the part's own id where the protocol names parts (Azure block ids)
	Data     *Spool // the slice's bytes; nil for a commit
	// Closed marks a slice Sluice recognises but cannot hold and answer for the service: the whole
	// request gets the "can't inspect" verdict, and nothing of it is forwarded unjudged.
	Closed bool
	Why    [2]string // why it is closed (zh-CN, English)
	Abort  bool      // the client abandons the session (S3 DELETE ?uploadId)
	// FinalIfWhole marks a request without bytes that completes the file if the session already holds
	// Total bytes from the start, and otherwise asks how much arrived (Google's "bytes */T").
	FinalIfWhole bool
	reply        func(s *Slice, sess *Session, r *http.Request) *http.Response
}

// recognizers look at a request in order; the first that claims it wins.
var recognizers = []func(r *http.Request, b *Body) *Slice{
	baiduPrecreate, baiduSlice, baiduCommit, multipartSlice, azureSlice, wechatSlice, googleSlice, scottySlice, graphSlice,
	dropboxSlice, tusSlice, qiniuSlice, qiniuV1Slice, pan123Slice, qqFTNSlice, mail163Slice, weiyunSlice, contentRangeSlice,
}

// Recognize tells whether the request is a slice of a file sent in several requests, or nil.
func Recognize(r *http.Request, b *Body) *Slice {
	for _, f := range recognizers {
		if s := f(r, b); s != nil {
			return s
		}
	}
	return nil
}

// field returns the first text field (form, multipart or query) named name.
func (b *Body) field(name string) string {
	for _, p := range b.Parts {
		if p.Kind == KindField && strings.EqualFold(p.Field, name) {
			if data, err := p.Data.Bytes(1 << 20); err == nil {
				return string(data)
			}
		}
	}
	return b.Query.Get(name)
}

// onlyFile returns the body's single file part (the slice's bytes), or the whole body for a raw upload.
func (b *Body) onlyFile() *Spool {
	if fs := b.Files(); len(fs) > 0 {
		return fs[0].Data
	}
	return b.Decoded
}

// parseRange reads "bytes a-b/T" (T may be "*"); start is -1 for "bytes */T" (a status query).
func parseRange(v string) (start, end, total int64, ok bool) {
	v = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), "bytes"))
	v = strings.TrimSpace(strings.TrimPrefix(v, "="))
	rng, tot, found := strings.Cut(v, "/")
	if !found {
		return 0, 0, 0, false
	}
	total = -1
	if tot != "*" {
		t, err := strconv.ParseInt(tot, 10, 64)
		if err != nil {
			return 0, 0, 0, false
		}
		total = t
	}
	if rng == "*" {
		return -1, -1, total, true
	}
	a, b, found := strings.Cut(rng, "-")
	s, err1 := strconv.ParseInt(a, 10, 64)
	e, err2 := strconv.ParseInt(b, 10, 64)
	if !found || err1 != nil || err2 != nil || e < s {
		return 0, 0, 0, false
	}
	return s, e, total, true
}

// closed builds a slice Sluice cannot hold for its protocol.
func closed(protocol, zh, en string) *Slice {
	return &Slice{Protocol: protocol, Closed: true, Index: -1, Offset: -1, Total: -1, Why: [2]string{zh, en}}
}
