package console

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/store"
)

// rawCodes are what the audit record keeps and a person must never read.
var rawCodes = []string{"phone×", "contact_record", "keyword×", "customer_match", "(message)", "unmarked:"}

// get fetches path with cl (a signed-in client, or nil with a bearer token) and returns status and body.
func get(t *testing.T, c *console, cl *http.Client, token, method, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, c.url+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
	} else if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if cl == nil {
		cl = c.client(t)
	}
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// chineseOnly fails when a zh-CN screen shows English phrases or raw finding codes.
func chineseOnly(t *testing.T, what, body string, page bool) {
	t.Helper()
	// The JSON's human fields at the top (the event and request records below keep the codes, by contract).
	var top map[string]json.RawMessage
	json.Unmarshal([]byte(body), &top)
	var texts []string
	for _, k := range []string{"message", "reasons", "findings", "waiting_for_name", "file_words", "files", "reviewers"} {
		if _, event := top["event"]; k == "files" && !event {
			continue // a request's own "files" are the stored records; GET /api/events/{id} has them in words
		}
		if v, ok := top[k]; ok {
			texts = append(texts, api.JSONTexts([]byte(`{"v":`+string(v)+`}`), "v")...)
		}
	}
	if page {
		texts = api.HTMLTexts(body)
	}
	if bad := api.Untranslated(texts); len(bad) > 0 {
		t.Errorf("%s: English in a zh-CN screen: %q", what, bad)
	}
	for _, c := range rawCodes {
		if strings.Contains(strings.Join(texts, "\n"), c) {
			t.Errorf("%s shows the raw code %q", what, c)
		}
	}
}

