package upload

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"hash"
	"io"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func multipartBody(t testing.TB, file []byte) ([]byte, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("to", "someone@qq.com")
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="客户清单.xlsx"`)
	h.Set("Content-Type", "application/octet-stream")
	w, _ := mw.CreatePart(h)
	w.Write(file)
	mw.WriteField("subject", "报价")
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

func read(t testing.TB, body []byte, h http.Header, u string) *Body {
	t.Helper()
	pu, _ := url.Parse(u)
	b, err := Read(bytes.NewReader(body), h, pu, Options{Dir: t.TempDir(), SpoolThreshold: 64})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

func TestMultipartPartsAndExactRewrite(t *testing.T) {
	file := bytes.Repeat([]byte("PK\x03\x04 customer rows\r\n"), 50)
	body, ct := multipartBody(t, file)
	b := read(t, body, http.Header{"Content-Type": {ct}}, "https://mail.163.com/upload")
	if b.Problem != "" {
		t.Fatal(b.Problem)
	}
	files := b.Files()
	if len(files) != 1 || files[0].FileName != "客户清单.xlsx" || files[0].Size() != int64(len(file)) {
		t.Fatalf("files = %+v", files)
	}
	got, _ := io.ReadAll(files[0].Data.Reader())
	if !bytes.Equal(got, file) {
		t.Fatal("file content differs")
	}
	if len(b.Fields()) != 2 {
		t.Fatalf("fields = %d", len(b.Fields()))
	}
	out, err := b.Rewrite(map[*Part][]byte{files[0]: []byte("MARKED")})
	if err != nil {
		t.Fatal(err)
	}
	nb, _ := io.ReadAll(out.Reader())
	want := bytes.Replace(body, file, []byte("MARKED"), 1)
	if !bytes.Equal(nb, want) {
		t.Fatalf("rewrite changed other bytes:\n%q\n%q", nb, want)
	}
	// the rewritten body is still valid multipart
	_, params, _ := strings.Cut(ct, "boundary=")
	mr := multipart.NewReader(bytes.NewReader(nb), params)
	n := 0
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		io.Copy(io.Discard, p)
	}
	if n != 3 {
		t.Fatalf("parts after rewrite = %d", n)
	}
}

func TestGzipBodyRoundTrip(t *testing.T) {
	body, ct := multipartBody(t, []byte("%PDF-1.4 hello"))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(body)
	zw.Close()
	b := read(t, gz.Bytes(), http.Header{"Content-Type": {ct}, "Content-Encoding": {"gzip"}}, "https://x/")
	if b.Problem != "" || len(b.Files()) != 1 {
		t.Fatalf("problem %q files %d", b.Problem, len(b.Files()))
	}
	out, err := b.Rewrite(map[*Part][]byte{b.Files()[0]: []byte("%PDF-1.4 marked")})
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(out.Reader())
	if err != nil {
		t.Fatal("rewritten body is not gzip:", err)
	}
	plain, _ := io.ReadAll(zr)
	if !bytes.Contains(plain, []byte("%PDF-1.4 marked")) || !bytes.Contains(plain, []byte("someone@qq.com")) {
		t.Fatal("gzip rewrite lost content")
	}
}

func TestJSONBase64Attachment(t *testing.T) {
	file := bytes.Repeat([]byte("\x89PNG\r\n\x1a\n-image-"), 40)
	for _, tc := range []struct {
		name string
		val  string
	}{
		{"plain", base64.StdEncoding.EncodeToString(file)},
		{"dataurl", "data:image/png;base64," + base64.StdEncoding.EncodeToString(file)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := map[string]any{"Body": map[string]any{"Content": "见附件 13800138000"},
				"Attachments": []any{map[string]any{"ContentBytes": tc.val, "Name": "photo.png", "ContentType": "image/png"}}}
			body, _ := json.Marshal(doc)
			body = bytes.ReplaceAll(body, []byte("/"), []byte(`\/`)) // some clients escape slashes
			b := read(t, body, http.Header{"Content-Type": {"application/json; charset=utf-8"}}, "https://outlook.live.com/owa/")
			if b.Problem != "" {
				t.Fatal(b.Problem)
			}
			files := b.Files()
			if len(files) != 1 || files[0].FileName != "photo.png" {
				t.Fatalf("files = %+v", files)
			}
			got, _ := io.ReadAll(files[0].Data.Reader())
			if !bytes.Equal(got, file) {
				t.Fatal("decoded attachment differs")
			}
			if f := b.Fields(); len(f) != 1 || !strings.Contains(string(mustRead(f[0])), "13800138000") {
				t.Fatal("message text not gathered")
			}
			out, err := b.Rewrite(map[*Part][]byte{files[0]: []byte("NEWPNG")})
			if err != nil {
				t.Fatal(err)
			}
			var back map[string]any
			if err := json.Unmarshal(mustReadSpool(out), &back); err != nil {
				t.Fatal("rewritten JSON invalid:", err)
			}
			att := back["Attachments"].([]any)[0].(map[string]any)["ContentBytes"].(string)
			att = strings.TrimPrefix(att, "data:image/png;base64,")
			if dec, _ := base64.StdEncoding.DecodeString(att); string(dec) != "NEWPNG" {
				t.Fatalf("attachment after rewrite = %q", att)
			}
		})
	}
}

func TestMalformedBodiesReportProblem(t *testing.T) {
	body, ct := multipartBody(t, []byte("data"))
	for name, tc := range map[string]struct {
		body []byte
		h    http.Header
	}{
		"truncated multipart": {body[:len(body)-20], http.Header{"Content-Type": {ct}}},
		"no boundary":         {body, http.Header{"Content-Type": {"multipart/form-data"}}},
		"bad gzip":            {[]byte("not gzip"), http.Header{"Content-Type": {ct}, "Content-Encoding": {"gzip"}}},
		"bad json":            {[]byte(`{"a": [1, 2`), http.Header{"Content-Type": {"application/json"}}},
		"unknown encoding":    {body, http.Header{"Content-Type": {ct}, "Content-Encoding": {"zstd-x"}}},
	} {
		t.Run(name, func(t *testing.T) {
			b := read(t, tc.body, tc.h, "https://pan.baidu.com/")
			if b.Problem == "" {
				t.Fatalf("no problem reported; parts %d", len(b.Parts))
			}
		})
	}
}

func TestRawBodyNameAndSpill(t *testing.T) {
	data := bytes.Repeat([]byte("x"), 1000)
	b := read(t, data, http.Header{"Content-Type": {"application/octet-stream"}}, "https://d.pcs.baidu.com/rest/2.0/pcs/file?method=upload&path=%2F%E5%AE%A2%E6%88%B7.xlsx")
	if len(b.Files()) != 1 || b.Files()[0].FileName != "客户.xlsx" {
		t.Fatalf("raw file part = %+v", b.Files())
	}
	if !b.Raw.OnDisk() {
		t.Fatal("1000 bytes over a 64-byte threshold should spill to disk")
	}
	if !b.Declared(http.Header{})["path"] {
		t.Fatal("query fields not declared")
	}
}

func TestTooLarge(t *testing.T) {
	pu, _ := url.Parse("https://x/")
	b, err := Read(bytes.NewReader(make([]byte, 2000)), http.Header{}, pu, Options{Dir: t.TempDir(), SpoolThreshold: 100, MaxInspect: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !strings.Contains(b.Problem, "larger than the inspection limit") || b.Raw.Size() != 2000 {
		t.Fatalf("problem %q size %d", b.Problem, b.Raw.Size())
	}
}

func mustRead(p *Part) []byte { return mustReadSpool(p.Data) }

func mustReadSpool(s *Spool) []byte {
	b, _ := io.ReadAll(s.Reader())
	return b
}

func FuzzRead(f *testing.F) {
	body, ct := multipartBody(f, []byte("%PDF-1.4"))
	f.Add(body, ct, "")
	f.Add([]byte(`{"a":"`+strings.Repeat("QUJD", 100)+`","name":"x.pdf"}`), "application/json", "")
	f.Add([]byte("a=1&b=2"), "application/x-www-form-urlencoded", "")
	f.Add([]byte{0x1f, 0x8b, 0, 0}, ct, "gzip")
	f.Fuzz(func(t *testing.T, body []byte, ct, enc string) {
		h := http.Header{"Content-Type": {ct}, "Content-Encoding": {enc}}
		b, err := Read(bytes.NewReader(body), h, nil, Options{Dir: t.TempDir(), SpoolThreshold: 512, MaxInspect: 1 << 20, MaxJSON: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if b.Problem == "" && len(b.Files()) > 0 {
			if _, err := b.Rewrite(map[*Part][]byte{b.Files()[0]: []byte("z")}); err != nil && b.Format != "json" {
				t.Logf("rewrite: %v", err)
			}
		}
	})
}

// TestMultipartRelatedAsDriveSendsIt parses Google Drive's uploadType=multipart body (as the Google
// client libraries and rclone build it): JSON metadata, then the media with no Content-Disposition.
func TestMultipartRelatedAsDriveSendsIt(t *testing.T) {
	media := []byte("名称,手机\n上海星河,13800138000\n")
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", "application/json; charset=UTF-8")
	w, _ := mw.CreatePart(h)
	w.Write([]byte(`{"name":"客户.csv","parents":["root"]}`))
	h = textproto.MIMEHeader{}
	h.Set("Content-Type", "text/csv")
	w, _ = mw.CreatePart(h)
	w.Write(media)
	mw.Close()
	b := read(t, buf.Bytes(), http.Header{"Content-Type": {"multipart/related; boundary=" + mw.Boundary()}}, "https://www.googleapis.com/upload/drive/v3/files?uploadType=multipart")
	if b.Problem != "" {
		t.Fatalf("multipart/related held as a problem: %s", b.Problem)
	}
	files := b.Files()
	if len(files) != 1 || files[0].FileName != "客户.csv" {
		t.Fatalf("files: %+v", files)
	}
	if got, _ := io.ReadAll(files[0].Data.Reader()); !bytes.Equal(got, media) {
		t.Fatalf("media: %q", got)
	}
}

func TestTransferEncodedPartsAreDecoded(t *testing.T) {
	file := []byte("上海星河贸易,13800138000,zhang@example.cn\n")
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, cte := range []string{"base64", "quoted-printable"} {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="file"; filename="`+cte+`.csv"`)
		h.Set("Content-Transfer-Encoding", cte)
		w, _ := mw.CreatePart(h)
		if cte == "base64" {
			enc := base64.StdEncoding.EncodeToString(file)
			w.Write([]byte(enc[:20] + "\r\n" + enc[20:]))
		} else {
			qw := quotedprintable.NewWriter(w)
			qw.Binary = true
			qw.Write(file)
			qw.Close()
		}
	}
	mw.Close()
	b := read(t, buf.Bytes(), http.Header{"Content-Type": {mw.FormDataContentType()}}, "https://mail.163.com/upload")
	for _, p := range b.Files() {
		got, _ := io.ReadAll(p.Data.Reader())
		if !bytes.Equal(got, file) || p.Rewritable() {
			t.Errorf("%s: decoded %q, rewritable %v", p.FileName, got, p.Rewritable())
		}
	}
	if _, err := b.Rewrite(map[*Part][]byte{b.Files()[0]: []byte("x")}); err == nil {
		t.Error("a transfer-encoded part was rewritten in place")
	}
}

