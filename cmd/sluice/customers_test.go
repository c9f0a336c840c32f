package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/store"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// testCustomer is one row of a generated customer list.
type testCustomer struct{ company, contact, phone, email string }

var (
	testCities  = []string{"上海", "北京", "深圳", "杭州", "成都", "武汉"}
	testTrades  = []string{"星河贸易", "恒远科技", "瑞丰物流", "嘉禾食品", "华信电子"}
	testNames   = []string{"李娜", "王强", "张敏", "刘洋", "陈静", "杨帆", "赵磊", "黄婷", "周杰", "吴昊"}
	madeUpNames = []string{"孙悦", "马超", "朱琳", "胡斌", "郭佳"}
)

// genCustomers generates n customers; offset shifts every value so two calls never overlap.
func genCustomers(n, offset int) []testCustomer {
	out := make([]testCustomer, n)
	for i := range out {
		k := i + offset
		out[i] = testCustomer{
			company: fmt.Sprintf("%s%s%d有限公司", testCities[k%len(testCities)], testTrades[k%len(testTrades)], k),
			contact: testNames[k%len(testNames)],
			phone:   fmt.Sprintf("139%08d", 10000000+k*7919),
			email:   fmt.Sprintf("buyer%d@client%d.com.cn", k, k),
		}
	}
	return out
}

// writeGBKCSV writes the customers as a GBK-encoded CSV with Chinese headers.
// importedCustomers writes n generated customers to a GBK CSV in dir and imports it with the CLI.
func importedCustomers(t *testing.T, dir string, n int) []testCustomer {
	t.Helper()
	list := genCustomers(n, 0)
	csvPath := filepath.Join(dir, "客户名单.csv")
	writeGBKCSV(t, csvPath, list)
	if code := sluice(t, dir, "customers", "import", csvPath); code != 0 {
		t.Fatalf("import exit %d", code)
	}
	return list
}

func writeGBKCSV(t *testing.T, path string, cs []testCustomer) {
	t.Helper()
	var b strings.Builder
	b.WriteString("序号,客户名称,联系人,手机,邮箱,备注\n")
	for i, c := range cs {
		fmt.Fprintf(&b, "%d,%s,%s,%s-%s-%s,%s,老客户\n", i+1, c.company, c.contact, c.phone[:3], c.phone[3:7], c.phone[7:], c.email)
	}
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(b.String())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(gbk), 0o600); err != nil {
		t.Fatal(err)
	}
}

// sluice runs the CLI in-process and returns its exit code.
func sluice(t *testing.T, dir string, args ...string) int {
	t.Helper()
	code, _ := runCaptured(t, dir, args...)
	return code
}

