package upload

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// sliceReq is one request of a sliced upload as a client sends it.
type sliceReq struct {
	method, url string
	header      map[string]string
	body        []byte
}

// sessionsFor returns sessions spooling in a fresh directory, with slices over 1 KiB on disk.
func sessionsFor(t *testing.T, o SessionOptions) (*Sessions, string) {
	dir := t.TempDir()
	o.Dir = dir
	return NewSessions(o), dir
}

// hold reads rq as the proxy would and hands it to s; it returns the answer, the assembled file or the error.
func hold(t *testing.T, s *Sessions, dir string, rq sliceReq) (*http.Response, *Assembled, error, *Slice) {
	t.Helper()
	r, err := http.NewRequest(rq.method, rq.url, bytes.NewReader(rq.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range rq.header {
		r.Header.Set(k, v)
	}
	b, err := Read(r.Body, r.Header, r.URL, Options{Dir: dir, SpoolThreshold: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	sl := Recognize(r, b)
	if sl == nil {
		sl = s.CommitFor("rep", r, b)
	}
	if sl == nil {
		b.Close()
		return nil, nil, nil, nil
	}
	resp, asm, err := s.Hold("rep", "test", sl, r, b)
	if resp == nil && asm == nil {
		b.Close()
	}
	return resp, asm, err, sl
}

// randomFile is n bytes of a seeded pseudo-random file.
func randomFile(n int, seed int64) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

// openSpools counts this process's open temp files in dir (held slices live there, unlinked).
func openSpools(t *testing.T, dir string) int {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	n := 0
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && strings.HasPrefix(target, dir) {
			n++
		}
	}
	return n
}

func md5hex(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) }

// s3Parts slices file into parts of size n, as S3/OSS UploadPart requests (1-based part numbers).
func s3Parts(file []byte, n int, host string) []sliceReq {
	var out []sliceReq
	for i := 0; i*n < len(file); i++ {
		end := min((i+1)*n, len(file))
		out = append(out, sliceReq{method: "PUT", url: fmt.Sprintf("https://%s/dir/report.bin?partNumber=%d&uploadId=0004B9894A22E5B1888A1E29F823", host, i+1),
			header: map[string]string{"Content-Type": "application/octet-stream"}, body: file[i*n : end]})
	}
	return out
}

// s3Complete is CompleteMultipartUpload naming the parts with the ETags the client was given.
func s3Complete(host string, etags []string) sliceReq {
	var x strings.Builder
	x.WriteString("<CompleteMultipartUpload>")
	for i, e := range etags {
		fmt.Fprintf(&x, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i+1, e)
	}
	x.WriteString("</CompleteMultipartUpload>")
	return sliceReq{method: "POST", url: "https://" + host + "/dir/report.bin?uploadId=0004B9894A22E5B1888A1E29F823",
		header: map[string]string{"Content-Type": "application/xml"}, body: []byte(x.String())}
}

func readAll(t *testing.T, s *Spool) []byte {
	b, err := io.ReadAll(s.Reader())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSessionsReassembleOutOfOrderParts(t *testing.T) {
	s, dir := sessionsFor(t, SessionOptions{})
	file := randomFile(10_000, 1)
	parts := s3Parts(file, 3000, "bkt.oss-cn-hangzhou.aliyuncs.com")
	etags := make([]string, len(parts))
	for _, i := range []int{2, 0, 3, 1} { // out of order
		resp, asm, err, _ := hold(t, s, dir, parts[i])
		if err != nil || asm != nil || resp == nil || resp.StatusCode != 200 {
			t.Fatalf("part %d: %v %v %v", i+1, resp, asm, err)
		}
		etags[i] = resp.Header.Get("ETag")
		if want := `"` + strings.ToUpper(md5hex(parts[i].body)) + `"`; etags[i] != want { // OSS: upper-case MD5
			t.Errorf("part %d ETag %s, want %s", i+1, etags[i], want)
		}
		if resp.Header.Get("X-Oss-Hash-Crc64ecma") == "" {
			t.Errorf("part %d: no CRC-64 for the OSS SDK", i+1)
		}
	}
	if n, held := s.Sweep(); n != 1 || held != int64(len(file)) {
		t.Fatalf("held %d sessions, %d bytes; want 1, %d", n, held, len(file))
	}
	if openSpools(t, dir) == 0 {
		t.Error("held slices are not on disk")
	}
	resp, asm, err, _ := hold(t, s, dir, s3Complete("bkt.oss-cn-hangzhou.aliyuncs.com", etags))
	if err != nil || resp != nil || asm == nil {
		t.Fatalf("complete: %v %v %v", resp, asm, err)
	}
	if !bytes.Equal(readAll(t, asm.File), file) || asm.Name != "report.bin" || asm.Slices != 4 {
		t.Errorf("assembled %d bytes named %q from %d slices", asm.File.Size(), asm.Name, asm.Slices)
	}
	var order []string
	for _, h := range asm.Replay.Requests {
		order = append(order, h.URL.Query().Get("partNumber"))
	}
	if strings.Join(order, ",") != "1,2,3,4" {
		t.Errorf("replay order %v, want the parts in file order", order)
	}
	asm.Close()
	if n, held := s.Sweep(); n != 0 || held != 0 {
		t.Errorf("after completion %d sessions, %d bytes held", n, held)
	}
	if n := openSpools(t, dir); n != 0 {
		t.Errorf("%d spool files still open", n)
	}
}

func TestSessionsParallelSlices(t *testing.T) {
	s, dir := sessionsFor(t, SessionOptions{})
	file := randomFile(64*1024+77, 2)
	const chunk = 4096
	n := (len(file) + chunk - 1) / chunk
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n - 1 { // every chunk but the last, at once (webwxuploadmediaparallel)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			resp, _, err, _ := hold(t, s, dir, wechatChunk(file, chunk, i))
			if err != nil || resp == nil {
				errs <- fmt.Errorf("chunk %d: %v %v", i, resp, err)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	_, asm, err, _ := hold(t, s, dir, wechatChunk(file, chunk, n-1))
	if err != nil || asm == nil {
		t.Fatalf("last chunk: %v", err)
	}
	defer asm.Close()
	if !bytes.Equal(readAll(t, asm.File), file) || asm.Name != "季度汇总.bin" {
		t.Errorf("parallel chunks did not reassemble: %d bytes, name %q", asm.File.Size(), asm.Name)
	}
}

// wechatChunk is chunk i of file as Web WeChat's webwxuploadmedia sends it (ItChat's upload_chunk_file fields).
func wechatChunk(file []byte, size, i int) sliceReq {
	n := (len(file) + size - 1) / size
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, kv := range [][2]string{{"id", "WU_FILE_0"}, {"name", "季度汇总.bin"}, {"type", "application/octet-stream"},
		{"size", strconv.Itoa(len(file))}, {"chunks", strconv.Itoa(n)}, {"chunk", strconv.Itoa(i)}, {"mediatype", "doc"},
		{"uploadmediarequest", fmt.Sprintf(`{"UploadType":2,"ClientMediaId":1700000000000,"TotalLen":%d,"StartPos":0,"DataLen":%d,"MediaType":4,"FileMd5":"%s"}`, len(file), len(file), md5hex(file))}} {
		mw.WriteField(kv[0], kv[1])
	}
	w, _ := mw.CreateFormFile("filename", "季度汇总.bin")
	w.Write(file[i*size : min((i+1)*size, len(file))])
	mw.Close()
	return sliceReq{method: "POST", url: "https://file.wx.qq.com/cgi-bin/mmwebwx-bin/webwxuploadmedia?f=json",
		header: map[string]string{"Content-Type": mw.FormDataContentType()}, body: buf.Bytes()}
}

func TestSessionsRefuseIncompleteFiles(t *testing.T) {
	s, dir := sessionsFor(t, SessionOptions{})
	file := randomFile(9000, 3)
	parts := s3Parts(file, 3000, "bkt.s3.amazonaws.com")
	for _, i := range []int{0, 2} { // part 2 never arrives
		if _, _, err, _ := hold(t, s, dir, parts[i]); err != nil {
			t.Fatal(err)
		}
	}
	_, asm, err, _ := hold(t, s, dir, s3Complete("bkt.s3.amazonaws.com", []string{`"a"`, `"b"`, `"c"`}))
	if asm != nil || err == nil || !strings.Contains(err.Error(), "part 2") {
		t.Fatalf("an incomplete file was assembled (%v) or the error does not name the gap: %v", asm, err)
	}
	if n, held := s.Sweep(); n != 0 || held != 0 {
		t.Errorf("a refused session kept %d sessions, %d bytes", n, held)
	}
	if n := openSpools(t, dir); n != 0 {
		t.Errorf("%d spool files still open", n)
	}

	// by offset: a gap in the middle of a Google resumable upload
	g := func(a, b int, total string) sliceReq {
		return sliceReq{method: "PUT", url: "https://www.googleapis.com/upload/drive/v3/files?uploadType=resumable&upload_id=ADPycdt1",
			header: map[string]string{"Content-Range": fmt.Sprintf("bytes %d-%d/%s", a, b-1, total)}, body: file[a:b]}
	}
	hold(t, s, dir, g(0, 3000, "*"))
	_, asm, err, _ = hold(t, s, dir, g(6000, 9000, "9000"))
	if asm != nil || err == nil || !strings.Contains(err.Error(), "3000") {
		t.Fatalf("a file with a gap was assembled (%v): %v", asm, err)
	}
}

func TestSessionsRetryReplacesSlice(t *testing.T) {
	s, dir := sessionsFor(t, SessionOptions{})
	file := randomFile(6000, 4)
	parts := s3Parts(file, 3000, "bkt.s3.amazonaws.com")
	stale := parts[0]
	stale.body = randomFile(3000, 99)
	for _, p := range []sliceReq{stale, parts[0], parts[1]} {
		if _, _, err, _ := hold(t, s, dir, p); err != nil {
			t.Fatal(err)
		}
	}
	if _, held := s.Sweep(); held != 6000 {
		t.Errorf("a retried part is counted twice: %d bytes held", held)
	}
	_, asm, err, _ := hold(t, s, dir, s3Complete("bkt.s3.amazonaws.com", []string{md5hex(parts[0].body), md5hex(parts[1].body)}))
	if err != nil {
		t.Fatal(err)
	}
	defer asm.Close()
	if !bytes.Equal(readAll(t, asm.File), file) || len(asm.Replay.Requests) != 2 {
		t.Errorf("the retry did not replace the first attempt (%d replays)", len(asm.Replay.Requests))
	}
}

func TestSessionsIdleAndAbandonedAreDropped(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	s, dir := sessionsFor(t, SessionOptions{Idle: 10 * time.Minute, Now: func() time.Time { return now }})
	file := randomFile(8000, 5)
	parts := s3Parts(file, 4000, "bkt.s3.amazonaws.com")
	hold(t, s, dir, parts[0])
	now = now.Add(11 * time.Minute)
	if n, held := s.Sweep(); n != 0 || held != 0 {
		t.Fatalf("an idle session survived: %d sessions, %d bytes", n, held)
	}
	if n := openSpools(t, dir); n != 0 {
		t.Errorf("%d spool files of the idle session still open", n)
	}
	hold(t, s, dir, parts[1]) // the rest arrives late: the file is never released
	_, asm, err, _ := hold(t, s, dir, s3Complete("bkt.s3.amazonaws.com", []string{"x", "y"}))
	if asm != nil || err == nil {
		t.Fatalf("a file whose session expired was released")
	}

	hold(t, s, dir, parts[0]) // abandoned: DELETE ?uploadId
	abort := sliceReq{method: "DELETE", url: "https://bkt.s3.amazonaws.com/dir/report.bin?uploadId=0004B9894A22E5B1888A1E29F823"}
	if _, _, _, sl := hold(t, s, dir, abort); sl == nil || !sl.Abort {
		t.Fatal("AbortMultipartUpload not recognised")
	}
	if n, held := s.Sweep(); n != 0 || held != 0 || openSpools(t, dir) != 0 {
		t.Errorf("an aborted session was kept: %d sessions, %d bytes", n, held)
	}
}

func TestSessionsLimits(t *testing.T) {
	s, dir := sessionsFor(t, SessionOptions{MaxFile: 10_000, MaxHeld: 15_000})
	file := randomFile(12_000, 6)
	parts := s3Parts(file, 4000, "bkt.s3.amazonaws.com")
	hold(t, s, dir, parts[0])
	hold(t, s, dir, parts[1])
	_, _, err, _ := hold(t, s, dir, parts[2])
	if !errors.Is(err, ErrSliceTooLarge) {
		t.Fatalf("a file over MaxFile: %v", err)
	}
	if n, held := s.Sweep(); n != 0 || held != 0 {
		t.Errorf("the oversized session kept %d bytes", held)
	}
	// two files under MaxFile that together pass MaxHeld
	a := s3Parts(randomFile(8000, 7), 8000, "a.s3.amazonaws.com")[0]
	b := s3Parts(randomFile(8000, 8), 8000, "b.s3.amazonaws.com")[0]
	b.url = strings.Replace(b.url, "uploadId=0004", "uploadId=9994", 1)
	if _, _, err, _ := hold(t, s, dir, a); err != nil {
		t.Fatal(err)
	}
	if _, _, err, _ := hold(t, s, dir, b); !errors.Is(err, ErrSliceTooLarge) {
		t.Fatalf("held slices passed MaxHeld: %v", err)
	}
}

func TestGoogleResumableStatusQueryAndEmptyLastChunk(t *testing.T) {
	s, dir := sessionsFor(t, SessionOptions{})
	file := randomFile(7000, 9)
	u := "https://storage.googleapis.com/upload/storage/v1/b/bkt/o?uploadType=resumable&name=a.bin&upload_id=ADPycdvq"
	chunk := func(a, b int) sliceReq { // google-api-go-client: "bytes a-b/*" with X-GUploader-No-308
		return sliceReq{method: "POST", url: u, header: map[string]string{"Content-Range": fmt.Sprintf("bytes %d-%d/*", a, b-1), "X-GUploader-No-308": "yes"}, body: file[a:b]}
	}
	resp, _, _, _ := hold(t, s, dir, chunk(0, 4000))
	if resp.StatusCode != 200 || resp.Header.Get("X-Http-Status-Code-Override") != "308" || resp.Header.Get("Range") != "bytes=0-3999" {
		t.Fatalf("chunk answer %d %v", resp.StatusCode, resp.Header)
	}
	query := sliceReq{method: "PUT", url: u, header: map[string]string{"Content-Range": "bytes */*"}}
	resp, asm, _, _ := hold(t, s, dir, query)
	if asm != nil || resp.StatusCode != 308 || resp.Header.Get("Range") != "bytes=0-3999" {
		t.Fatalf("status query before the file is whole: %v %v", resp, asm)
	}
	hold(t, s, dir, chunk(4000, 7000))
	_, asm, err, _ := hold(t, s, dir, sliceReq{method: "POST", url: u, header: map[string]string{"Content-Range": "bytes */7000", "X-GUploader-No-308": "yes"}})
	if err != nil || asm == nil {
		t.Fatalf("the empty last chunk did not complete the file: %v", err)
	}
	defer asm.Close()
	if !bytes.Equal(readAll(t, asm.File), file) || len(asm.Replay.Requests) != 2 {
		t.Errorf("assembled %d bytes with %d replays", asm.File.Size(), len(asm.Replay.Requests))
	}
}

func TestDropboxEmptyStartIsHeldAndReplayedFirst(t *testing.T) {
	s, dir := sessionsFor(t, SessionOptions{})
	file := randomFile(5000, 10)
	resp, _, _, _ := hold(t, s, dir, sliceReq{method: "POST", url: "https://content.dropboxapi.com/2/files/upload_session/start",
		header: map[string]string{"Dropbox-API-Arg": `{"close":false}`, "Content-Type": "application/octet-stream"}})
	body, _ := io.ReadAll(resp.Body)
	id := jsonValues(body)["session_id"]
	if id == "" {
		t.Fatalf("start answered %s", body)
	}
	arg := func(off int, extra string) string {
		return fmt.Sprintf(`{"cursor":{"session_id":%q,"offset":%d}%s}`, id, off, extra)
	}
	for _, off := range []int{0, 2500} {
		resp, _, err, _ := hold(t, s, dir, sliceReq{method: "POST", url: "https://content.dropboxapi.com/2/files/upload_session/append_v2",
			header: map[string]string{"Dropbox-API-Arg": arg(off, `,"close":false`), "Content-Type": "application/octet-stream"}, body: file[off : off+2500]})
		if err != nil || resp == nil || resp.StatusCode != 200 {
			t.Fatalf("append at %d: %v %v", off, resp, err)
		}
	}
	_, asm, err, _ := hold(t, s, dir, sliceReq{method: "POST", url: "https://content.dropboxapi.com/2/files/upload_session/finish",
		header: map[string]string{"Dropbox-API-Arg": arg(5000, `,"commit":{"path":"/报价/客户.bin","mode":{".tag":"overwrite"}}`), "Content-Type": "application/octet-stream"}})
	if err != nil || asm == nil {
		t.Fatalf("finish: %v", err)
	}
	defer asm.Close()
	if !bytes.Equal(readAll(t, asm.File), file) || asm.Name != "/报价/客户.bin" {
		t.Errorf("assembled %d bytes named %q", asm.File.Size(), asm.Name)
	}
	if len(asm.Replay.Requests) != 3 || !strings.HasSuffix(asm.Replay.Requests[0].URL.Path, "/start") {
		t.Fatalf("replay does not open the session first: %d requests", len(asm.Replay.Requests))
	}
	// Dropbox answers start with its own id: every later request must carry it instead of Sluice's.
	rp := asm.Replay
	rp.Learn(rp.Requests[0], &http.Response{Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{"session_id":"AAAA-real-dropbox-id"}`))})
	next := rp.Request(t.Context(), rp.Requests[1])
	if got := next.Header.Get("Dropbox-API-Arg"); !strings.Contains(got, "AAAA-real-dropbox-id") || strings.Contains(got, id) {
		t.Errorf("append replayed with %s", got)
	}
	finish, _ := http.NewRequest("POST", "https://content.dropboxapi.com/2/files/upload_session/finish", nil)
	finish.Header.Set("Dropbox-API-Arg", arg(5000, ""))
	rp.Fix(finish, nil)
	if !strings.Contains(finish.Header.Get("Dropbox-API-Arg"), "AAAA-real-dropbox-id") {
		t.Errorf("finish sent with %s", finish.Header.Get("Dropbox-API-Arg"))
	}
}

func TestReplayPutsSiteValuesInTheCommit(t *testing.T) {
	s, dir := sessionsFor(t, SessionOptions{})
	file := randomFile(6000, 11)
	base := "https://upload.qiniup.com/buckets/wpanstore/objects/ZGlzay8yMDI2/uploads/65b0c5e1"
	var etags []string
	for i := range 2 {
		resp, _, _, _ := hold(t, s, dir, sliceReq{method: "PUT", url: base + "/" + strconv.Itoa(i+1), header: map[string]string{"Authorization": "UpToken x"}, body: file[i*3000 : (i+1)*3000]})
		body, _ := io.ReadAll(resp.Body)
		etags = append(etags, jsonValues(body)["etag"])
	}
	done := fmt.Sprintf(`{"fnmae":"客户.bin","parts":[{"partNumber":1,"etag":%q},{"partNumber":2,"etag":%q}]}`, etags[0], etags[1])
	_, asm, err, _ := hold(t, s, dir, sliceReq{method: "POST", url: base, header: map[string]string{"Content-Type": "application/json"}, body: []byte(done)})
	if err != nil || asm == nil || asm.Name != "客户.bin" {
		t.Fatalf("complete: %v %v", asm, err)
	}
	defer asm.Close()
	for i, h := range asm.Replay.Requests {
		asm.Replay.Learn(h, &http.Response{Header: http.Header{}, Body: io.NopCloser(strings.NewReader(fmt.Sprintf(`{"etag":"Fq-real-%d","md5":"x"}`, i)))})
	}
	req, _ := http.NewRequest("POST", base, nil)
	fixed, err := asm.Replay.Fix(req, SpoolBytes([]byte(done)))
	if err != nil || fixed == nil {
		t.Fatalf("the commit was not fixed: %v", err)
	}
	if got := string(readAll(t, fixed)); !strings.Contains(got, `"Fq-real-0"`) || !strings.Contains(got, `"Fq-real-1"`) || strings.Contains(got, "sluice-") {
		t.Errorf("commit sent as %s", got)
	}
}

func TestSlicesNobodyCanHoldAreClosed(t *testing.T) {
	dir := t.TempDir()
	for name, rq := range map[string]sliceReq{
		"QQ Mail FTN":                     {method: "POST", url: "https://xmfd.ftn.qq.com/ftn_handler/5d41402abc4b2a76b9719d911017c592?bmd5=x", body: append([]byte{0xab, 0xcd, 0, 0, 0, 0x10}, "客户,13800138000\n"...)},
		"163 partial":                     {method: "POST", url: "https://mail.163.com/upxmail/upload?sid=x", header: map[string]string{"Mail-Upload-Offset": "0", "Mail-Upload-Length": "10", "Mail-Upload-Size": "100"}, body: []byte("0123456789")},
		"Qiniu v1":                        {method: "POST", url: "https://upload.qiniup.com/mkblk/4194304", header: map[string]string{"Authorization": "UpToken x"}, body: []byte("block")},
		"tus creation with a first piece": {method: "POST", url: "https://tusd.example.com/files/", header: map[string]string{"Tus-Resumable": "1.0.0", "Upload-Length": "100"}, body: []byte("first piece")},
		"unknown Content-Range":           {method: "PUT", url: "https://files.example.net/up/1", header: map[string]string{"Content-Range": "bytes 10-19/100"}, body: []byte("0123456789")},
	} {
		r, _ := http.NewRequest(rq.method, rq.url, bytes.NewReader(rq.body))
		for k, v := range rq.header {
			r.Header.Set(k, v)
		}
		b, err := Read(r.Body, r.Header, r.URL, Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if sl := Recognize(r, b); sl == nil || !sl.Closed || sl.Why[0] == "" || sl.Why[1] == "" {
			t.Errorf("%s: %+v, want a closed slice that says why", name, sl)
		}
		b.Close()
	}
}

// FuzzRecognize feeds arbitrary requests to the slice parsers and the sessions: nothing panics, and a
// recognised slice is either closed, an abort, or carries its bytes or a commit.
func FuzzRecognize(f *testing.F) {
	f.Add("PUT", "/o?partNumber=1&uploadId=abc", "Content-Range", "bytes 0-3/10", []byte("abcd"))
	f.Add("POST", "/rest/2.0/pcs/superfile2?method=upload&uploadid=u&partseq=0", "Content-Type", "application/octet-stream", []byte("x"))
	f.Add("POST", "/2/files/upload_session/append_v2", "Dropbox-API-Arg", `{"cursor":{"session_id":"s","offset":4}}`, []byte("yy"))
	f.Add("PATCH", "/files/abc", "Upload-Offset", "0", []byte("tus"))
	f.Add("POST", "/u?upload_id=1", "X-Goog-Upload-Command", "upload, finalize", []byte("z"))
	f.Add("PUT", "/c?comp=blocklist", "Content-Type", "application/xml", []byte("<BlockList><Latest>AA==</Latest></BlockList>"))
	f.Add("POST", "/cgi-bin/mmwebwx-bin/webwxuploadmedia", "Content-Type", "application/x-www-form-urlencoded", []byte("chunks=2&chunk=1&id=W&size=5"))
	f.Add("POST", "/buckets/b/objects/k/uploads/u", "Content-Type", "application/json", []byte(`{"parts":[{"partNumber":1,"etag":"e"}]}`))
	dir := f.TempDir()
	s := NewSessions(SessionOptions{Dir: dir, MaxFile: 1 << 20, MaxHeld: 4 << 20})
	f.Fuzz(func(t *testing.T, method, path, hk, hv string, body []byte) {
		r, err := http.NewRequest(method, "https://fuzz.example.com"+path, bytes.NewReader(body))
		if err != nil {
			return
		}
		r.Header.Set("Tus-Resumable", "1.0.0")
		if hk != "" && !strings.ContainsAny(hk, "\r\n:\x00 ") {
			r.Header.Set(hk, hv)
		}
		b, err := Read(r.Body, r.Header, r.URL, Options{Dir: dir, SpoolThreshold: 256})
		if err != nil {
			return
		}
		sl := Recognize(r, b)
		if sl == nil {
			sl = s.CommitFor("rep", r, b)
		}
		if sl == nil || sl.Closed {
			b.Close()
			return
		}
		if !sl.Abort && sl.Data == nil && !sl.Final && !sl.Commit && !sl.FinalIfWhole && sl.reply == nil {
			t.Fatalf("a slice with no bytes, no commit and no answer: %+v", sl)
		}
		resp, asm, _ := s.Hold("rep", "fuzz", sl, r, b)
		if asm != nil {
			asm.Close()
		}
		if resp == nil && asm == nil {
			b.Close()
		}
	})
}
