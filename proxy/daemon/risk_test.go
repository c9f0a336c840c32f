package daemon

import (
	"encoding/json"
	"fmt"
	"github.com/sluice-dlp/sluice/internal/testtool"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/store"
)

// TestEarlyWarningAlertsOnceForABurst: a simulated month of ordinary activity by 20 reps in two
// departments, then one rep's burst through the real proxy: exactly one alert, to that rep's lead and
// head, through a loopback WeCom robot; nobody else is reported; the Risk ranking puts the rep first.
func TestEarlyWarningAlertsOnceForABurst(t *testing.T) {
	var mu sync.Mutex
	var alerts []map[string]any
	robot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		json.NewDecoder(r.Body).Decode(&m)
		mu.Lock()
		alerts = append(alerts, m)
		mu.Unlock()
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	defer robot.Close()
	env := monthThenBurst(t, robot.URL)
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(alerts)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // a second alert, if one were wrongly sent, would arrive by now
	mu.Lock()
	defer mu.Unlock()
	if len(alerts) != 1 {
		t.Fatalf("%d alerts, want exactly 1: %v", len(alerts), alerts)
	}
	text := fmt.Sprint(alerts[0])
	for _, want := range []string{"异常预警", "员工u07", "李四", "王五", "联系人记录 120"} {
		if !strings.Contains(text, want) {
			t.Errorf("the alert does not say %q: %s", want, text)
		}
	}
	evs, _ := env.d.DB.Events(store.EventFilter{Action: "risk.alert"})
	if len(evs) != 1 || evs[0].Extra["target"] != "u07" {
		t.Errorf("risk alerts recorded: %+v", evs)
	}
	var ranking struct {
		Users []struct {
			User    string  `json:"user"`
			Score   float64 `json:"score"`
			Crossed bool    `json:"crossed"`
		} `json:"users"`
	}
	if code := env.api(t, env.adminToken(t), "GET", "/api/risk", nil, &ranking); code != 200 || len(ranking.Users) < 20 {
		t.Fatalf("ranking: %d %+v", code, ranking)
	}
	if r := ranking.Users[0]; r.User != "u07" || !r.Crossed || ranking.Users[1].Crossed {
		t.Errorf("ranking: %+v", ranking.Users[:3])
	}
}

// monthThenBurst starts a proxy for u07 whose store holds a month of ordinary activity by 20 reps in two
// departments, then has u07 send four customer lists in a row; risk alerts go to the WeCom robot at robotURL.
func monthThenBurst(t *testing.T, robotURL string) *testEnv {
	t.Helper()
	up := newUpstream(t, 1<<20)
	now := time.Now()
	env := startEnv(t, up, watched, func(c *Config) {
		c.User = "u07"
		p := PathsFor(c.DataDir)
		pol, _ := os.ReadFile(p.Policy)
		pol = []byte(strings.Replace(string(pol), "alerts: []", "alerts:\n  - type: wecom\n    url: "+robotURL+"/cgi-bin/webhook/send?key=test\n    on: [risk]", 1))
		os.WriteFile(p.Policy, pol, 0o600)
		db, err := store.Open(p.DB, p.Blobs)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		pw, _ := store.HashPassword("secret-password")
		for i := range 20 { // a month of ordinary work: a few contacts a day, now and then a held file
			name, dept := fmt.Sprintf("u%02d", i), []string{"华东销售部", "华南销售部"}[i%2]
			if err := db.CreateUser("test", &store.User{Name: name, DisplayName: "员工" + name, StaffID: "S" + name, Department: dept,
				Lead: "lisi", Head: "wangwu", Roles: []string{store.RoleStaff}, PasswordHash: pw}); err != nil {
				t.Fatal(err)
			}
			for day := 1; day <= 30; day++ {
				for k := range (i + day) % 3 {
					v := "allow"
					if (i+day+k)%11 == 0 {
						v = "approval"
					}
					db.AppendEvent(&store.Event{Time: now.AddDate(0, 0, -day).Add(time.Duration(k) * time.Hour), Action: "upload", User: name,
						Host: "mail.163.com", Category: "webmail", Verdict: v,
						Files: []store.FileRecord{{Name: "周报.xlsx", Size: 40 << 10, Findings: []string{fmt.Sprintf("contact_record×%d", (i+k)%4)}}}})
				}
			}
		}
	})
	list := customerCSV(40)
	for i := range 4 { // the burst: four customer lists in an hour
		if code, _ := env.upload(t, "https://pan.baidu.com/upload", fmt.Sprintf("客户%d.csv", i), list); code != http.StatusForbidden {
			t.Fatalf("upload %d: %d", i, code)
		}
	}
	return env
}

// TestRiskPageInChromium: after the burst, an admin opens the Risk page on a phone-size screen in real
// Chromium: the bursting rep is first and marked with all four lists (160 contact records), the others are not.
func TestRiskPageInChromium(t *testing.T) {
	testtool.Require(t, "node")
	testtool.Require(t, "chromium")
	robot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"errcode":0}`) }))
	defer robot.Close()
	env := monthThenBurst(t, robot.URL)
	pw, err := os.ReadFile(PathsFor(env.dir).InitialPassword)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	root, _ := filepath.Abs("../..")
	cmd := exec.Command("node", filepath.Join(root, "proxy", "daemon", "testdata", "risk.mjs"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "SLUICE_URL=http://"+env.d.ConsoleAddr(), "SLUICE_USER=admin", "SLUICE_PASSWORD="+strings.TrimSpace(string(pw)),
		"SLUICE_OUT="+out, "SLUICE_CHROMIUM=/usr/bin/chromium", "LANG=C.UTF-8")
	text, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("risk page in Chromium: %v\n%s", err, text)
	}
	var ranks []string
	for _, line := range strings.Split(string(text), "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "RANK" {
			ranks = append(ranks, f[1]+" "+f[2])
		}
	}
	if len(ranks) < 20 || ranks[0] != "u07 true" || strings.HasSuffix(ranks[1], "true") || !strings.Contains(string(text), "联系人记录 160") {
		t.Fatalf("the Risk page shows:\n%s", text)
	}
	t.Logf("Risk page screenshot: %s", filepath.Join(out, "risk-phone.png"))
}
