package inspect

import (
	"strings"
	"testing"

	"github.com/sluice-dlp/sluice/internal/fixture"
)

func TestTextEncodings(t *testing.T) {
	rows := fixture.CustomerRows(30)
	utf8CSV := fixture.RowsText(rows, ",")
	cases := []struct {
		name string
		data []byte
		typ  string
		enc  string
	}{
		{"客户.csv", fixture.GBK(utf8CSV), "csv", "gb18030"},
		{"客户.csv", fixture.UTF16LE(utf8CSV), "csv", "utf-16le"},
		{"客户.txt", fixture.UTF16LE(fixture.RowsText(rows, "\t")), "tsv", "utf-16le"},
		{"客户.csv", append([]byte{0xEF, 0xBB, 0xBF}, utf8CSV...), "csv", ""},
		{"客户.txt", []byte(fixture.RowsText(rows, " ")), "txt", ""},
	}
	for _, c := range cases {
		res, segs := extract(t, c.data, c.name, Limits{})
		if res.Type != c.typ || !strings.Contains(res.MIME, c.enc) {
			t.Errorf("%s/%s: type %q mime %q, want %s %s", c.name, c.enc, res.Type, res.MIME, c.typ, c.enc)
		}
		wantOnly(t, res)
		sep := "\t"
		if c.typ == "txt" {
			sep = " "
		}
		if got, _ := segAt(segs, "line 6"); got != strings.Join(rows[5], sep) {
			t.Errorf("%s/%s: line 6 = %q, want %q", c.name, c.enc, got, strings.Join(rows[5], sep))
		}
		if n := scanFull(t, c.data, c.name).Count(KindPhone); n != 30 {
			t.Errorf("%s/%s: %d phones, want 30", c.name, c.enc, n)
		}
	}
}

func TestCSVQuotedFields(t *testing.T) {
	data := []byte("name,note,phone\n\"Wang, Li\",\"said \"\"hi\"\"\",13812345678\n")
	_, segs := extract(t, data, "a.csv", Limits{})
	if got, _ := segAt(segs, "line 2"); got != "Wang, Li\tsaid \"hi\"\t13812345678" {
		t.Errorf("line 2 = %q", got)
	}
}

func TestGzipTar(t *testing.T) {
	csv := []byte(fixture.RowsText(fixture.CustomerRows(5), ","))
	tarData := fixture.Tar(fixture.File{Name: "export/客户.csv", Data: csv}, fixture.File{Name: "export/a.json", Data: []byte(`[{"name":"王伟","mobile":"13812345678"}]`)})
	tgz := fixture.Gzip("", tarData)
	res, segs := extract(t, tgz, "backup.tar.gz", Limits{})
	if res.Type != "gz" {
		t.Fatalf("type %q", res.Type)
	}
	wantOnly(t, res)
	if _, ok := segAt(segs, "backup.tar.gz/backup.tar/export/客户.csv line 2"); !ok {
		t.Errorf("csv in tar.gz missing: %v", segs)
	}
	if got, _ := segAt(segs, "backup.tar.gz/backup.tar/export/a.json item 1"); got != "王伟\t13812345678" {
		t.Errorf("json in tar.gz = %q", got)
	}
}

func TestHTMLJSONXML(t *testing.T) {
	html := []byte(`<html><head><title>客户</title><script>var x="13800000000";</script></head><body><table><tr><td>王伟</td><td>13812345678</td></tr></table><p>备注&amp;说明</p></body></html>`)
	res, segs := extract(t, html, "a.html", Limits{})
	if res.Type != "html" {
		t.Fatalf("html type %q", res.Type)
	}
	text := allText(segs)
	if !strings.Contains(text, "王伟\t13812345678") || !strings.Contains(text, "备注&说明") || strings.Contains(text, "13800000000") {
		t.Errorf("html text %q", text)
	}
	js := []byte(`{"customers":[{"name":"王伟","phone":13812345678,"tags":["vip","sh"]},{"name":"李娜","phone":"139-9876-5432"}]}`)
	res, segs = extract(t, js, "a.json", Limits{})
	if res.Type != "json" {
		t.Fatalf("json type %q", res.Type)
	}
	if got := allText(segs); !strings.Contains(got, "王伟\t13812345678\n") || !strings.Contains(got, "李娜\t139-9876-5432") {
		t.Errorf("json segments %q", got)
	}
	broken := []byte(`{"a":"王伟 13812345678"} } garbage 13998765432`)
	_, segs = extract(t, broken, "b.json", Limits{})
	if got := allText(segs); !strings.Contains(got, "13812345678") || !strings.Contains(got, "13998765432") {
		t.Errorf("broken json text %q", got)
	}
	x := []byte(`<?xml version="1.0"?><list><c><name>王伟</name><tel>13812345678</tel></c><c><name>李娜</name><tel>13998765432</tel></c></list>`)
	_, segs = extract(t, x, "a.xml", Limits{})
	if got, _ := segAt(segs, "element 2"); got != "李娜\t13998765432" {
		t.Errorf("xml element 2 = %q (%v)", got, segs)
	}
}

func TestEML(t *testing.T) {
	xlsx := fixture.XLSXSheets(fixture.Sheet{Name: "客户", Rows: fixture.CustomerRows(10)})
	data := fixture.EML("客户资料", "你好，附件是客户名单。\r\n联系电话 13512345678\r\n", fixture.File{Name: "客户.xlsx", Data: xlsx})
	res, segs := extract(t, data, "mail.eml", Limits{})
	if res.Type != "eml" {
		t.Fatalf("type %q", res.Type)
	}
	wantOnly(t, res)
	if got, _ := segAt(segs, "header Subject"); got != "Subject: 客户资料" {
		t.Errorf("subject %q", got)
	}
	if got, _ := segAt(segs, "mail.eml/body line 2"); got != "联系电话 13512345678" {
		t.Errorf("GBK base64 body line 2 = %q (%v)", got, segs[:min(6, len(segs))])
	}
	if _, ok := segAt(segs, "mail.eml/客户.xlsx 客户!R11"); !ok {
		t.Errorf("attachment rows missing")
	}
}