// detectRows runs a detector with the store's customer index over tab-joined rows.
func detectRows(t *testing.T, dir string, rows []string) *inspect.Result {
	t.Helper()
	db, err := store.Open(filepath.Join(dir, "sluice.db"), filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ix, err := db.LoadCustomerIndex()
	if err != nil {
		t.Fatal(err)
	}
	d := inspect.NewDetector(inspect.DetectOptions{Customers: ix})
	for i, r := range rows {
		d.Segment(inspect.Segment{Text: r, Location: fmt.Sprintf("Sheet1!R%d", i+2)})
	}
	return &inspect.Result{Type: "xlsx", Findings: d.Findings()}
}

func TestCustomersImportEDM(t *testing.T) {
	dir := t.TempDir()
	list := importedCustomers(t, dir, 30)
	// re-importing the same list adds nothing
	if code := sluice(t, dir, "customers", "import", filepath.Join(dir, "客户名单.csv")); code != 0 {
		t.Fatalf("re-import exit %d", code)
	}

	// the database file holds no plaintext value, in UTF-8 or GBK
	raw, err := os.ReadFile(filepath.Join(dir, "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		for _, v := range []string{c.company, c.contact, c.phone, c.email, c.phone[3:]} {
			gbk, _ := simplifiedchinese.GBK.NewEncoder().String(v)
			if bytes.Contains(raw, []byte(v)) || bytes.Contains(raw, []byte(gbk)) {
				t.Fatalf("database file contains plaintext %q", v)
			}
		}
	}

	// 5 real customers, written differently from the list → sensitive
	var rows []string
	for _, c := range list[3:8] {
		rows = append(rows, fmt.Sprintf("%s\t%s\t+86 %s %s %s\t%s", strings.ReplaceAll(c.company, "有限公司", "（有限公司）"),
			c.contact, c.phone[:3], c.phone[3:7], c.phone[7:], strings.ToUpper(c.email)))
	}
	res := detectRows(t, dir, rows)
	if n := res.Count(inspect.KindCustomer); n != 5 {
		t.Errorf("5 real customers: customer_match = %d, want 5 (%+v)", n, res.Findings)
	}
	if sens, _, _ := policy.Default().SensitiveFile(res); !sens {
		t.Errorf("5 real customers are not sensitive under the default policy: %+v", res.Findings)
	}

	// 5 made-up contacts of the same shape → not sensitive
	rows = rows[:0]
	for i, c := range genCustomers(5, 1000) {
		rows = append(rows, fmt.Sprintf("%s\t%s\t%s\t%s", c.company, madeUpNames[i], c.phone, c.email))
	}
	res = detectRows(t, dir, rows)
	if n := res.Count(inspect.KindCustomer); n != 0 {
		t.Errorf("made-up contacts: customer_match = %d, want 0", n)
	}
	if sens, zh, _ := policy.Default().SensitiveFile(res); sens {
		t.Errorf("5 made-up contacts are sensitive: %v", zh)
	}
	if n := res.Count(inspect.KindContactRecord); n != 5 {
		t.Errorf("made-up contacts: contact records = %d, want 5", n)
	}
}

func TestCustomersStatsClearAndXLSX(t *testing.T) {
	dir := t.TempDir()
	x := filepath.Join(dir, "list.xlsx")
	writeTestXLSX(t, x, [][]string{{"Company", "Name", "Mobile", "E-mail"}, {"Acme Trading Co., Ltd.", "John Smith", "13800138000", "john@acme.com"},
		{"上海星河贸易有限公司", "李娜", "021-62345678 / 13900139000", "lina@xinghe.cn"}})
	if code := sluice(t, dir, "customers", "import", x); code != 0 {
		t.Fatalf("xlsx import exit %d", code)
	}
	db, err := store.Open(filepath.Join(dir, "sluice.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	st, _ := db.CustomerStats()
	if st.Entries != 2 || st.ByField[inspect.FieldPhone] != 3 || st.ByField[inspect.FieldEmail] != 2 || st.ByField[inspect.FieldCompany] != 2 {
		t.Errorf("stats after xlsx import = %+v", st)
	}
	// while the store is held (as by the daemon) the command says so and fails
	if code, _, stderr := runLang(t, dir, "en", "customers", "stats"); code != exitUsage || !strings.Contains(stderr, "daemon is running") {
		t.Errorf("locked store: exit %d %s", code, stderr)
	}
	db.Close()
	if code := sluice(t, dir, "customers", "stats", "--json"); code != 0 {
		t.Errorf("stats exit %d", code)
	}
	if code := sluice(t, dir, "customers", "clear"); code != 0 {
		t.Errorf("clear exit %d", code)
	}
	if db, err = store.Open(filepath.Join(dir, "sluice.db"), ""); err != nil {
		t.Fatal(err)
	}
	st, err = db.CustomerStats()
	db.Close()
	if err != nil || st.Entries != 0 {
		t.Errorf("after clear: %+v", st)
	}
}

func TestCustomersImportColumnsAndErrors(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "plain.tsv")
	os.WriteFile(p, []byte("x\ty\tz\nACME GmbH\t13800138000\ta@acme.de\n"), 0o600)
	if code := sluice(t, dir, "customers", "import", p); code != exitUsage {
		t.Errorf("unknown headers: exit %d, want %d", code, exitUsage)
	}
	if code := sluice(t, dir, "customers", "import", "--company", "A", "--phone", "2", "--email", "z", p); code != 0 {
		t.Errorf("columns by letter/number/name: exit %d", code)
	}
	if code := sluice(t, dir, "customers", "import", "--phone", "Q9", p); code != exitUsage {
		t.Errorf("bad column: exit %d, want %d", code, exitUsage)
	}
	if code := sluice(t, dir, "customers", "import"); code != exitUsage {
		t.Errorf("no file: exit %d, want %d", code, exitUsage)
	}
	if code := sluice(t, dir, "customers", "import", filepath.Join(dir, "missing.csv")); code != exitUndecided {
		t.Errorf("missing file: exit %d, want %d", code, exitUndecided)
	}
	bad := filepath.Join(dir, "bad.xlsx")
	os.WriteFile(bad, []byte("PK\x03\x04 truncated"), 0o600)
	if code := sluice(t, dir, "customers", "import", bad); code != exitUndecided {
		t.Errorf("corrupt xlsx: exit %d, want %d", code, exitUndecided)
	}
}

// writeTestXLSX writes a minimal workbook: shared strings for the first row, inline
// strings for the rest.
func writeTestXLSX(t *testing.T, path string, rows [][]string) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name, body string) {
		w, _ := zw.Create(name)
		w.Write([]byte(body))
	}
	var sst, sheet strings.Builder
	sst.WriteString(`<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	sheet.WriteString(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	for r, row := range rows {
		fmt.Fprintf(&sheet, `<row r="%d">`, r+1)
		for c, v := range row {
			ref := fmt.Sprintf("%c%d", 'A'+c, r+1)
			if r == 0 {
				fmt.Fprintf(&sst, `<si><t>%s</t></si>`, v)
				fmt.Fprintf(&sheet, `<c r="%s" t="s"><v>%d</v></c>`, ref, c)
			} else {
				fmt.Fprintf(&sheet, `<c r="%s" t="inlineStr"><is><t>%s</t></is></c>`, ref, v)
			}
		}
		sheet.WriteString(`</row>`)
	}
	sst.WriteString(`</sst>`)
	sheet.WriteString(`</sheetData></worksheet>`)
	add("[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`)
	add("xl/workbook.xml", `<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="Sheet1" sheetId="1"/></sheets></workbook>`)
	add("xl/sharedStrings.xml", sst.String())
	add("xl/worksheets/sheet1.xml", sheet.String())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}
