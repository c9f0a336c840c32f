package daemon

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/fixture"
)

// TestDepartingStaffFollowStricterRules: marking a rep as leaving changes the verdicts of their uploads
// through the real proxy, and the hand-over report lists exactly what they did in its window.
func TestDepartingStaffFollowStricterRules(t *testing.T) {
	up := newUpstream(t, 1<<20)
	env := startEnv(t, up, watched, nil)
	admin := env.adminToken(t)
	now := time.Now()
	env.d.SetClock(func() time.Time { return now.AddDate(0, 0, -40) }) // before the report's window
	if code, _ := env.upload(t, "https://mail.163.com/upload", "旧文件.txt", []byte("上个月的周报")); code != 200 {
		t.Fatalf("an old harmless upload: %d", code)
	}
	env.d.SetClock(func() time.Time { return now })
	three := []byte(strings.Join(strings.Split(string(customerCSV(3)), "\n")[:4], "\n") + "\n") // 3 contacts: below every threshold
	pdf := fixture.PDF([]string{"Quarterly plan"})
	if code, _ := env.upload(t, "https://mail.163.com/upload", "三个联系人.csv", three); code != 200 {
		t.Fatalf("3 contacts before departing: %d", code)
	}
	date, days := now.Format("2006-01-02"), 30
	if code := env.api(t, admin, "PATCH", "/api/admin/users/zhangsan", api.UserChange{Departing: &date, LookbackDays: &days}, nil); code != 200 {
		t.Fatalf("depart: %d", code)
	}
	for _, c := range []struct {
		name, url string
		data      []byte
		want      string
	}{
		{"三个联系人.csv", "https://mail.163.com/upload", three, "block"},
		{"plan.pdf", "https://mail.163.com/upload", pdf, "approval"},
		{"notes.txt", "https://pan.baidu.com/upload", []byte("会议纪要：下周一例会"), "approval"},
	} {
		if code, ref := env.upload(t, c.url, c.name, c.data); code != http.StatusForbidden || ref.Verdict != c.want {
			t.Errorf("departing, %s to %s: %d %+v, want %s", c.name, c.url, code, ref, c.want)
		} else if !strings.Contains(strings.Join(ref.Reasons, " "), "离职交接期") {
			t.Errorf("%s: the reasons do not say why: %v", c.name, ref.Reasons)
		}
	}
	req, _ := http.NewRequest("POST", "https://mail.163.com/cgi-bin/send", strings.NewReader(`{"Msg":{"Content":"明天见"}}`))
	req.Header.Set("Content-Type", "application/json")
	if code, _ := env.send(t, req); code != 200 {
		t.Errorf("a harmless chat message while departing: %d", code)
	}
	var rep api.DepartureReport
	if code := env.api(t, admin, "GET", "/api/admin/report/departing/zhangsan", nil, &rep); code != 200 {
		t.Fatalf("report: %d", code)
	}
	if len(rep.Events) != 5 || rep.Sent != 2 || rep.Blocked != 1 || rep.Held != 2 || rep.Customers != 0 {
		t.Errorf("report: %d events (sent %d, held %d, blocked %d): %+v", len(rep.Events), rep.Sent, rep.Held, rep.Blocked, rep.Events)
	}
	for _, e := range rep.Events {
		if e.Time.Before(rep.From) {
			t.Errorf("an event before the window: %+v", e)
		}
		for _, f := range e.Files {
			if strings.Contains(f.Findings, "×") || f.Name == "(message)" {
				t.Errorf("the report shows internals: %+v", f)
			}
		}
	}
	cancel := ""
	env.api(t, admin, "PATCH", "/api/admin/users/zhangsan", api.UserChange{Departing: &cancel}, nil)
	if code, _ := env.upload(t, "https://mail.163.com/upload", "三个联系人.csv", three); code != 200 {
		t.Errorf("after departing mode ended: %d", code)
	}
}
