package daemon

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/store"
)

// sliceClients are the real clients' sliced-upload code, by protocol.
var sliceClients = []struct {
	name   string
	upload func(r *runner, file []byte, name string) string
}{
	{"Baidu superfile2 (OpenList, BaiduPCS-Go)", baiduClient},
	{"阿里云盘 createWithFolders → OSS parts → complete", aliyunClient},
	{"S3 multipart (rclone)", s3Client("bkt.s3.amazonaws.com")},
	{"Aliyun OSS multipart (夸克/UC/115 data hosts)", s3Client("bkt.oss-cn-hangzhou.aliyuncs.com")},
	{"Azure blocks (rclone)", azureClient},
	{"Web WeChat chunks", wechatClient},
	{"Google Drive resumable (rclone)", driveClient},
	{"Cloud Storage resumable, X-GUploader-No-308 (gensupport)", gcsClient},
	{"X-Goog-Upload (Gemini Files, python-genai)", scottyClient},
	{"OneDrive upload session (rclone)", onedriveClient},
	{"Dropbox upload session (rclone)", dropboxClient},
	{"tus (tus-js-client)", tusClient},
	{"Qiniu resumable v2 (蓝奏云优享)", qiniuClient},
	{"123云盘 open platform", pan123Client},
}

// sliceHosts are the services' names the stand-in answers for.
var sliceHosts = []string{"pan.baidu.com", "d.pcs.baidu.com", "api.aliyundrive.com", "cn-beijing-data.aliyundrive.net", "bkt.s3.amazonaws.com",
	"bkt.oss-cn-hangzhou.aliyuncs.com", "acct.blob.core.windows.net", "file.wx.qq.com", "www.googleapis.com", "storage.googleapis.com",
	"generativelanguage.googleapis.com", "graph.microsoft.com", "sn3302.up.1drv.com", "content.dropboxapi.com", "tusd.tusdemo.net",
	"upload.qiniup.com", "open-api.123pan.com", "openapi-upload.123242.com"}

// startSliceEnv runs the proxy in front of the stand-in; harmless files may leave to every category.
func startSliceEnv(t *testing.T, mod func(*Config)) (*testEnv, *slicedSite) {
	site := newSlicedSite(t)
	up := &upstream{}
	serveUpstream(t, up, site, sliceHosts...)
	env := startEnv(t, up, sliceHosts, mod)
	for c, rule := range env.d.Policy.Rules {
		rule.OtherFile = policy.Allow
		env.d.Policy.Rules[c] = rule
	}
	return env, site
}

// harmlessFile is a price list of n lines: text, no customer data.
func harmlessFile(n int) []byte {
	var b strings.Builder
	b.WriteString("产品编号,名称,单价\n")
	for i := range n {
		fmt.Fprintf(&b, "SKU-%05d,不锈钢法兰 DN%d,%d.%02d\n", i, 10+i%300, 100+i*7%900, i%100)
	}
	return []byte(b.String())
}

var mobile = regexp.MustCompile(`1[3-9]\d{9}`)

// approveDeclaration lets 123云盘's create (which declares the file's MD5, a possible rapid upload) through:
// the rep files the held declaration and the lead and department head approve it.
func approveDeclaration(t *testing.T, env *testEnv, r *runner) {
	t.Helper()
	if r.last == nil || r.last.StatusCode != http.StatusForbidden {
		t.Fatalf("the declaration was not held: %v", r.last)
	}
	ref := decodeRefusalBytes(t, r.body)
	if ref.Verdict != "approval" || ref.EventID == 0 {
		t.Fatalf("the declaration was not held for approval: %+v", ref)
	}
	approveEvent(t, env, ref.EventID)
}

// TestSlicedUploadsAreJudgedWhole replays every client's sliced upload through the real proxy to a
// stand-in that keeps the real protocol's server side: a harmless file of several slices arrives
// byte-identical and is recorded as one file; a customer list is stopped with none of its bytes at the site.
func TestSlicedUploadsAreJudgedWhole(t *testing.T) {
	env, site := startSliceEnv(t, nil)
	for i, c := range sliceClients {
		t.Run(c.name, func(t *testing.T) {
			name := fmt.Sprintf("报价单-%02d.csv", i)
			harmless := harmlessFile(9000 + i*37) // over 256 KiB: four or more slices
			r := &runner{t: t, e: env}
			key := c.upload(r, harmless, name)
			if strings.Contains(c.name, "123") {
				approveDeclaration(t, env, r)
				r = &runner{t: t, e: env}
				key = c.upload(r, harmless, name)
			}
			if r.last == nil || r.last.StatusCode/100 != 2 {
				t.Fatalf("the harmless file did not go through: %v %s", r.last, r.body)
			}
			got, ok := site.file(key)
			if !ok || !bytes.Equal(got, harmless) {
				t.Fatalf("the site has %d bytes under %q, want the %d-byte file", len(got), key, len(harmless))
			}
			sum := sha256.Sum256(harmless)
			if ev := uploadEventFor(t, env, hex.EncodeToString(sum[:])); ev == nil || ev.Verdict != "allow" {
				t.Errorf("the whole file was not recorded once as allowed: %+v", ev)
			}

			list := customerCSV(3000)
			r = &runner{t: t, e: env}
			key = c.upload(r, list, "客户-"+name)
			if strings.Contains(c.name, "123") {
				approveDeclaration(t, env, r)
				r = &runner{t: t, e: env}
				key = c.upload(r, list, "客户-"+name)
			}
			if r.last == nil || r.last.StatusCode != http.StatusForbidden {
				t.Fatalf("the customer list was not stopped: %v %s", r.last, r.body)
			}
			if ref := decodeRefusalBytes(t, r.body); ref.Verdict == "allow" || len(ref.Files) == 0 {
				t.Errorf("refusal %+v", ref)
			}
			if _, ok := site.file(key); ok {
				t.Error("the site completed the customer list")
			}
			if site.sawPhonesOf(list) {
				t.Error("bytes of the customer list reached the site")
			}
			if n, held := env.d.Sessions.Sweep(); n != 0 || held != 0 {
				t.Errorf("after the verdict %d sessions (%d bytes) are still held", n, held)
			}
		})
	}
}

