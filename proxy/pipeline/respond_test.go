package pipeline

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/fixture"
	"github.com/sluice-dlp/sluice/store"
)

// rawCodes are finding codes a person must never read.
var rawCodes = []string{"phone×", "contact_record", "keyword×", "customer_match", "(message)", "email×"}

func noRawCodes(t *testing.T, what, text string) {
	t.Helper()
	for _, c := range rawCodes {
		if strings.Contains(text, c) {
			t.Errorf("%s shows the raw code %q: %s", what, c, text)
		}
	}
}

// refuse runs a held upload of list to QQ Mail in lang, as a script (JSON) or a navigation (page).
func refuse(t *testing.T, d *Deps, list []byte, lang string, navigate bool, as ...*store.User) (*Flow, []byte) {
	t.Helper()
	f := flow(t, d, "https://mail.qq.com/cgi-bin/upload", map[string][]byte{"客户.csv": list}, map[string]string{"subject": "报价"})
	if len(as) > 0 {
		f.User = as[0]
	}
	f.Req.Header.Set("Accept-Language", lang)
	if navigate {
		f.Req.Header.Set("Sec-Fetch-Mode", "navigate")
	}
	runTo(t, d, f, HookRespond)
	if f.Response == nil || f.Response.StatusCode != http.StatusForbidden {
		t.Fatalf("not refused: %+v", f.Decision)
	}
	body, _ := io.ReadAll(f.Response.Body)
	return f, body
}

// withOrg stores the rep with a lead (李四) and head (王五).
func withOrg(t *testing.T, db *store.DB) {
	t.Helper()
	for _, u := range []*store.User{{Name: "lisi", DisplayName: "李四", Roles: []string{store.RoleReviewer}},
		{Name: "wangwu", DisplayName: "王五", Roles: []string{store.RoleReviewer}}} {
		if err := db.CreateUser("test", u); err != nil {
			t.Fatal(err)
		}
	}
	u := *rep
	u.Lead, u.Head = "lisi", "wangwu"
	if err := db.CreateUser("test", &u); err != nil {
		t.Fatal(err)
	}
}

func TestRefusalSaysFindingsInWordsInBothLanguages(t *testing.T) {
	d, tl := deps(t)
	withOrg(t, d.DB)
	org := *rep
	org.Lead, org.Head = "lisi", "wangwu"
	list := fixture.CSV(fixture.Customers(60, 7))

	_, body := refuse(t, d, list, "zh-CN,zh;q=0.9", false, &org)
	var ref Refusal
	if err := json.Unmarshal(body, &ref); err != nil {
		t.Fatal(err)
	}
	all := strings.Join(append(append([]string{ref.Message}, ref.Reasons...), ref.Findings...), "\n")
	noRawCodes(t, "zh-CN refusal JSON", all)
	if len(ref.Findings) != 2 || ref.Findings[1] != "消息正文：关键词 1 个" || !strings.HasPrefix(ref.Findings[0], "客户.csv：") || !strings.Contains(ref.Findings[0], "手机号 60 个") ||
		!strings.Contains(ref.Findings[0], "联系人记录 60 条") {
		t.Errorf("zh findings: %q", ref.Findings)
	}
	if !strings.Contains(strings.Join(ref.Reasons, ""), "手机号 60 个") || !strings.Contains(ref.Message, "批准后重新发送即可") {
		t.Errorf("zh reasons/message: %q / %q", ref.Reasons, ref.Message)
	}
	if bad := api.Untranslated(api.JSONTexts(body, "message", "reasons", "findings")); len(bad) > 0 {
		t.Errorf("English in the zh-CN refusal JSON: %q", bad)
	}

	_, body = refuse(t, d, list, "en-US,en;q=0.9", false)
	var en Refusal
	json.Unmarshal(body, &en)
	if len(en.Findings) != 2 || en.Findings[1] != "message text: 1 keyword" || !strings.Contains(en.Findings[0], "60 mobile numbers") || !strings.Contains(en.Findings[0], "60 contact records") {
		t.Errorf("en findings: %q", en.Findings)
	}
	noRawCodes(t, "English refusal JSON", strings.Join(append(en.Reasons, en.Findings...), "\n"))

	_, page := refuse(t, d, list, "zh-CN", true)
	noRawCodes(t, "zh-CN block page", string(page))
	if bad := api.Untranslated(api.HTMLTexts(string(page))); len(bad) > 0 {
		t.Errorf("English on the zh-CN block page: %q", bad)
	}
	if !strings.Contains(string(page), "手机号 60 个") || !strings.Contains(string(page), "申请审批") {
		t.Errorf("block page: %s", page)
	}

	// The extension's notice carries both languages and names the reviewers in order.
	n := tl.notices[0]
	if n.Type != "held" || len(n.Reviewers) != 2 || n.Reviewers[0].DisplayName != "李四" || n.Reviewers[0].Stage != "lead" || n.Reviewers[1].Name != "wangwu" {
		t.Errorf("notice reviewers: %+v", n.Reviewers)
	}
	zh, en2 := n.Texts["zh-CN"], n.Texts["en"]
	if !strings.Contains(strings.Join(zh.Findings, ""), "手机号 60 个") || !strings.Contains(strings.Join(en2.Findings, ""), "60 mobile numbers") ||
		!strings.Contains(zh.Message, "批准后重新发送即可") || !strings.Contains(strings.Join(en2.Reasons, ""), "60 mobile numbers") {
		t.Errorf("notice texts: %+v", n.Texts)
	}
	if bad := api.Untranslated(append(append([]string{zh.Message}, zh.Reasons...), zh.Findings...)); len(bad) > 0 {
		t.Errorf("English in the notice's Chinese texts: %q", bad)
	}
}

