package daemon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/sluice-dlp/sluice/internal/fixture"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/proxy/pipeline"
	"github.com/sluice-dlp/sluice/store"
)

// TestInspectionDrivesVerdicts sends real files through the proxy and checks the verdict the
// inspection engine leads to, whatever name the file is dressed up with.
func TestInspectionDrivesVerdicts(t *testing.T) {
	up := newUpstream(t, 8<<20)
	env := startEnv(t, up, watched, nil)
	xlsx := fixture.XLSX(fixture.Customers(10000, 1))
	send := func(host, name string, content []byte) pipeline.Refusal {
		_, ref := env.upload(t, "https://"+host+"/upload", name, content)
		return ref
	}
	for _, name := range []string{"客户清单.xlsx", "工作总结.txt", "风景.jpg"} {
		ref := send("pan.baidu.com", name, xlsx)
		if ref.Verdict != "block" {
			t.Errorf("10,000-row customer xlsx named %s to pan.baidu.com: %+v", name, ref)
		}
	}
	evs, _ := env.d.DB.Events(store.EventFilter{Verdict: "block"})
	disguised := 0
	for _, e := range evs {
		for _, f := range e.Files {
			if f.Name == "(message)" {
				continue
			}
			if f.Type != "xlsx" {
				t.Errorf("%s recorded as %q, not xlsx", f.Name, f.Type)
			}
			for _, s := range f.Findings {
				if bytes.HasPrefix([]byte(s), []byte("disguised")) {
					disguised++
				}
			}
		}
	}
	if disguised != 2 {
		t.Errorf("%d uploads recorded as disguised, want 2", disguised)
	}
	before := len(up.requests())
	pdf := fixture.PDF([]string{"Meeting notes", "nothing sensitive here"})
	if ref := send("mail.qq.com", "notes.pdf", pdf); ref.Verdict != "forwarded" {
		t.Fatalf("harmless PDF to mail.qq.com: %+v", ref)
	}
	got := up.requests()
	if len(got) != before+1 || bytes.Contains(got[before].Body, pdf) {
		t.Fatal("harmless PDF did not leave watermarked")
	}
	wm, _ := env.d.DB.Events(store.EventFilter{Verdict: "watermark"})
	if len(wm) != 1 || wm[0].Files[0].MarkID == "" {
		t.Fatalf("watermark verdict not recorded with its mark: %+v", wm)
	}
}

