package daemon

import (
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"testing"
)

// scrape reads /metrics from the console with token; it returns the status and the text.
func (e *testEnv) scrape(t *testing.T, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+e.d.ConsoleAddr()+"/metrics", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// metric returns the value of one sample line (name with its labels, exactly as exposed), or -1.
func metric(text, sample string) float64 {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(sample) + ` (\S+)$`).FindStringSubmatch(text)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// TestMetricsMoveWithRealUploads: uploads through the proxy move the counters an admin scrapes.
func TestMetricsMoveWithRealUploads(t *testing.T) {
	up := newUpstream(t, 1<<20)
	env := startEnv(t, up, watched, nil)
	if code, _ := env.scrape(t, ""); code != http.StatusUnauthorized {
		t.Errorf("metrics without a token: %d", code)
	}
	if code, _ := env.scrape(t, env.token(t, "zhangsan")); code != http.StatusForbidden {
		t.Errorf("metrics with a rep's token: %d", code)
	}
	if code, _ := env.upload(t, "https://pan.baidu.com/upload", "客户.csv", customerCSV(40)); code != http.StatusForbidden {
		t.Fatalf("customer list: %d", code)
	}
	if code, _ := env.upload(t, "https://mail.163.com/upload", "notes.txt", []byte("明天开会，带上样品。")); code != 200 {
		t.Fatalf("harmless file: %d", code)
	}
	code, text := env.scrape(t, env.adminToken(t))
	if code != 200 {
		t.Fatalf("admin scrape: %d %s", code, text)
	}
	for sample, want := range map[string]float64{
		`sluice_uploads_total{category="netdisk",verdict="block"}`: 1,
		`sluice_uploads_total{category="webmail",verdict="allow"}`: 1,
		`sluice_requests_total{category="netdisk"}`:                1,
		`sluice_files_total{category="netdisk",sensitive="true"}`:  1,
		`sluice_files_total{category="webmail",sensitive="false"}`: 1,
		`sluice_body_memory_limit_bytes`:                           32 << 20,
		`sluice_body_memory_bytes`:                                 0,
		`sluice_approvals_pending`:                                 0,
	} {
		if got := metric(text, sample); got != want {
			t.Errorf("%s = %v, want %v", sample, got, want)
		}
	}
	if n := metric(text, `sluice_inspect_seconds_count{type="csv"}`); n < 1 {
		t.Errorf("inspection latency not recorded: %v", n)
	}
	if n := metric(text, `sluice_proxy_connections`); n < 1 {
		t.Errorf("open proxy connections: %v", n)
	}
}

// TestDashboardNamesExistingMetrics: every metric the Grafana dashboard in docs/ queries is exposed.
func TestDashboardNamesExistingMetrics(t *testing.T) {
	dash, err := os.ReadFile("../../docs/grafana-sluice.json")
	if err != nil {
		t.Fatal(err)
	}
	up := newUpstream(t, 1<<20)
	env := startEnv(t, up, watched, nil)
	env.upload(t, "https://pan.baidu.com/upload", "客户.csv", customerCSV(40))
	_, text := env.scrape(t, env.adminToken(t))
	for _, name := range regexp.MustCompile(`\b(?:sluice|process)_[a-z_]+`).FindAllString(string(dash), -1) {
		if !regexp.MustCompile(`(?m)^` + name + `[{ ]`).MatchString(text) {
			t.Errorf("the dashboard queries %s, which /metrics does not expose", name)
		}
	}
}