func TestBodiesWithoutContentType(t *testing.T) {
	for body, want := range map[string]string{
		`{"Msg":{"Content":"张三 13800138000"}}`: "json", "to=a%40b.cn&content=%E4%BD%A0%E5%A5%BD": "form",
		"客户张三，电话 13800138000": "text", "PK\x03\x04\x14\x00\x00\x00binary": "raw",
	} {
		b := read(t, []byte(body), http.Header{}, "https://wx.qq.com/cgi-bin/mmwebwx-bin/webwxsendmsg")
		if b.Format != want {
			t.Errorf("%.20q: %s, want %s", body, b.Format, want)
		}
	}
}

func TestBase64HiddenInFormAndMultipartFields(t *testing.T) {
	slice := bytes.Repeat([]byte("上海星河贸易有限公司,李伟,13800138000\n"), 20)
	enc := base64.RawStdEncoding.EncodeToString(slice) // BaiduPCS-Go strips the padding
	form := url.Values{"path": {"/客户.csv"}, "size": {"9999"}, "data_content": {enc}, "data_offset": {"0"}}.Encode()
	b := read(t, []byte(form), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, "https://pan.baidu.com/api/precreate")
	var found bool
	for _, p := range b.Files() {
		got, _ := io.ReadAll(p.Data.Reader())
		found = found || bytes.Equal(got, slice) && p.Field == "data_content"
	}
	if !found {
		t.Fatalf("base64 slice in a form field not decoded: %+v", b.Files())
	}
	// a data: URL pasted into a chat message field
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("content", "看图 data:image/png;base64,"+base64.StdEncoding.EncodeToString(slice)+" 谢谢")
	mw.Close()
	b = read(t, buf.Bytes(), http.Header{"Content-Type": {mw.FormDataContentType()}}, "https://wx.qq.com/send")
	if fs := b.Files(); len(fs) != 1 || fs[0].ContentType != "image/png" {
		t.Fatalf("data: URL in a field: %+v", fs)
	}
	// ordinary fields are not mistaken for base64: a hex digest, a long word
	form = url.Values{"md5": {strings.Repeat("a1b2c3d4", 40)}, "word": {strings.Repeat("abcdefghij", 40)}}.Encode()
	if fs := read(t, []byte(form), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, "https://x.example/").Files(); len(fs) != 0 {
		t.Fatalf("ordinary fields decoded as files: %d", len(fs))
	}
}

