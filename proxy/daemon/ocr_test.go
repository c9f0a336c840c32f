package daemon

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/sluice-dlp/sluice/internal/fixture"
	"github.com/sluice-dlp/sluice/internal/testtool"
	"github.com/sluice-dlp/sluice/watermark"
)

// screenshotOf draws lines as a screenshot would show them.
func screenshotOf(t *testing.T, lines []string) []byte {
	t.Helper()
	png, err := fixture.TextPNG(watermark.FontTTF(), lines)
	if err != nil {
		t.Fatal(err)
	}
	return png
}

// TestScreenshotOfCustomerListIsReadThroughTheProxy: a PNG screenshot of customers and their mobile
// numbers, sent to web WeChat, is read by OCR and judged as the list it shows (held for approval), not
// watermarked and let through as "just an image"; a screenshot of a price list is not.
func TestScreenshotOfCustomerListIsReadThroughTheProxy(t *testing.T) {
	testtool.Require(t, "tesseract")
	up := newUpstreamFor(t, 1<<20, "file.wx.qq.com")
	env := startEnv(t, up, []string{"file.wx.qq.com"}, roomyOCRBudget(t))
	rows := strings.Split(strings.TrimSpace(string(customerCSV(24))), "\n")[1:]
	var lines []string
	for _, r := range rows {
		c := strings.Split(r, ",")
		lines = append(lines, fmt.Sprintf("%s    %s    %s", c[0], c[1], c[2]))
	}
	code, ref := env.upload(t, "https://file.wx.qq.com/cgi-bin/mmwebwx-bin/webwxuploadmedia?f=json", "截图.png", screenshotOf(t, lines))
	if code != http.StatusForbidden || ref.Verdict != "approval" || !strings.Contains(strings.Join(ref.Reasons, " "), "含客户资料") {
		t.Fatalf("a screenshot of 24 customers: %d %+v", code, ref)
	}
	var prices []string
	for i := range 24 {
		prices = append(prices, fmt.Sprintf("SKU-%04d    不锈钢法兰 DN%d    单价 %d.00 元", i, 20+i, 180+i*3))
	}
	code, ref = env.upload(t, "https://file.wx.qq.com/cgi-bin/mmwebwx-bin/webwxuploadmedia?f=json", "报价.png", screenshotOf(t, prices))
	if code != 200 {
		t.Fatalf("a screenshot of a price list: %d %+v", code, ref)
	}
}

// roomyOCRBudget gives OCR a minute per file: these tests are about what is read, and a CI machine
// shared with other jobs can take longer than the default 10 s (over budget is tested in inspect).
func roomyOCRBudget(t *testing.T) func(*Config) {
	return func(c *Config) {
		p := PathsFor(c.DataDir)
		pol, err := os.ReadFile(p.Policy)
		if err != nil {
			t.Fatal(err)
		}
		s := strings.Replace(string(pol), "    budget_s: 10 ", "    budget_s: 60 ", 1)
		s = strings.Replace(s, "  time_budget_s: 20 ", "  time_budget_s: 90 ", 1)
		if s == string(pol) {
			t.Fatal("the default policy has no OCR budget to raise")
		}
		if err := os.WriteFile(p.Policy, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
