package daemon

import (
	"bytes"
	"compress/gzip"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"github.com/sluice-dlp/sluice/proxy/pipeline"
	"github.com/sluice-dlp/sluice/store"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
)

var watched = []string{"pan.baidu.com", "d.pcs.baidu.com", "mail.163.com", "mail.qq.com", "outlook.live.com"}

func multipartUpload(t testing.TB, name string, content []byte) (*bytes.Buffer, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("dir", "/我的资源")
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	mw.Close()
	return &buf, mw.FormDataContentType()
}

func decodeRefusal(t testing.TB, resp *http.Response) pipeline.Refusal {
	t.Helper()
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return decodeRefusalBytes(t, body)
}

// decodeRefusalBytes reads Sluice's JSON refusal.
func decodeRefusalBytes(t testing.TB, body []byte) pipeline.Refusal {
	t.Helper()
	var r pipeline.Refusal
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("refusal is not JSON: %s", body)
	}
	return r
}

func TestGetThroughMITMPassesIntact(t *testing.T) {
	up := newUpstream(t, 1<<20)
	env := startEnv(t, up, watched, nil)
	resp, err := env.client.Get("https://mail.qq.com/cgi-bin/frame_html?sid=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "upstream ok GET /cgi-bin/frame_html 0" {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
	// the browser saw our certificate (intercepted), issued by the Sluice CA, over HTTP/1.1
	leaf := resp.TLS.PeerCertificates[0]
	if leaf.Issuer.CommonName != env.d.CA.Cert.Subject.CommonName || resp.ProtoMajor != 1 {
		t.Fatalf("issuer %q proto %s", leaf.Issuer.CommonName, resp.Proto)
	}
}

func TestCustomerListUploadToNetdiskIsBlocked(t *testing.T) {
	up := newUpstream(t, 1<<20)
	env := startEnv(t, up, watched, nil)
	csv := customerCSV(40)
	gz := func(b []byte) []byte {
		var out bytes.Buffer
		zw := gzip.NewWriter(&out)
		zw.Write(b)
		zw.Close()
		return out.Bytes()
	}
	mp, ct := multipartUpload(t, "客户清单.csv", csv)
	cases := map[string]func() *http.Request{
		"multipart": func() *http.Request {
			r, _ := http.NewRequest("POST", "https://pan.baidu.com/api/upload?dir=%2F", bytes.NewReader(mp.Bytes()))
			r.Header.Set("Content-Type", ct)
			return r
		},
		"raw PUT": func() *http.Request {
			r, _ := http.NewRequest("PUT", "https://d.pcs.baidu.com/rest/2.0/pcs/file?method=upload&path=%2F%E5%AE%A2%E6%88%B7.csv", bytes.NewReader(csv))
			r.Header.Set("Content-Type", "application/octet-stream")
			return r
		},
		"gzip multipart": func() *http.Request {
			r, _ := http.NewRequest("POST", "https://pan.baidu.com/api/upload", bytes.NewReader(gz(mp.Bytes())))
			r.Header.Set("Content-Type", ct)
			r.Header.Set("Content-Encoding", "gzip")
			return r
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			req := mk()
			req.Header.Set("Sec-Fetch-Mode", "cors")
			resp, err := env.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusForbidden || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("status %d type %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			ref := decodeRefusal(t, resp)
			if ref.Verdict != "block" || ref.EventID == 0 || len(ref.Reasons) == 0 || ref.Error != "blocked_by_sluice" {
				t.Fatalf("refusal = %+v", ref)
			}
			ev, err := env.d.DB.Event(ref.EventID)
			if err != nil || ev.Verdict != "block" || ev.User != "zhangsan" || ev.Host == "" {
				t.Fatalf("audit event %+v err %v", ev, err)
			}
		})
	}
	if n := len(up.requests()); n != 0 {
		t.Fatalf("upstream received %d uploads that should have been blocked", n)
	}
}

func TestJSONBase64ToOutlookIsHeld(t *testing.T) {
	up := newUpstream(t, 1<<20)
	env := startEnv(t, up, watched, nil)
	doc := map[string]any{"__type": "CreateAttachmentJsonRequest:#Exchange", "Body": map[string]any{
		"Attachments": []any{map[string]any{"__type": "FileAttachment:#Exchange", "Name": "客户清单.csv",
			"ContentType": "text/csv", "ContentBytes": base64.StdEncoding.EncodeToString(customerCSV(40))}}}}
	body, _ := json.Marshal(doc)
	req, _ := http.NewRequest("POST", "https://outlook.live.com/owa/service.svc?action=CreateAttachmentFromLocalFile", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("X-Requested-With", "XMLHttpRequest")
	resp, err := env.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	ref := decodeRefusal(t, resp)
	if resp.StatusCode != 403 || ref.Verdict != "approval" || ref.FormURL == "" || ref.Files[0] != "客户清单.csv" {
		t.Fatalf("status %d refusal %+v", resp.StatusCode, ref)
	}
	ev, _ := env.d.DB.Event(ref.EventID)
	if ev.Files[0].Blob == "" {
		t.Fatal("held original not kept in the blob area")
	}
	if f, err := env.d.DB.OpenBlob(ev.Files[0].Blob); err != nil {
		t.Fatal(err)
	} else {
		got, _ := io.ReadAll(f)
		f.Close()
		if !bytes.Equal(got, customerCSV(40)) {
			t.Fatal("kept blob differs from the original")
		}
	}
	if len(up.requests()) != 0 {
		t.Fatal("held upload reached the upstream")
	}
}

func TestNavigationGetsHTMLRefusalPage(t *testing.T) {
	up := newUpstream(t, 1<<20)
	env := startEnv(t, up, watched, nil)
	mp, ct := multipartUpload(t, "客户清单.csv", customerCSV(40))
	req, _ := http.NewRequest("POST", "https://pan.baidu.com/upload", mp)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	resp, err := env.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(body), "上传已被拦截") || !strings.Contains(string(body), "客户清单.csv") {
		t.Fatalf("status %d body %s", resp.StatusCode, body)
	}
	req, _ = http.NewRequest("POST", "https://pan.baidu.com/upload", bytes.NewReader(mp.Bytes()))
	mp2, ct2 := multipartUpload(t, "客户清单.csv", customerCSV(40))
	req, _ = http.NewRequest("POST", "https://pan.baidu.com/upload", mp2)
	req.Header.Set("Content-Type", ct2)
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	req.Header.Set("Accept-Language", "en-US,en;q=0.9")
	resp, err = env.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "Upload blocked") {
		t.Fatalf("English page missing: %s", body)
	}
}

