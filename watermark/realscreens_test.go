package watermark

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// shotJob is one Chromium job of testdata/shoot.mjs.
type shotJob struct {
	URL      string  `json:"url"`
	Width    int     `json:"width"`
	Height   int     `json:"height"`
	Scale    float64 `json:"scale"`
	Selector string  `json:"selector,omitempty"`
	Full     bool    `json:"full,omitempty"`
	Wait     int     `json:"wait,omitempty"`
	Out      string  `json:"out,omitempty"`
	PDF      string  `json:"pdf,omitempty"`
}

// chromiumTool returns node and the shoot script, or skips (fails in CI)
// when node, playwright-core or Chromium are missing.
func chromiumTool(t *testing.T) (node, script string) {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Dir(file)
	script = filepath.Join(dir, "testdata", "shoot.mjs")
	node, err := exec.LookPath("node")
	missing := ""
	switch {
	case err != nil:
		missing = "node (Debian nodejs)"
	case fileMissing(filepath.Join(dir, "..", "node_modules", "playwright-core")):
		missing = "playwright-core (npm ci in the repository)"
	case fileMissing(chromiumPath()):
		missing = "chromium (Debian chromium)"
	}
	if missing != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed; scripts/test.sh installs it", missing)
		}
		t.Skipf("%s is not installed", missing)
	}
	return node, script
}

func chromiumPath() string {
	if p := os.Getenv("SLUICE_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

func fileMissing(p string) bool {
	_, err := os.Stat(p)
	return err != nil
}

// shoot runs the jobs in one headless Chromium and fails the test if any
// job fails.
func shoot(t *testing.T, jobs []shotJob) {
	t.Helper()
	if len(jobs) == 0 {
		return
	}
	node, script := chromiumTool(t)
	f := filepath.Join(t.TempDir(), "jobs.json")
	b, err := json.Marshal(jobs)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, script, f)
	cmd.Env = append(os.Environ(), "LANG=zh_CN.UTF-8", "LC_ALL=C.UTF-8")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium screenshots: %v\n%s", err, out)
	}
}