// TestDeepJSONIsNotWalked: nesting no application uses is refused before the walk (it would only burn CPU).
func TestDeepJSONIsNotWalked(t *testing.T) {
	for _, body := range []string{strings.Repeat("[", 300) + strings.Repeat("]", 300), strings.Repeat(`{"a":`, 300) + "1" + strings.Repeat("}", 300)} {
		b := read(t, []byte(body), http.Header{"Content-Type": {"application/json"}}, "https://x/")
		if !strings.Contains(b.Problem, "nested deeper") {
			t.Errorf("%.20s…: problem %q", body, b.Problem)
		}
	}
	ok := strings.Repeat(`{"a":[`, 100) + `"` + strings.Repeat("[", 500) + `"` + strings.Repeat("]}", 100) // brackets inside a string do not count
	if b := read(t, []byte(ok), http.Header{"Content-Type": {"application/json"}}, "https://x/"); b.Problem != "" {
		t.Errorf("a body 200 levels deep with brackets in a string: %q", b.Problem)
	}
}

// countingHash counts the bytes every spool hash sees.
type countingHash struct {
	hash.Hash
	n *atomic.Int64
}

func (c countingHash) Write(p []byte) (int, error) { c.n.Add(int64(len(p))); return c.Hash.Write(p) }

// TestEachByteHashedOnce: a body split into parts is hashed part by part, never as a whole as well.
func TestEachByteHashedOnce(t *testing.T) {
	var n atomic.Int64
	defer func(old func() hash.Hash) { newSHA256 = old }(newSHA256)
	newSHA256 = func() hash.Hash { return countingHash{sha256.New(), &n} }
	a, b := bytes.Repeat([]byte("a"), 300<<10), bytes.Repeat([]byte("b"), 200<<10)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("subject", "报价")
	for name, data := range map[string][]byte{"a.bin": a, "b.bin": b} {
		w, _ := mw.CreateFormFile("file", name)
		w.Write(data)
	}
	mw.Close()
	body := read(t, buf.Bytes(), http.Header{"Content-Type": {mw.FormDataContentType()}}, "https://x/")
	for _, p := range body.Files() {
		for range 3 { // asked again: computed once
			p.SHA256()
		}
	}
	if got := n.Load(); got != int64(len(a)+len(b)) {
		t.Errorf("hashed %d bytes of a %d-byte body with %d bytes of files", got, buf.Len(), len(a)+len(b))
	}
	n.Store(0)
	raw := read(t, a, http.Header{"Content-Type": {"application/octet-stream"}}, "https://x/up")
	raw.Files()[0].SHA256()
	raw.Raw.SHA256()
	if got := n.Load(); got != int64(len(a)) {
		t.Errorf("a raw body of %d bytes was hashed over %d bytes", len(a), got)
	}
}