// uploadEventFor returns the upload event that recorded a file with this SHA-256.
func uploadEventFor(t *testing.T, env *testEnv, sum string) *store.Event {
	evs, err := env.d.DB.Events(store.EventFilter{Action: "upload"})
	if err != nil {
		t.Fatal(err)
	}
	var found *store.Event
	for _, ev := range evs {
		for _, f := range ev.Files {
			if f.SHA256 == sum {
				if found != nil {
					t.Errorf("the file is recorded twice: events %d and %d", found.ID, ev.ID)
				}
				found = ev
			}
		}
	}
	return found
}

// TestAbandonedSlicedUploadIsNeverReleased: slices of a file that never completes are held, then dropped
// when the session idles out; nothing of them ever reaches the site.
func TestAbandonedSlicedUploadIsNeverReleased(t *testing.T) {
	env, site := startSliceEnv(t, nil)
	file := harmlessFile(5000)
	r := &runner{t: t, e: env}
	base := "https://bkt.s3.amazonaws.com/sluice/abandoned.csv"
	r.do("POST", base+"?uploads=", nil, nil)
	id := between(string(r.body), "<UploadId>", "</UploadId>")
	for i, p := range chunks(file, sliceSize)[:2] {
		r.do("PUT", fmt.Sprintf("%s?partNumber=%d&uploadId=%s", base, i+1, id), nil, p)
	}
	if n, held := env.d.Sessions.Sweep(); n != 1 || held != 2*sliceSize {
		t.Fatalf("held %d sessions, %d bytes", n, held)
	}
	env.d.SetClock(func() time.Time { return time.Now().Add(31 * time.Minute) })
	if n, held := env.d.Sessions.Sweep(); n != 0 || held != 0 {
		t.Fatalf("an idle session was kept: %d, %d bytes", n, held)
	}
	// the client comes back and completes: the parts are gone, nothing is released
	r.do("POST", base+"?uploadId="+id, map[string]string{"Content-Type": "application/xml"},
		[]byte("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part><Part><PartNumber>2</PartNumber><ETag>y</ETag></Part></CompleteMultipartUpload>"))
	if r.last.StatusCode != http.StatusForbidden {
		t.Errorf("completing an expired session: %d %s", r.last.StatusCode, r.body)
	}
	if site.sawAny(file[:200], file[sliceSize:sliceSize+200]) {
		t.Error("slices of the abandoned file reached the site")
	}
}

// TestUnholdableSlicesFailClosed: protocols Sluice cannot answer for (QQ Mail's large attachments,
// partial 163 uploads, unknown Content-Range uploads) get the "can't inspect" verdict, and nothing of
// them is forwarded.
func TestUnholdableSlicesFailClosed(t *testing.T) {
	hosts := []string{"xmfd.ftn.qq.com", "mail.163.com", "files.example-transfer.net"}
	site := newSlicedSite(t)
	up := &upstream{}
	serveUpstream(t, up, site, hosts...)
	env := startEnv(t, up, hosts, nil)
	slice := append([]byte{0xab, 0xcd, 0x00, 0x01, 0x00, 0x00, 0x02, 0x00}, customerCSV(40)[:900]...)
	r := &runner{t: t, e: env}
	for _, rq := range []struct {
		url string
		hdr map[string]string
	}{
		{"https://xmfd.ftn.qq.com/ftn_handler/5d41402abc4b2a76b9719d911017c592?bmd5=5d41402abc4b2a76b9719d911017c592&isthumb=0", map[string]string{"Content-Type": "application/octet-stream"}},
		{"https://mail.163.com/upxmail/upload?sid=abc&uid=rep%40163.com", map[string]string{"Mail-Upload-Name": "a.csv", "Mail-Upload-Offset": "0", "Mail-Upload-Length": "908", "Mail-Upload-Size": "90800"}},
		{"https://files.example-transfer.net/up/42", map[string]string{"Content-Range": "bytes 0-907/90800"}},
	} {
		r.stopped = false
		r.do("POST", rq.url, rq.hdr, slice)
		if r.last.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d", rq.url, r.last.StatusCode)
			continue
		}
		if ref := decodeRefusalBytes(t, r.body); ref.Verdict == "allow" || !strings.Contains(strings.Join(ref.Reasons, " "), "") {
			t.Errorf("%s: %+v", rq.url, ref)
		}
	}
	if site.sawAny(slice[8:200]) {
		t.Error("a slice nobody could judge reached the site")
	}
}