var (
	surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾")
	givens   = []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华建国志红")
	cities   = []string{"北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "南京", "苏州", "西安"}
)

func cname(rng *rand.Rand) string {
	return string(surnames[rng.IntN(len(surnames))]) + string(givens[rng.IntN(len(givens))]) + string(givens[rng.IntN(len(givens))])
}

const pageCSS = `body{margin:0;font-family:"WenQuanYi Micro Hei",sans-serif;color:#222;background:#fff}`

// screenPages writes the HTML pages that are screenshotted into the
// corpus (photo is a file a page shows) and returns their file URLs.
func screenPages(t *testing.T, dir, photo string, seed uint64) map[string]string {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 5))
	var web, sheet, chat strings.Builder
	fmt.Fprintf(&web, `<html><head><meta charset="utf-8"><style>%s header{background:#c00;color:#fff;padding:14px 40px;font-size:22px}
main{width:760px;margin:20px auto;font-size:16px;line-height:1.7} img{width:100%%}</style></head><body><header>华东销售周报 · 客户动态</header><main>
<h2>%s：新客户签约与回访安排</h2><p>`, pageCSS, cities[rng.IntN(len(cities))])
	for i := 0; i < 6; i++ {
		fmt.Fprintf(&web, "%s经理本周拜访了%s的%d家客户，签约金额合计%d万元，下周安排回访并确认报价。", cname(rng), cities[rng.IntN(len(cities))], 2+rng.IntN(9), 10+rng.IntN(500))
	}
	fmt.Fprintf(&web, `</p><img src="file://%s"><p>图：展会现场。以上内容仅供内部参考，请勿外传。</p></main></body></html>`, photo)
	fmt.Fprintf(&sheet, `<html><head><meta charset="utf-8"><style>%s table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #d4d4d4;padding:3px 8px;white-space:nowrap} th{background:#f3f3f3;font-weight:normal;color:#555}
tr:nth-child(even) td{background:#fafafa}</style></head><body><table><tr><th></th><th>A 姓名</th><th>B 手机</th><th>C 公司</th><th>D 城市</th><th>E 金额</th><th>F 负责人</th></tr>`, pageCSS)
	for r := 1; r <= 40; r++ {
		c := cities[rng.IntN(len(cities))]
		fmt.Fprintf(&sheet, "<tr><th>%d</th><td>%s</td><td>1%d%d %04d %04d</td><td>%s%s科技有限公司</td><td>%s</td><td>￥%d,%03d</td><td>%s</td></tr>",
			r, cname(rng), 3+rng.IntN(7), rng.IntN(10), rng.IntN(10000), rng.IntN(10000), c, cname(rng), c, 1+rng.IntN(900), rng.IntN(1000), cname(rng))
	}
	sheet.WriteString("</table></body></html>")
	fmt.Fprintf(&chat, `<html><head><meta charset="utf-8"><style>%s body{background:#ededed;font-size:15px}
.m{display:flex;margin:12px 16px;align-items:flex-start}.r{flex-direction:row-reverse}
.a{width:40px;height:40px;border-radius:4px;background:#6a8;margin:0 10px;flex:none}.r .a{background:#58c}
.b{background:#fff;padding:9px 12px;border-radius:4px;max-width:60%%}.r .b{background:#95ec69} img{width:300px;display:block}</style></head><body>`, pageCSS)
	for i := 0; i < 7; i++ {
		side := []string{"", "r"}[i%2]
		if i == 3 {
			fmt.Fprintf(&chat, `<div class="m %s"><div class="a"></div><div class="b"><img src="file://%s"></div></div>`, side, photo)
			continue
		}
		fmt.Fprintf(&chat, `<div class="m %s"><div class="a"></div><div class="b">%s总，%s那边的报价单我整理好了，%d台，单价%d元，您看一下？</div></div>`,
			side, cname(rng)[:3], cities[rng.IntN(len(cities))], 5+rng.IntN(50), 100+rng.IntN(9000))
	}
	chat.WriteString("</body></html>")
	urls := map[string]string{}
	for name, html := range map[string]string{"web": web.String(), "sheet": sheet.String(), "chat": chat.String()} {
		p := filepath.Join(dir, name+".html")
		if err := os.WriteFile(p, []byte(html), 0o600); err != nil {
			t.Fatal(err)
		}
		urls[name] = "file://" + p
	}
	return urls
}

// screenCorpus renders the screenshot part of the corpus: a web page, a
// spreadsheet, a chat window and a PDF page in Chromium's viewer (the web
// page printed to PDF by Chromium), at desktop and small sizes (CI: the chat window only).
func screenCorpus(t *testing.T, photo string, full bool) []realImage {
	t.Helper()
	dir := t.TempDir()
	urls := screenPages(t, dir, photo, 1)
	pdf := filepath.Join(dir, "web.pdf")
	shoot(t, []shotJob{{URL: urls["web"], Width: 1000, Height: 800, Scale: 1, PDF: pdf}})
	type shot struct {
		name, url string
		w, h      int
	}
	shots := []shot{{"chat", urls["chat"], 800, 900}}
	if full {
		shots = append(shots, shot{"sheet", urls["sheet"], 1280, 800}, shot{"web", urls["web"], 1280, 900}, shot{"pdf-viewer", "file://" + pdf + "#zoom=100", 1280, 1000},
			shot{"sheet-small", urls["sheet"], 640, 480}, shot{"chat-small", urls["chat"], 480, 640})
	}
	var jobs []shotJob
	for _, s := range shots {
		jobs = append(jobs, shotJob{URL: s.url, Width: s.w, Height: s.h, Scale: 1, Wait: 1500, Out: filepath.Join(dir, s.name+".png")})
	}
	shoot(t, jobs)
	var out []realImage
	for _, s := range shots {
		b, err := os.ReadFile(filepath.Join(dir, s.name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, realImage{name: "screen:" + s.name, class: "screen", data: b})
	}
	return out
}