// approved files a request for ev as zhang (max uses 1), has li and wang approve it, and returns it.
func approved(t *testing.T, c *console, ev *store.Event) *store.Request {
	t.Helper()
	r, err := c.db.FileRequest("zhang", store.NewRequest{EventID: ev.ID, Receiver: "赵六（ACME 采购部）", Purpose: "报价确认", Days: 7, MaxUses: 1}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.db.Act(r.ID, "li", store.ActApprove, "同意", time.Now()); err != nil {
		t.Fatal(err)
	}
	if r, err = c.db.Act(r.ID, "wang", store.ActApprove, "可以", time.Now()); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestChineseScreensHaveNoEnglish(t *testing.T) {
	c := newConsole(t)
	sum, _ := c.db.PutBlobBytes([]byte("客户名单\n上海甲公司 王伟 13812345678\n"))
	ev := &store.Event{Action: "upload", User: "zhang", Host: "mail.qq.com", Category: "webmail", Verdict: "approval",
		Reasons: []string{"「客户报价单.txt」含客户资料：手机号 12 个（发往QQ邮箱）"}, Files: []store.FileRecord{{Name: "客户报价单.txt", Size: 40,
			SHA256: sum, Blob: sum, Findings: []string{"phone×12", "contact_record×12", "keyword×1"}}}}
	if err := c.db.AppendEvent(ev); err != nil {
		t.Fatal(err)
	}
	msg := &store.Event{Action: "message", User: "zhang", Host: "wx.qq.com", Verdict: "block", Reasons: []string{"消息含客户资料：手机号 30 个（发往微信网页版）"},
		Files: []store.FileRecord{{Name: "(message)", Kind: store.FileKindMessage, Findings: []string{"phone×30"}, SHA256: strings.Repeat("a", 64)}}}
	if err := c.db.AppendEvent(msg); err != nil {
		t.Fatal(err)
	}
	req := approved(t, c, ev)
	gs, err := c.db.UseGrants("zhang", "mail.qq.com", "webmail", []string{ev.Files[0].SHA256}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c.db.PutOutbound(&store.Outbound{EventID: ev.ID + 5, Time: time.Now(), User: "zhang", DisplayName: "张三", Host: "mail.qq.com",
		Category: "webmail", FileName: "客户报价单.txt", Type: "txt", OrigSHA256: ev.Files[0].SHA256, ApprovalID: req.ID, GrantID: gs[0].ID,
		Note: "unmarked: not a PDF or image"})
	ev2 := c.hold(t, "zhang", "mail.qq.com", map[string][]byte{"客户报价单.txt": []byte("客户名单 第二版\n")})

	zhang, li, inv, eve := c.login(t, "zhang"), c.login(t, "li"), c.login(t, "inv"), c.login(t, "eve")
	pages := []struct {
		who  *http.Client
		path string
		want []string
	}{
		{zhang, "/mine", []string{req.ID, "7 天", "已用完（1/1 次）"}},
		{zhang, "/request/" + req.ID, []string{"手机号 12 个", "联系人记录 12 条", "关键词 1 个", "已用完（1/1 次），如需再次发送请重新申请"}},
		{zhang, "/request/new?event=" + itoa(ev2.ID) + "&again=" + req.ID, []string{"申请 " + req.ID + " 已使用 1/1 次", "赵六（ACME 采购部）", "再次申请"}},
		{li, "/queue", nil},
		{li, "/history", []string{req.ID}},
		{li, "/request/" + req.ID, []string{"已用完"}},
		{inv, "/archive", []string{"未加水印：不是 PDF 或图片"}},
		{inv, "/audit", []string{"消息正文", "手机号 30 个", "已拦截", "批准", "提交申请"}},
		{eve, "/request/" + req.ID, []string{"找不到该记录"}},
	}
	for _, p := range pages {
		code, body := get(t, c, p.who, "", "GET", p.path, "")
		if code >= 500 {
			t.Fatalf("%s: %d", p.path, code)
		}
		chineseOnly(t, p.path, body, true)
		for _, w := range p.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s does not say %q", p.path, w)
			}
		}
	}
	// An action the store refuses shows its reason in Chinese.
	own, err := c.db.FileRequest("zhang", store.NewRequest{EventID: ev2.ID, Receiver: "赵六", Purpose: "报价", Days: 1, MaxUses: 1}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	code, body := get(t, c, zhang, "", "POST", "/request/"+own.ID+"/approve", "comment=ok")
	if code != http.StatusForbidden || !strings.Contains(body, "不能批准自己的申请") {
		t.Errorf("own approval: %d", code)
	}
	chineseOnly(t, "own approval page", body, true)

	// The API in Chinese: errors and answers.
	tok := c.tokens["zhang"]
	for _, call := range []struct{ method, path, body string }{
		{"POST", "/api/requests/" + req.ID + "/approve", ""},
		{"GET", "/api/requests/R-NOPE", ""},
		{"GET", "/api/nothing", ""},
		{"POST", "/api/requests", `{"event_id": 999}`},
		{"GET", "/api/requests/" + req.ID, ""},
		{"GET", "/api/events/" + itoa(msg.ID), ""},
	} {
		_, body := get(t, c, nil, tok, call.method, call.path, call.body)
		chineseOnly(t, call.method+" "+call.path, body, false)
	}
	var view api.Request
	_, body = get(t, c, nil, tok, "GET", "/api/requests/"+req.ID, "")
	json.Unmarshal([]byte(body), &view)
	if view.Usage == nil || view.Usage.UsesLeft != 0 || view.Usage.Uses != 1 || len(view.Findings) == 0 || view.Findings[0] != "客户报价单.txt：手机号 12 个、联系人记录 12 条、关键词 1 个" ||
		len(view.Reviewers) != 2 || view.Reviewers[0].DisplayName != "李经理" {
		t.Errorf("API request view: %s", body)
	}
	var evView struct {
		Files []api.FileWords `json:"files"`
	}
	_, body = get(t, c, nil, tok, "GET", "/api/events/"+itoa(msg.ID)+"?lang=en", "")
	json.Unmarshal([]byte(body), &evView)
	if len(evView.Files) != 1 || evView.Files[0].Name != "message text" || evView.Files[0].Findings[0] != "30 mobile numbers" {
		t.Errorf("API event in English: %s", body)
	}
}
