package console

import (
	"strings"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/proxy/risk"
	"github.com/sluice-dlp/sluice/store"
)

// TestReportScreensInWords checks the pages added for departing staff, early warning and pairing: in
// zh-CN they show findings in words, the text fields of an upload as 消息正文, and no English phrase.
func TestReportScreensInWords(t *testing.T) {
	c := newConsole(t)
	c.srv.c.Risk = func() []risk.Standing {
		return []risk.Standing{{User: "zhang", Score: 1.5, Crossed: true, Metrics: []risk.Metric{
			{Name: risk.Customers, Window: 120, Own: 3, Department: 4, Threshold: 80, Crossed: true},
			{Name: risk.Contacts, Window: 120, Own: 3, Department: 4, Threshold: 80, Crossed: true},
			{Name: risk.Refused, Window: 1, Own: 0, Department: 0, Threshold: 5},
			{Name: risk.Personal, Window: 2, Own: 1, Department: 1, Threshold: 50}}}}
	}
	leave := time.Now().AddDate(0, 0, 3).Format("2006-01-02")
	if _, err := c.db.UpdateUser("test", "zhang", func(u *store.User) error { u.Departing, u.LookbackDays = leave, 30; return nil }); err != nil {
		t.Fatal(err)
	}
	c.hold(t, "zhang", "mail.qq.com", map[string][]byte{"客户报价单.txt": []byte("客户名单\n")})
	msg := &store.Event{Action: "message", User: "zhang", Host: "wx.qq.com", Category: "im", Verdict: "block",
		Reasons: []string{"消息含客户资料：手机号 30 个（发往微信网页版）"}, Files: []store.FileRecord{{Name: "(message)",
			Kind: store.FileKindMessage, Findings: []string{"phone×30", "contact_record×30"}, SHA256: strings.Repeat("b", 64)}}}
	if err := c.db.AppendEvent(msg); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct {
		who  string
		path string
		want []string
	}{
		{"inv", "/report/departing/zhang", []string{"离职交接报告", "手机号 12 个", "消息正文", "手机号 30 个、联系人记录 30 条", "已拦截"}},
		{"boss", "/risk", []string{"张三", "命中客户名单", "联系人记录"}},
		{"zhang", "/pair", []string{"配对码"}},
	} {
		code, body := get(t, c, c.login(t, p.who), "", "GET", p.path, "")
		if code != 200 {
			t.Fatalf("%s as %s: %d %s", p.path, p.who, code, body)
		}
		chineseOnly(t, p.path, body, true)
		for _, w := range p.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s does not say %q", p.path, w)
			}
		}
	}
	// The report's JSON for the CLI has the findings in words too.
	_, body := get(t, c, nil, c.tokens["inv"], "GET", "/api/admin/report/departing/zhang", "")
	for _, c := range rawCodes {
		if strings.Contains(body, c) {
			t.Errorf("the hand-over report JSON shows %q", c)
		}
	}
}

// TestRiskPageIsInTheNav: reviewers (their team) and investigators (everyone) find the early-warning
// page in the console's navigation; staff do not.
func TestRiskPageIsInTheNav(t *testing.T) {
	c := newConsole(t)
	for who, want := range map[string]bool{"boss": true, "inv": true, "zhang": false} {
		code, body := get(t, c, c.login(t, who), "", "GET", "/mine", "")
		if code != 200 {
			t.Fatalf("/mine as %s: %d", who, code)
		}
		if got := strings.Contains(body, `href="/risk"`) && strings.Contains(body, "异常预警"); got != want {
			t.Errorf("%s sees the 异常预警 link: %v, want %v", who, got, want)
		}
	}
}
