package customers

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/store"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

func TestHeaderDetection(t *testing.T) {
	got, header, err := Columns{}.Choose([]string{"序号", "客户编号", "Company Name", "客户经理", "联系人", "联系人地址", "手机号码", "座机", "E-mail", "备注"})
	if err != nil || !header {
		t.Fatal(err)
	}
	want := ColumnMap{inspect.FieldCompany: {2}, inspect.FieldContact: {4}, inspect.FieldPhone: {6, 7}, inspect.FieldEmail: {8}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("columns = %v, want %v", got, want)
	}
	if fmt.Sprint(got.Fields()) != "[email phone contact company]" {
		t.Errorf("fields = %v", got.Fields())
	}
	got, header, err = Columns{Company: "A", Phone: "2,c", NoHeader: true}.Choose([]string{"x", "y", "z"})
	if err != nil || header || fmt.Sprint(got) != fmt.Sprint(ColumnMap{inspect.FieldCompany: {0}, inspect.FieldPhone: {1, 2}}) {
		t.Errorf("by letter/number: %v %v %v", got, header, err)
	}
	for _, c := range []Columns{{}, {Phone: "Q9"}, {NoHeader: true}} {
		if _, _, err := c.Choose([]string{"x", "y"}); !errors.Is(err, ErrColumns) {
			t.Errorf("%+v: err = %v, want ErrColumns", c, err)
		}
	}
}

// The same list in GBK, UTF-16 and UTF-8 with a BOM reads to the same rows.
func TestReadTableEncodings(t *testing.T) {
	text := "客户名称\t联系人\t手机\n上海星河贸易有限公司\t李娜\t13800138000\n"
	gbk, _ := simplifiedchinese.GBK.NewEncoder().String(text)
	u16, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(text)
	for name, data := range map[string]string{"gbk": gbk, "utf16": u16, "bom": "\xEF\xBB\xBF" + text, "utf8": text} {
		rows, err := ReadTable([]byte(data))
		if err != nil || len(rows) != 2 || rows[1][1] != "李娜" || rows[0][0] != "客户名称" {
			t.Errorf("%s: rows %q, err %v", name, rows, err)
		}
	}
}

// Hostile tables get a clear error, never a panic or unbounded memory.
func TestReadTableHostile(t *testing.T) {
	if _, err := ReadTable(make([]byte, MaxTableSize+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized: %v", err)
	}
	commas := bytes.Repeat([]byte(","), maxCells+10)
	if _, err := ReadTable(commas); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a row of empty fields: %v", err)
	}
	// a sheet whose cells all claim column ALL (padding 1000 cells each)
	var sheet strings.Builder
	sheet.WriteString(`<worksheet><sheetData>`)
	for i := 0; i < maxCells/1000+10; i++ {
		sheet.WriteString(`<row><c r="ALL1"/></row>`)
	}
	sheet.WriteString(`</sheetData></worksheet>`)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("xl/worksheets/sheet1.xml")
	w.Write([]byte(sheet.String()))
	zw.Close()
	if _, err := ReadTable(buf.Bytes()); !errors.Is(err, ErrTooLarge) {
		t.Errorf("padded sheet: %v", err)
	}
	if _, err := ReadTable([]byte("PK\x03\x04 truncated")); err == nil || !strings.Contains(err.Error(), "XLSX") {
		t.Errorf("truncated workbook: %v", err)
	}
}

func TestImportHashesOnly(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "s.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	list := "公司,联系人,电话,邮箱\n上海星河贸易有限公司,李娜,138-0013-8000 / 021-62345678,lina@xinghe.cn\n,,,\n"
	res, err := Import(db, []byte(list), Columns{}, "admin", "list.csv")
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 2 || res.Added != 1 || res.Empty != 1 || len(res.Fields) != 4 {
		t.Errorf("result = %+v", res)
	}
	if res, _ = Import(db, []byte(list), Columns{}, "admin", "list.csv"); res.Added != 0 || res.Duplicates != 1 {
		t.Errorf("re-import = %+v", res)
	}
	ix, _ := db.LoadCustomerIndex()
	if _, ok := ix.LookupCustomer(inspect.FieldPhone, "13800138000"); !ok {
		t.Error("phone not found in the index")
	}
	if _, ok := ix.LookupCustomer(inspect.FieldPhone, "02162345678"); !ok {
		t.Error("second phone of the cell not found")
	}
	if _, err := Import(db, nil, Columns{}, "admin", "list.csv"); !errors.Is(err, ErrNoRows) {
		t.Errorf("empty table: %v", err)
	}
	if _, err := Import(db, []byte("a,b\n1,2\n"), Columns{}, "admin", "list.csv"); !errors.Is(err, ErrColumns) {
		t.Errorf("unknown headers: %v", err)
	}
}

func TestColumnsQueryRoundTrip(t *testing.T) {
	c := Columns{Company: "客户名称", Contact: "B", Phone: "3,4", Email: "", NoHeader: true}
	if got := ColumnsFromQuery(c.Query()); got != c {
		t.Fatalf("round trip: %+v → %+v", c, got)
	}
}