// TestBodiesShareOneMemoryBudget: 50 bodies of 2 MB arriving at once hold at most the budget in memory;
// the rest waits on disk, and every byte of the budget is given back.
func TestBodiesShareOneMemoryBudget(t *testing.T) {
	budget := NewBudget(8 << 20)
	dir := t.TempDir()
	var wg sync.WaitGroup
	bodies := make([]*Body, 50)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data := bytes.Repeat([]byte{byte(i)}, 2<<20)
			b, err := Read(bytes.NewReader(data), http.Header{"Content-Type": {"application/octet-stream"}}, nil,
				Options{Dir: dir, Budget: budget, Length: int64(len(data))})
			if err != nil {
				t.Error(err)
				return
			}
			bodies[i] = b
		}()
	}
	wg.Wait()
	onDisk := 0
	for _, b := range bodies {
		if b.Raw.OnDisk() {
			onDisk++
		}
		if got := mustReadSpool(b.Raw); len(got) != 2<<20 {
			t.Fatalf("a body lost bytes: %d", len(got))
		}
	}
	if onDisk < 46 { // 8 MiB holds four 2 MiB bodies: the rest must have waited on disk
		t.Errorf("%d of 50 bodies on disk; the 8 MiB budget holds at most 4 in memory", onDisk)
	}
	for _, b := range bodies {
		b.Close()
	}
	if u := budget.Used(); u != 0 {
		t.Errorf("%d bytes of the budget were never given back", u)
	}
}
