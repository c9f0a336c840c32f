package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/sluice-dlp/sluice/internal/fixture"
	"github.com/sluice-dlp/sluice/internal/ops"
	"github.com/sluice-dlp/sluice/internal/testtool"
	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/store"
	"github.com/sluice-dlp/sluice/watermark"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCaptured runs the CLI in-process with --data dir (English messages) and returns its exit code and stdout.
func runCaptured(t *testing.T, dir string, args ...string) (int, string) {
	t.Helper()
	code, out, _ := runLang(t, dir, "en", args...)
	return code, out
}

// runLang runs the CLI in-process with --data dir and --lang, and returns its exit code, stdout and stderr.
func runLang(t *testing.T, dir, lang string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"sluice", "--data", dir, "--lang", lang}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// scanJSON is the part of sluice scan --json output the tests look at.
type scanJSON struct {
	Type     string `json:"type"`
	Findings []struct {
		Kind  string `json:"kind"`
		Count int    `json:"count"`
	} `json:"findings"`
	Sensitive   bool              `json:"sensitive"`
	Verdict     string            `json:"verdict"`
	Verdicts    map[string]string `json:"verdicts"`
	Reasons     []string          `json:"reasons"`
	ReasonCodes []string          `json:"reason_codes"`
}

func (s scanJSON) count(kind string) int {
	for _, f := range s.Findings {
		if f.Kind == kind {
			return f.Count
		}
	}
	return 0
}