// TestEveryHostIsInterceptedButCorporateAndBypass: intercept by default. An unknown site is decrypted
// and judged as "other"; a bank (bypass) and a corporate channel are tunnelled with their own certificate.
func TestEveryHostIsInterceptedButCorporateAndBypass(t *testing.T) {
	up := newUpstream(t, 1<<20)
	env := startEnv(t, up, append(watched, "ebank.icbc.com.cn", "work.weixin.qq.com", "files.example-transfer.net"), nil)
	for _, host := range []string{"ebank.icbc.com.cn", "work.weixin.qq.com"} {
		resp, err := env.client.Get("https://" + host + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if !resp.TLS.PeerCertificates[0].Equal(up.cert()) {
			t.Fatalf("%s was decrypted: it presented %q, not its own certificate", host, resp.TLS.PeerCertificates[0].Subject)
		}
	}
	resp, err := env.client.Get("https://files.example-transfer.net/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.TLS.PeerCertificates[0].Equal(up.cert()) || resp.TLS.PeerCertificates[0].Issuer.CommonName != env.d.CA.Cert.Subject.CommonName {
		t.Fatalf("an unknown site was not intercepted: %q", resp.TLS.PeerCertificates[0].Issuer)
	}
	code, ref := env.upload(t, "https://files.example-transfer.net/api/upload", "客户清单.csv", customerCSV(40))
	if code != 403 || ref.Verdict != "approval" {
		t.Fatalf("customer list to an unknown site: %d %+v", code, ref)
	}
	if code, ref := env.upload(t, "https://files.example-transfer.net/api/upload", "notes.txt", []byte("hello")); code != 200 {
		t.Fatalf("harmless file to an unknown site: %d %+v", code, ref)
	}
	evs, _ := env.d.DB.Events(store.EventFilter{Host: "files.example-transfer.net"})
	if len(evs) != 2 || evs[0].Category != "other" || evs[1].Category != "other" {
		t.Fatalf("events of the unknown site: %+v", evs)
	}
	// the bank's upload is never inspected or recorded
	if code, _ := env.upload(t, "https://ebank.icbc.com.cn/upload", "客户清单.csv", customerCSV(40)); code != 200 {
		t.Fatalf("upload to a bypassed bank: %d", code)
	}
	if evs, _ := env.d.DB.Events(store.EventFilter{Host: "ebank.icbc.com.cn"}); len(evs) != 0 {
		t.Fatalf("a bypassed site was recorded: %+v", evs)
	}
}

func TestUntrustedUpstreamIsRefused(t *testing.T) {
	up := newUpstream(t, 1<<20)
	env := startEnv(t, up, watched, func(c *Config) { c.UpstreamCAs = nil })
	resp, err := env.client.Get("https://mail.qq.com/")
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Fatalf("untrusted upstream served through the proxy: %s", body)
		}
	}
	if len(up.requests()) != 0 {
		t.Fatal("request reached an upstream whose certificate is not trusted")
	}
	// the site that breaks under interception is recorded once, with the fix, and shown to admins
	env.client.Get("https://mail.qq.com/again")
	evs, _ := env.d.DB.Events(store.EventFilter{Action: "compat."})
	if len(evs) != 1 || evs[0].Host != "mail.qq.com" || !strings.Contains(evs[0].Extra["fix"], "bypass.hosts") {
		t.Fatalf("compatibility events: %+v", evs)
	}
	admin := loginConsole(t, env, "admin")
	r, err := admin.Get("http://" + env.d.ConsoleAddr() + "/audit")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if !strings.Contains(string(page), `id="compat"`) || !strings.Contains(string(page), "mail.qq.com") || !strings.Contains(string(page), "bypass.hosts") {
		t.Fatalf("the console does not show the site that broke: %s", page)
	}
}