// TestWebWeChatMessageWithCustomerNumbersIsBlocked: a rep pastes customers' mobile numbers into
// web WeChat (webwxsendmsg JSON); the message is blocked, an ordinary chat message passes.
func TestWebWeChatMessageWithCustomerNumbersIsBlocked(t *testing.T) {
	up := newUpstream(t, 1<<20)
	env := startEnv(t, up, append(watched, "wx.qq.com"), nil)
	send := func(content string) int {
		body, _ := json.Marshal(map[string]any{"BaseRequest": map[string]any{"Uin": 123, "Sid": "abc"},
			"Msg": map[string]any{"Type": 1, "Content": content, "FromUserName": "@me", "ToUserName": "@friend", "LocalID": "1763", "ClientMsgId": "1763"}})
		req, _ := http.NewRequest("POST", "https://wx.qq.com/cgi-bin/mmwebwx-bin/webwxsendmsg?lang=zh_CN", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json;charset=UTF-8")
		code, _ := env.send(t, req)
		return code
	}
	if code := send("明天下午三点开会，记得带合同"); code != 200 {
		t.Fatalf("ordinary chat message: %d", code)
	}
	if code := send("王总 138 1234 5678，李经理 13987654321，赵姐 +86 136-0000-1111，都是老客户"); code != 403 {
		t.Fatalf("message with three customer mobiles: %d", code)
	}
	evs, _ := env.d.DB.Events(store.EventFilter{Action: "message", Verdict: "block"})
	if len(evs) != 1 || evs[0].Host != "wx.qq.com" {
		t.Fatalf("blocked message not audited: %+v", evs)
	}
	for _, f := range evs[0].Files {
		for _, s := range f.Findings {
			if strings.Contains(s, "13987654321") {
				t.Fatal("audit record holds an unmasked number")
			}
		}
	}
	if len(up.requests()) != 1 {
		t.Fatalf("upstream got %d messages, want only the ordinary one", len(up.requests()))
	}
}

// TestNetdiskRapidUploadOfRegisteredFileIsBlocked: Baidu's "rapid upload" sends only the block MD5 list
// of a file the netdisk already has; a registered sensitive file is recognised from that declaration.
func TestNetdiskRapidUploadOfRegisteredFileIsBlocked(t *testing.T) {
	up := newUpstream(t, 1<<20)
	env := startEnv(t, up, watched, nil)
	fp, err := store.ComputeFingerprint(bytes.NewReader(fixture.XLSX(fixture.Customers(50, 7))), "大客户名单.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	if err := env.d.DB.AddFingerprint(fp, "admin"); err != nil {
		t.Fatal(err)
	}
	if err := env.d.ReloadInspection(); err != nil {
		t.Fatal(err)
	}
	precreate := func(blocks []string) (int, pipeline.Refusal) {
		list, _ := json.Marshal(blocks)
		form := "path=%2F%E8%B5%84%E6%96%99.xlsx&size=" + strconv.FormatInt(fp.Size, 10) + "&isdir=0&autoinit=1&block_list=" + url.QueryEscape(string(list))
		req, _ := http.NewRequest("POST", "https://pan.baidu.com/rest/2.0/xpan/file?method=precreate", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return env.send(t, req)
	}
	if code, ref := precreate(fp.BlockMD5s); code != 403 || ref.Verdict != "block" || !strings.Contains(strings.Join(ref.Files, ","), "大客户名单.xlsx") {
		t.Fatalf("rapid upload of a registered file: %d %+v", code, ref)
	}
	// an unknown file's precreate opens a held session: Sluice answers it (never "rapid"), Baidu sees nothing yet
	list, _ := json.Marshal([]string{"0123456789abcdef0123456789abcdef"})
	req, _ := http.NewRequest("POST", "https://pan.baidu.com/rest/2.0/xpan/file?method=precreate",
		strings.NewReader("path=%2Fa.bin&size=10&isdir=0&autoinit=1&block_list="+url.QueryEscape(string(list))))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := env.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var pre struct {
		ReturnType int    `json:"return_type"`
		UploadID   string `json:"uploadid"`
	}
	json.NewDecoder(resp.Body).Decode(&pre)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-Sluice-Held") == "" || pre.ReturnType != 1 || pre.UploadID == "" || len(up.requests()) != 0 {
		t.Fatalf("precreate of an unknown file: %d %+v, upstream got %d requests", resp.StatusCode, pre, len(up.requests()))
	}
	// a true rapid upload (create with the file's MD5 and no upload id) of an unknown file cannot be judged
	req, _ = http.NewRequest("POST", "https://pan.baidu.com/api/create?a=commit",
		strings.NewReader("path=%2F%E5%AE%A2%E6%88%B7.xlsx&size=20480&isdir=0&rtype=3&block_list="+url.QueryEscape(string(list))))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if code, ref := env.send(t, req); code != 403 || ref.Verdict != "approval" || len(up.requests()) != 0 {
		t.Fatalf("rapid upload of an unknown file: %d %+v", code, ref)
	}
}

// TestEveryMethodWithABodyIsInspected: a body leaves by any method, so every method with one is judged.
func TestEveryMethodWithABodyIsInspected(t *testing.T) {
	up := newUpstream(t, 1<<20)
	env := startEnv(t, up, watched, nil)
	for _, m := range []string{"DELETE", "PROPFIND", "OPTIONS", "REPORT", "PATCH", "MKCOL", "LOCK", "SEARCH"} {
		req, _ := http.NewRequest(m, "https://pan.baidu.com/dav/客户.csv", bytes.NewReader(customerCSV(40)))
		req.Header.Set("Content-Type", "text/csv")
		if code, ref := env.send(t, req); code != http.StatusForbidden || ref.Verdict != "block" {
			t.Errorf("%s with a customer list: %d %+v", m, code, ref)
		}
	}
	if n := len(up.requests()); n != 0 {
		t.Errorf("%d requests reached the site", n)
	}
}

// TestListSplitAcrossFilesIsStillTheList: five files of eight contacts each, in one upload, are judged together.
func TestListSplitAcrossFilesIsStillTheList(t *testing.T) {
	up := newUpstream(t, 1<<20)
	env := startEnv(t, up, watched, nil)
	rows := strings.Split(strings.TrimSpace(string(customerCSV(40))), "\n")[1:]
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i := range 5 {
		w, _ := mw.CreateFormFile("file", fmt.Sprintf("名单-%d.csv", i+1))
		io.WriteString(w, "客户名称,联系人,手机,邮箱\n"+strings.Join(rows[i*8:(i+1)*8], "\n")+"\n")
	}
	mw.Close()
	req, _ := http.NewRequest("POST", "https://mail.163.com/upload", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if code, ref := env.send(t, req); code != http.StatusForbidden || ref.Verdict != "approval" {
		t.Fatalf("a list split into five files: %d %+v", code, ref)
	}
}

// TestListSentInPiecesIsStillTheList: a list sent as several uploads of a few rows each by the same rep
// within the window is judged as one: the second piece is held; a harmless file is not; after the window
// a piece passes again.
func TestListSentInPiecesIsStillTheList(t *testing.T) {
	up := newUpstream(t, 1<<20)
	env := startEnv(t, up, watched, nil)
	rows := strings.Split(strings.TrimSpace(string(customerCSV(40))), "\n")[1:]
	piece := func(i int) []byte {
		return []byte("客户名称,联系人,手机,邮箱\n" + strings.Join(rows[i*8:(i+1)*8], "\n") + "\n")
	}
	now := time.Now()
	env.d.SetClock(func() time.Time { return now })
	if code, ref := env.upload(t, "https://mail.163.com/upload", "名单-1.csv", piece(0)); code != 200 {
		t.Fatalf("the first piece (8 contacts, under every threshold): %d %+v", code, ref)
	}
	code, ref := env.upload(t, "https://mail.163.com/upload", "名单-2.csv", piece(1))
	if code != http.StatusForbidden || ref.Verdict != "approval" || !strings.Contains(strings.Join(ref.Reasons, " "), "最近 60 分钟") {
		t.Fatalf("the second piece: %d %+v", code, ref)
	}
	if code, _ := env.upload(t, "https://mail.163.com/upload", "notes.txt", []byte("会议纪要")); code != 200 {
		t.Errorf("a harmless file after the pieces: %d", code)
	}
	env.d.SetClock(func() time.Time { return now.Add(61 * time.Minute) })
	if code, ref := env.upload(t, "https://mail.163.com/upload", "名单-3.csv", piece(2)); code != 200 {
		t.Errorf("a piece after the window: %d %+v", code, ref)
	}
}