func scanFile(t *testing.T, dir string, args ...string) scanJSON {
	t.Helper()
	code, out := runCaptured(t, dir, append([]string{"scan", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("scan %v: exit %d, output %s", args, code, out)
	}
	var s scanJSON
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("scan output is not one JSON document: %v\n%s", err, out)
	}
	return s
}

// writeCustomerText writes a text export of the customers (company, contact, phone) as 周报.txt in dir.
func writeCustomerText(t *testing.T, dir string, cs []testCustomer) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("公司\t联系人\t电话\n")
	for _, c := range cs {
		fmt.Fprintf(&b, "%s\t%s\t%s\n", c.company, c.contact, c.phone)
	}
	path := filepath.Join(dir, "周报.txt")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestScanVerdictsWithCustomerList(t *testing.T) {
	dir := t.TempDir()
	list := importedCustomers(t, dir, 30)
	real := writeCustomerText(t, dir, list[10:15])
	s := scanFile(t, dir, "--dest", "https://pan.baidu.com/rest/2.0/pcs/file", real)
	if s.count("customer_match") != 5 || !s.Sensitive || s.Verdict != "block" {
		t.Errorf("5 customers to a netdisk: %+v", s)
	}
	if len(s.Reasons) == 0 || len(s.ReasonCodes) != len(s.Reasons) {
		t.Errorf("no reasons: %+v", s)
	}
	// the same shape with made-up people is not sensitive
	var b strings.Builder
	for i, c := range genCustomers(5, 500) {
		fmt.Fprintf(&b, "%s\t%s\t%s\n", c.company, madeUpNames[i], c.phone)
	}
	fake := filepath.Join(dir, "fake.txt")
	os.WriteFile(fake, []byte(b.String()), 0o600)
	s = scanFile(t, dir, "--dest", "pan.baidu.com", fake)
	if s.count("customer_match") != 0 || s.Sensitive || s.Verdict == "block" {
		t.Errorf("made-up contacts to a netdisk: %+v", s)
	}
	// without --dest: the strictest over every personal category and other, listed per category
	s = scanFile(t, dir, real)
	if s.Verdict != "block" || s.Verdicts["netdisk"] != "block" || s.Verdicts["ai_chat"] != "block" || s.Verdicts["other"] != "approval" || len(s.Verdicts) != len(ops.ScanCategories) {
		t.Errorf("no --dest: %+v", s)
	}
	// a corporate destination is always allowed
	if s = scanFile(t, dir, "--dest", "https://work.weixin.qq.com/", real); s.Verdict != "allow" {
		t.Errorf("corporate: %+v", s)
	}
}

func TestScanFingerprintAndSeveralFiles(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "底价表.txt")
	os.WriteFile(secret, []byte("产品A 底价 100\n产品B 底价 200\n"), 0o600)
	plain := filepath.Join(dir, "notes.txt")
	os.WriteFile(plain, []byte("meeting at 3pm\n"), 0o600)
	if s := scanFile(t, dir, "--dest", "mail.qq.com", secret); s.Sensitive {
		t.Fatalf("unregistered price list is sensitive: %+v", s)
	}
	if code := sluice(t, dir, "fingerprints", "add", secret); code != 0 {
		t.Fatalf("fingerprints add exit %d", code)
	}
	renamed := filepath.Join(dir, "copy.txt")
	data, _ := os.ReadFile(secret)
	os.WriteFile(renamed, data, 0o600)
	s := scanFile(t, dir, "--dest", "mail.qq.com", renamed)
	if s.count("fingerprint") != 1 || !s.Sensitive {
		t.Errorf("registered file under another name: %+v", s)
	}
	code, out := runCaptured(t, dir, "scan", "--json", "--dest", "pan.baidu.com", renamed, plain)
	var many struct {
		Files   []scanJSON `json:"files"`
		Verdict string     `json:"verdict"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &many) != nil || len(many.Files) != 2 || many.Verdict != "block" {
		t.Errorf("two files: exit %d, %s", code, out)
	}
	code, out = runCaptured(t, dir, "scan", "--dest", "pan.baidu.com", plain)
	if code != 0 || !strings.Contains(out, "verdict:") || !strings.Contains(out, "sensitive: no") {
		t.Errorf("text output: exit %d\n%s", code, out)
	}
}

func TestScanExitCodes(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "a.txt")
	os.WriteFile(f, []byte("hello"), 0o600)
	if code, _ := runCaptured(t, dir, "scan"); code != exitUsage {
		t.Errorf("no files: exit %d", code)
	}
	if code, _ := runCaptured(t, dir, "scan", "--dest", "http://", f); code != exitUsage {
		t.Errorf("bad --dest: exit %d", code)
	}
	if code, _ := runCaptured(t, dir, "scan", filepath.Join(dir, "missing.txt")); code != exitUndecided {
		t.Errorf("missing file: exit %d", code)
	}
	if code, _ := runCaptured(t, dir, "scan", "--policy", filepath.Join(dir, "nope.yaml"), f); code != exitUndecided {
		t.Errorf("missing policy: exit %d", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "sluice.db")); err == nil {
		t.Error("scan created a database")
	}
}

func TestScanXLSXAndDisguisedCopy(t *testing.T) {
	dir := t.TempDir()
	list := importedCustomers(t, dir, 20)
	rows := [][]string{{"客户", "联系人", "手机", "邮箱"}}
	for _, c := range list[:6] {
		rows = append(rows, []string{c.company, c.contact, c.phone, c.email})
	}
	x := filepath.Join(dir, "客户清单.xlsx")
	writeTestXLSX(t, x, rows)
	s := scanFile(t, dir, "--dest", "pan.baidu.com", x)
	if s.Type != "xlsx" || s.count("customer_match") != 6 || s.count("phone") != 6 || s.Verdict != "block" {
		t.Errorf("xlsx with 6 customers: %+v", s)
	}
	// the same workbook renamed to .txt is still a spreadsheet with the same verdict
	data, _ := os.ReadFile(x)
	txt := filepath.Join(dir, "工作总结.txt")
	os.WriteFile(txt, data, 0o600)
	d := scanFile(t, dir, "--dest", "pan.baidu.com", txt)
	if d.Type != "xlsx" || d.Verdict != s.Verdict || d.count("customer_match") != 6 {
		t.Errorf("disguised copy: %+v", d)
	}
}

// TestScanReadsTextInImages: `sluice scan` of a screenshot of customers says what OCR read and judges it.
func TestScanReadsTextInImages(t *testing.T) {
	testtool.Require(t, "tesseract")
	dir := t.TempDir()
	var lines []string
	for i, c := range genCustomers(24, 0) {
		lines = append(lines, fmt.Sprintf("%s    %s    %s", c.company, madeUpNames[i%len(madeUpNames)], c.phone))
	}
	png, err := fixture.TextPNG(watermark.FontTTF(), lines)
	if err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "截图.png")
	os.WriteFile(shot, png, 0o600)
	code, out, _ := runLang(t, dir, "zh-CN", "scan", "--no-store", "--dest", "wx.qq.com", shot)
	if code != 0 || !strings.Contains(out, "识别自图片文字") || !strings.Contains(out, "图片文字识别：1 张图片，识别 1 张") || !strings.Contains(out, "含客户资料：是") {
		t.Errorf("scan of a screenshot (exit %d):\n%s", code, out)
	}
}

// TestTraceByCustomers: `sluice trace` of a file without a mark names who sent the customers it holds.
func TestTraceByCustomers(t *testing.T) {
	dir := t.TempDir()
	list := importedCustomers(t, dir, 30)
	// a recorded upload of customers 10–24 by zhangsan (as the proxy records it)
	db, err := store.Open(filepath.Join(dir, "sluice.db"), filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	ix, _ := db.LoadCustomerIndex()
	var ids []uint64
	for _, c := range list[10:25] {
		if id, ok := ix.LookupCustomer(inspect.FieldPhone, c.phone); ok {
			ids = append(ids, id)
		}
	}
	db.AppendEvent(&store.Event{Action: "upload", User: "zhangsan", Host: "mail.qq.com", Category: "webmail", Verdict: "approval",
		Files: []store.FileRecord{{Name: "报价客户.xlsx", Customers: store.EncodeCustomers(ids)}}})
	db.Close()
	leak := writeCustomerText(t, dir, list[12:22])
	code, out, errOut := runLang(t, dir, "en", "trace", leak)
	out += errOut
	if code != 0 || !strings.Contains(out, "10 of 10 customers were in 报价客户.xlsx sent by zhangsan on") || !strings.Contains(out, "to mail.qq.com (hold for approval)") {
		t.Errorf("trace by customers (exit %d):\n%s", code, out)
	}
	stranger := filepath.Join(dir, "none.txt")
	os.WriteFile(stranger, []byte("明天下午三点开会\n"), 0o600)
	if code, out, _ := runLang(t, dir, "en", "trace", stranger); code != exitUndecided || !strings.Contains(out, "holds no customer of the company list") {
		t.Errorf("a file without customers (exit %d):\n%s", code, out)
	}
}

// TestScanSaysWhyThereIsNoTextInWords: an image without lines of text is reported in Chinese words by
// default, the technical detail in English, and the detail is not printed twice.
func TestScanSaysWhyThereIsNoTextInWords(t *testing.T) {
	testtool.Require(t, "tesseract")
	dir := t.TempDir()
	runCaptured(t, dir, "init")
	img := image.NewRGBA(image.Rect(0, 0, 400, 300))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	f := filepath.Join(dir, "blank.png")
	os.WriteFile(f, buf.Bytes(), 0o600)
	_, zh, _ := runLang(t, dir, "zh-CN", "scan", "--dest", "mail.163.com", f)
	if !strings.Contains(zh, "图片中没有成行的文字") || strings.Contains(zh, "no lines of text") {
		t.Errorf("zh-CN:\n%s", zh)
	}
	_, en, _ := runLang(t, dir, "en", "scan", "--dest", "mail.163.com", f)
	if strings.Count(en, "no lines of text") != 1 {
		t.Errorf("en: the detail once:\n%s", en)
	}
}