// loginConsole signs name in on the console (the admin with the initial password) and returns the client.
func loginConsole(t *testing.T, env *testEnv, name string) *http.Client {
	t.Helper()
	pw, err := os.ReadFile(PathsFor(env.dir).InitialPassword)
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm("http://"+env.d.ConsoleAddr()+"/login", url.Values{"username": {name}, "password": {strings.TrimSpace(string(pw))}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return c
}

func TestProxyAuthentication(t *testing.T) {
	if _, err := New(Config{DataDir: t.TempDir(), Listen: "0.0.0.0:0", Console: "127.0.0.1:0"}); err == nil || !strings.Contains(err.Error(), "users add") {
		t.Fatalf("non-loopback listener without users started: %v", err)
	}
	if _, err := New(Config{DataDir: t.TempDir(), Listen: "0.0.0.0:0", Console: "127.0.0.1:0", User: "x"}); err == nil {
		t.Fatal("non-loopback listener with --user started")
	}
	up := newUpstream(t, 1<<20)
	env := startEnv(t, up, watched, func(c *Config) { c.Listen = "0.0.0.0:0"; c.User = "" })
	_, port, _ := strings.Cut(env.d.ProxyAddr(), "]:")
	if port == "" {
		_, port, _ = strings.Cut(env.d.ProxyAddr(), ":")
	}
	try := func(userinfo *url.Userinfo) (int, error) {
		pu := &url.URL{Scheme: "http", Host: "127.0.0.1:" + port, User: userinfo}
		pool := x509.NewCertPool()
		pool.AddCert(env.d.CA.Cert)
		c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu), TLSClientConfig: &tls.Config{RootCAs: pool}}}
		resp, err := c.Get("http://mail.qq.com/")
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	if code, _ := try(nil); code != http.StatusProxyAuthRequired {
		t.Fatalf("no credentials: %d", code)
	}
	if code, _ := try(url.UserPassword("zhangsan", "wrong-password")); code != http.StatusProxyAuthRequired {
		t.Fatalf("wrong password: %d", code)
	}
	// right password over plain HTTP reaches the (TLS-only) upstream stand-in: any answer but 407 proves auth passed
	if code, err := try(url.UserPassword("zhangsan", "secret-password")); code == http.StatusProxyAuthRequired {
		t.Fatalf("right password refused: %d %v", code, err)
	}
}

