package daemon

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-dlp/sluice/internal/fixture"
	"github.com/sluice-dlp/sluice/store"
)

// partsOf parses a multipart body the upstream received.
func partsOf(t *testing.T, r received) map[string][]byte {
	t.Helper()
	_, params, err := mime.ParseMediaType(r.ContentType)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	mr := multipart.NewReader(bytes.NewReader(r.Body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("upstream got invalid multipart: %v", err)
		}
		data, _ := io.ReadAll(p)
		out[p.FormName()] = data
	}
}

// traced decodes a file that left and resolves it in the outbound archive.
func (e *testEnv) traced(t *testing.T, data []byte) *store.Outbound {
	t.Helper()
	res, err := e.d.Marker.Decode(data)
	if err != nil || !res.Found {
		t.Fatalf("no mark found in the file that left: %+v %v", res, err)
	}
	o, err := e.d.DB.Outbound(res.MarkID)
	if err != nil {
		t.Fatalf("mark %012x not in the archive: %v", res.MarkID, err)
	}
	return o
}

func pdftotext(t *testing.T, pdf []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f.pdf")
	os.WriteFile(p, pdf, 0o644)
	out, err := exec.Command("pdftotext", p, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext cannot read the marked PDF: %v %s", err, out)
	}
	return string(out)
}

func TestPermittedUploadsArriveWatermarked(t *testing.T) {
	up := newUpstream(t, 64<<20)
	env := startEnv(t, up, watched, nil)
	pdf := fixture.PDF([]string{"Quarterly plan", "internal draft"}, []string{"page two"})
	jpg := fixture.JPEG(fixture.Photo(800, 600, 3), 88)

	t.Run("multipart PDF and JPEG to mail.163.com", func(t *testing.T) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("to", "friend@163.com")
		fw, _ := mw.CreateFormFile("att1", "计划.pdf")
		fw.Write(pdf)
		fw, _ = mw.CreateFormFile("att2", "photo.jpg")
		fw.Write(jpg)
		mw.WriteField("subject", "资料")
		mw.Close()
		before := len(up.requests())
		req, _ := http.NewRequest("POST", "https://mail.163.com/js6/upload", bytes.NewReader(buf.Bytes()))
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err := env.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		got := up.requests()[before]
		if cl := got.Header.Get("Content-Length"); cl != fmt.Sprint(got.Size) {
			t.Fatalf("Content-Length %s but %d bytes arrived", cl, got.Size)
		}
		parts := partsOf(t, got)
		if string(parts["to"]) != "friend@163.com" || string(parts["subject"]) != "资料" {
			t.Fatal("other fields changed")
		}
		if bytes.Equal(parts["att1"], pdf) || bytes.Equal(parts["att2"], jpg) {
			t.Fatal("a file left unmarked")
		}
		o := env.traced(t, parts["att1"])
		if o.User != "zhangsan" || o.Host != "mail.163.com" || o.StaffID != "A1024" || o.FileName != "计划.pdf" {
			t.Fatalf("PDF traced to %+v", o)
		}
		if text := pdftotext(t, parts["att1"]); !strings.Contains(text, "Quarterly plan") {
			t.Fatalf("content lost from the marked PDF:\n%s", text)
		}
		if changed := renderedChange(t, pdf, parts["att1"]); changed < 0.02 {
			t.Fatalf("rendered page shows no visible mark (%.1f%% of pixels changed)", changed*100)
		}
		if o := env.traced(t, parts["att2"]); o.FileName != "photo.jpg" || o.Type != "jpeg" {
			t.Fatalf("JPEG traced to %+v", o)
		}
		img, format, err := image.Decode(bytes.NewReader(parts["att2"]))
		if err != nil || format != "jpeg" || img.Bounds().Dx() != 800 || img.Bounds().Dy() != 600 {
			t.Fatalf("marked JPEG: %v %s %v", err, format, img.Bounds())
		}
	})

	t.Run("raw PUT JPEG", func(t *testing.T) {
		before := len(up.requests())
		req, _ := http.NewRequest("PUT", "https://mail.163.com/upload/photo.jpg", bytes.NewReader(jpg))
		req.Header.Set("Content-Type", "image/jpeg")
		resp, err := env.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := up.requests()[before]
		if resp.StatusCode != 200 || bytes.Equal(got.Body, jpg) || got.Header.Get("Content-Length") != fmt.Sprint(got.Size) {
			t.Fatalf("status %d, unmarked=%v", resp.StatusCode, bytes.Equal(got.Body, jpg))
		}
		if o := env.traced(t, got.Body); o.Path != "/upload/photo.jpg" {
			t.Fatalf("traced to %+v", o)
		}
	})

	t.Run("base64 JSON to outlook.live.com", func(t *testing.T) {
		before := len(up.requests())
		doc := map[string]any{"Body": map[string]any{"Attachments": []any{map[string]any{
			"Name": "plan.pdf", "ContentType": "application/pdf", "ContentBytes": base64.StdEncoding.EncodeToString(pdf)}}}}
		body, _ := json.Marshal(doc)
		req, _ := http.NewRequest("POST", "https://outlook.live.com/owa/service.svc?action=CreateAttachment", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := env.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := up.requests()[before]
		var back struct {
			Body struct {
				Attachments []struct{ Name, ContentBytes string }
			}
		}
		if err := json.Unmarshal(got.Body, &back); err != nil {
			t.Fatalf("rewritten JSON invalid: %v", err)
		}
		att, _ := base64.StdEncoding.DecodeString(back.Body.Attachments[0].ContentBytes)
		if back.Body.Attachments[0].Name != "plan.pdf" || bytes.Equal(att, pdf) {
			t.Fatal("attachment not marked")
		}
		if o := env.traced(t, att); o.Host != "outlook.live.com" {
			t.Fatalf("traced to %+v", o)
		}
	})

	// the audit log shows the marks
	evs, _ := env.d.DB.Events(store.EventFilter{Verdict: "watermark"})
	marked := 0
	for _, e := range evs {
		for _, f := range e.Files {
			if f.MarkID != "" {
				marked++
			}
		}
	}
	if marked != 4 {
		t.Fatalf("%d marked files in the audit log, want 4", marked)
	}
}