func TestUsedUpAndExpiredApprovalsAreExplained(t *testing.T) {
	d, tl := deps(t)
	list := fixture.CSV(fixture.Customers(40, 8))
	held, _ := refuse(t, d, list, "zh-CN", false)
	grants := approve(t, d.DB, held.Event.ID) // one send, one day
	req, _ := d.DB.RequestForEvent(held.Event.ID)

	retry := flow(t, d, "https://mail.qq.com/cgi-bin/upload", map[string][]byte{"客户.csv": list}, nil)
	runTo(t, d, retry, HookForward)
	if retry.Response != nil || retry.Files[0].Grant == nil {
		t.Fatalf("the approved retry was not released: %+v", retry.Decision)
	}
	if g, _ := d.DB.Grant(grants[0]); g.Uses != 1 {
		t.Fatalf("uses %d", g.Uses)
	}

	third, body := refuse(t, d, list, "zh-CN", false)
	var ref Refusal
	json.Unmarshal(body, &ref)
	want := "申请 " + req.ID + " 已使用 1/1 次"
	if ref.Approval == nil || ref.Approval.State != "used_up" || ref.Approval.RequestID != req.ID || ref.Approval.Uses != 1 ||
		!strings.HasPrefix(ref.Message, want) || !strings.HasSuffix(ref.AgainURL, "event="+itoa(third.Event.ID)+"&again="+req.ID) {
		t.Fatalf("used-up approval not explained: %+v", ref)
	}
	n := tl.notices[len(tl.notices)-1]
	if n.Approval == nil || n.Approval.RequestID != req.ID || n.AgainURL != ref.AgainURL || !strings.HasPrefix(n.Texts["zh-CN"].Message, want) {
		t.Fatalf("notice: %+v", n)
	}
	_, page := refuse(t, d, list, "zh-CN", true)
	if !strings.Contains(string(page), want) || !strings.Contains(string(page), `id="again"`) || !strings.Contains(string(page), "再次申请") {
		t.Fatalf("block page misses the used-up approval: %s", page)
	}
	_, body = refuse(t, d, list, "en", false)
	var en Refusal
	json.Unmarshal(body, &en)
	if !strings.HasPrefix(en.Message, "Request "+req.ID+" has been used 1 of 1 times") {
		t.Fatalf("English: %q", en.Message)
	}

	// A second file, approved but never sent, expires: the refusal says when.
	other := fixture.CSV(fixture.Customers(40, 9))
	h2, _ := refuse(t, d, other, "zh-CN", false)
	approve(t, d.DB, h2.Event.ID)
	req2, _ := d.DB.RequestForEvent(h2.Event.ID)
	d.Now = func() time.Time { return time.Now().Add(49 * time.Hour) }
	_, body = refuse(t, d, other, "zh-CN", false)
	var exp Refusal
	json.Unmarshal(body, &exp)
	if exp.Approval == nil || exp.Approval.State != "expired" || exp.Approval.RequestID != req2.ID ||
		!strings.Contains(exp.Message, "申请 "+req2.ID+" 的批准已于 ") || !strings.Contains(exp.Message, "过期") {
		t.Fatalf("expired approval not explained: %+v", exp)
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