func TestPACFailsClosedForWatchedHosts(t *testing.T) {
	env := startEnv(t, nil, nil, nil)
	resp, err := http.Get("http://" + env.d.ConsoleAddr() + "/proxy.pac")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	pac := string(body)
	for _, want := range []string{`"pan.baidu.com":"P"`, `"pcs.baidu.com":"P"`, `"mail.qq.com":"P"`, `"work.weixin.qq.com":"D"`, `"icbc.com.cn":"D"`,
		`var viaSluice = "PROXY ` + env.d.ProxyAddr() + `"`, `var otherSites = "PROXY ` + env.d.ProxyAddr() + `; DIRECT"`} {
		if !strings.Contains(pac, want) {
			t.Errorf("PAC lacks %s", want)
		}
	}
	resp, err = http.Get("http://" + env.d.ConsoleAddr() + "/ca")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), env.d.CA.Fingerprint()) || !strings.Contains(string(body), "安装 Sluice 根证书") {
		t.Fatal("CA page lacks fingerprint or zh-CN title")
	}
}

func TestChunkedUploadIsInspected(t *testing.T) {
	up := newUpstream(t, 1<<20)
	env := startEnv(t, up, watched, nil)
	mp, ct := multipartUpload(t, "客户清单.csv", customerCSV(40))
	req, _ := http.NewRequest("POST", "https://pan.baidu.com/api/upload", io.MultiReader(mp)) // unknown length → chunked
	req.ContentLength = -1
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Sec-Fetch-Mode", "cors")
	resp, err := env.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if ref := decodeRefusal(t, resp); resp.StatusCode != 403 || ref.Verdict != "block" {
		t.Fatalf("chunked upload: %d %+v", resp.StatusCode, ref)
	}
	// an allowed chunked upload reaches the upstream with a correct Content-Length
	req, _ = http.NewRequest("PUT", "https://mail.163.com/upload/a.bin", io.MultiReader(strings.NewReader("just some bytes")))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err = env.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := up.requests()
	if resp.StatusCode != 200 || len(got) != 1 || string(got[0].Body) != "just some bytes" || got[0].Header.Get("Content-Length") != "15" {
		t.Fatalf("allowed chunked upload: %d %+v", resp.StatusCode, got)
	}
}

// panicky is a pipeline step that panics, standing in for a bug in an extractor or marker.
type panicky struct{}

func (panicky) Hook() pipeline.Hook        { return pipeline.HookInspect }
func (panicky) Run(f *pipeline.Flow) error { panic("extractor bug") }

func TestPanicInPipelineFailsClosedAndDaemonSurvives(t *testing.T) {
	up := newUpstream(t, 1<<20)
	env := startEnv(t, up, watched, nil)
	env.d.Pipeline.Add(panicky{})
	mp, ct := multipartUpload(t, "a.pdf", []byte("%PDF-1.4 x"))
	req, _ := http.NewRequest("POST", "https://mail.163.com/upload", mp)
	req.Header.Set("Content-Type", ct)
	resp, err := env.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 == 2 || len(up.requests()) != 0 {
		t.Fatalf("panicking pipeline forwarded the upload: %d", resp.StatusCode)
	}
	resp, err = env.client.Get("https://mail.163.com/still-alive")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("daemon did not survive the panic: %v", err)
	}
	resp.Body.Close()
	evs, _ := env.d.DB.Events(store.EventFilter{Verdict: "error"})
	if len(evs) != 1 || !strings.Contains(strings.Join(evs[0].Reasons, " "), "extractor bug") {
		t.Fatalf("panic not audited with its cause: %+v", evs)
	}
}