func TestIntegrityCheckedUploadIsNotRewritten(t *testing.T) {
	up := newUpstream(t, 8<<20)
	env := startEnv(t, up, watched, nil)
	pdf := fixture.PDF([]string{"price list"})
	send := func() *http.Response {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("md5", "9e107d9d372bb6826bd81d3542a419d6") // QQ mail declares the original's hash
		fw, _ := mw.CreateFormFile("file", "报价.pdf")
		fw.Write(pdf)
		mw.Close()
		req, _ := http.NewRequest("POST", "https://mail.qq.com/cgi-bin/upload", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err := env.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := send(); resp.StatusCode != 403 || len(up.requests()) != 0 {
		t.Fatalf("integrity-checked upload: status %d, upstream got %d", resp.StatusCode, len(up.requests()))
	}
	evs, _ := env.d.DB.Events(store.EventFilter{Verdict: "approval"})
	req := approveEvent(t, env, evs[0].ID)
	if resp := send(); resp.StatusCode != 200 {
		t.Fatalf("after approval: %d", resp.StatusCode)
	}
	parts := partsOf(t, up.requests()[0])
	if !bytes.Equal(parts["file"], pdf) {
		t.Fatal("integrity-checked upload was rewritten: the netdisk/mail would reject it")
	}
	arch, _ := env.d.DB.Archive(store.ArchiveFilter{})
	if len(arch) != 1 || arch[0].Note != "unmarked: integrity-checked upload" || arch[0].ApprovalID != req {
		t.Fatalf("archive: %+v", arch)
	}
}

func TestCorruptPDFIsHeld(t *testing.T) {
	up := newUpstream(t, 8<<20)
	env := startEnv(t, up, watched, nil)
	pdf := fixture.PDF([]string{"hello"})
	corrupt := append(pdf[:len(pdf)/2:len(pdf)/2], []byte("garbage")...)
	code, ref := env.upload(t, "https://mail.163.com/upload", "合同.pdf", corrupt)
	if code != 403 || ref.Verdict != "approval" || len(up.requests()) != 0 {
		t.Fatalf("corrupt PDF: %d %+v, upstream got %d", code, ref, len(up.requests()))
	}
}

func TestGrantedUploadArrivesMarkedAndNamesApproval(t *testing.T) {
	up := newUpstream(t, 8<<20)
	env := startEnv(t, up, watched, nil)
	var lines []string
	for _, c := range fixture.Customers(30, 5) {
		lines = append(lines, "Contact Zhang Wei "+c.Mobile+" "+c.Email)
	}
	pdf := fixture.PDF(lines)
	send := func() int {
		code, _ := env.upload(t, "https://mail.163.com/upload", "客户报价.pdf", pdf)
		return code
	}
	if code := send(); code != 403 {
		t.Fatalf("sensitive PDF not held: %d", code)
	}
	evs, _ := env.d.DB.Events(store.EventFilter{Verdict: "approval"})
	reqID := approveEvent(t, env, evs[0].ID)
	if code := send(); code != 200 {
		t.Fatalf("granted retry: %d", code)
	}
	left := partsOf(t, up.requests()[0])["file"]
	o := env.traced(t, left)
	if o.ApprovalID != reqID || o.GrantID == "" || o.User != "zhangsan" {
		t.Fatalf("granted upload record: %+v", o)
	}
}

// renderedChange renders page 1 of both PDFs with pdftoppm and returns the share of pixels that differ visibly.
func renderedChange(t *testing.T, before, after []byte) float64 {
	t.Helper()
	render := func(pdf []byte) image.Image {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "f.pdf"), pdf, 0o644)
		if out, err := exec.Command("pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-png", filepath.Join(dir, "f.pdf"), filepath.Join(dir, "p")).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v %s", err, out)
		}
		matches, _ := filepath.Glob(filepath.Join(dir, "p*.png"))
		f, err := os.Open(matches[0])
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		img, _, err := image.Decode(f)
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	a, b := render(before), render(after)
	if a.Bounds() != b.Bounds() {
		t.Fatalf("page size changed: %v → %v", a.Bounds(), b.Bounds())
	}
	diff, total := 0, 0
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			d := absDiff(r1, r2) + absDiff(g1, g2) + absDiff(b1, b2)
			if d > 3*12*257 {
				diff++
			}
			total++
		}
	}
	return float64(diff) / float64(total)
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

// approveEvent files a request for a held event and has lead and head approve it; returns the request id.
func approveEvent(t *testing.T, env *testEnv, eventID uint64) string {
	t.Helper()
	var filed struct {
		RequestID string `json:"request_id"`
	}
	if code := env.api(t, env.token(t, "zhangsan"), "POST", "/api/requests", map[string]any{"event_id": eventID, "receiver": "客户采购", "purpose": "报价", "days": 3}, &filed); code != 201 {
		t.Fatalf("file request: %d", code)
	}
	for _, who := range []string{"lisi", "wangwu"} {
		if code := env.api(t, env.token(t, who), "POST", "/api/requests/"+filed.RequestID+"/approve", nil, nil); code != 200 {
			t.Fatalf("%s approve: %d", who, code)
		}
	}
	return filed.RequestID
}