func TestOverInspectionLimitIsHeldNotAllowed(t *testing.T) {
	up := newUpstream(t, 1<<20)
	env := startEnv(t, up, watched, func(c *Config) { c.MaxInspect = 64 << 10; c.SpoolThreshold = 16 << 10 })
	big := bytes.Repeat([]byte("harmless bytes "), 10000) // 150 KB > 64 KB limit
	code, ref := env.upload(t, "https://mail.163.com/upload", "notes.txt", big)
	if code != 403 || ref.Verdict != "approval" || len(up.requests()) != 0 {
		t.Fatalf("over-limit upload: %d %+v, upstream got %d", code, ref, len(up.requests()))
	}
	ev, _ := env.d.DB.Event(ref.EventID)
	if len(ev.Files) != 1 || ev.Files[0].Blob == "" || ev.Files[0].Size <= 64<<10 {
		t.Fatalf("held body not kept whole: %+v", ev.Files)
	}
	if !strings.Contains(strings.Join(ev.Reasons, " "), "inspection limit") {
		t.Fatalf("reason does not say why: %v", ev.Reasons)
	}
}

func TestMalformedMultipartIsHeldWhole(t *testing.T) {
	up := newUpstream(t, 1<<20)
	env := startEnv(t, up, watched, nil)
	body := "--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"客户.csv\"\r\n\r\n张伟,13812345678\r\n" // no closing boundary
	req, _ := http.NewRequest("POST", "https://mail.163.com/upload", strings.NewReader(body))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=XYZ")
	code, ref := env.send(t, req)
	if code != 403 || ref.Verdict != "approval" || len(up.requests()) != 0 {
		t.Fatalf("malformed multipart: %d %+v", code, ref)
	}
	ev, _ := env.d.DB.Event(ref.EventID)
	f, err := env.d.DB.OpenBlob(ev.Files[0].Blob)
	if err != nil {
		t.Fatal(err)
	}
	kept, _ := io.ReadAll(f)
	f.Close()
	if string(kept) != body {
		t.Fatal("the malformed body was not kept byte for byte")
	}
}

// TestUnreachableUpstreamGets502AndErrorEvent: a site that cannot be reached gets the browser a 502
// page (not an empty reply), and the audit log records an error, never an allowed upload.
func TestUnreachableUpstreamGets502AndErrorEvent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	env := startEnv(t, nil, nil, func(c *Config) { c.Resolve = []string{"mail.163.com:443=" + dead} })
	req, _ := http.NewRequest("POST", "https://mail.163.com/upload", strings.NewReader("just a note"))
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Accept", "text/html")
	req.Header.Set("Accept-Language", "zh-CN")
	resp, err := env.client.Do(req)
	if err != nil {
		t.Fatalf("empty reply instead of an answer: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(body), "无法连接 mail.163.com") {
		t.Fatalf("unreachable site: %d %s", resp.StatusCode, body)
	}
	if evs, _ := env.d.DB.Events(store.EventFilter{Verdict: "allow"}); len(evs) != 0 {
		t.Fatalf("the log says the upload was allowed: %+v", evs)
	}
	evs, _ := env.d.DB.Events(store.EventFilter{Verdict: "error"})
	if len(evs) != 1 || evs[0].Extra["failed_at"] != "forward" || evs[0].Host != "mail.163.com" {
		t.Fatalf("error event: %+v", evs)
	}
	get, err := env.client.Get("https://mail.163.com/")
	if err != nil {
		t.Fatal(err)
	}
	get.Body.Close()
	if get.StatusCode != http.StatusBadGateway {
		t.Fatalf("GET to the unreachable site: %d", get.StatusCode)
	}
}

// TestUpstreamConnectionReusedWhenTheClientCloses: a client that sends Connection: close (and so opens a
// new CONNECT per request) still has its requests sent over one pooled connection to the site.
func TestUpstreamConnectionReusedWhenTheClientCloses(t *testing.T) {
	var handshakes atomic.Int64
	site := &upstream{}
	serveUpstream(t, site, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }), "mail.qq.com")
	site.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			handshakes.Add(1)
		}
	}
	env := startEnv(t, site, []string{"mail.qq.com"}, nil)
	for range 10 {
		req, _ := http.NewRequest("GET", "https://mail.qq.com/cgi-bin/frame_html", nil)
		req.Close = true
		resp, err := env.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if n := handshakes.Load(); n != 1 {
		t.Errorf("the site saw %d connections for 10 requests", n)
	}
}
