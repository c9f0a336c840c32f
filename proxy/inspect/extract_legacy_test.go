package inspect

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/sluice-dlp/sluice/internal/fixture"
)

func TestLegacyCFB(t *testing.T) {
	enc := fixture.CFB(map[string][]byte{"EncryptionInfo": {4, 0, 4, 0}, "EncryptedPackage": bytes.Repeat([]byte{0x5A}, 5000)})
	res, _ := extract(t, enc, "报价.xlsx", Limits{})
	wantOnly(t, res, KindEncrypted)
	if res.Has(KindDisguised) {
		t.Errorf("encrypted xlsx reported as disguised")
	}

	xls := fixture.CFB(map[string][]byte{"Workbook": fixture.BIFFWorkbook([][]string{{"公司", "手机"}, {"上海某公司", "13812345678"}})})
	res, segs := extract(t, xls, "客户.xls", Limits{})
	if res.Type != "xls" {
		t.Fatalf("xls type %q", res.Type)
	}
	wantOnly(t, res)
	if got, _ := segAt(segs, "客户!R2"); got != "上海某公司\t13812345678" {
		t.Errorf("xls row 2 = %q (%v)", got, segs)
	}
	doc := fixture.CFB(map[string][]byte{"WordDocument": fixture.WordDocument("客户 王伟\r电话 13812345678\r"), "1Table": fixture.WordTable(len([]rune("客户 王伟\r电话 13812345678\r")))})
	res, segs = extract(t, doc, "a.doc", Limits{})
	if res.Type != "doc" {
		t.Fatalf("doc type %q", res.Type)
	}
	if got, _ := segAt(segs, "¶2"); got != "电话 13812345678" {
		t.Errorf("doc ¶2 = %q (%v)", got, segs)
	}
}

func TestParseSSTContinue(t *testing.T) {
	seg1 := []byte{3, 0, 0, 0, 3, 0, 0, 0, 4, 0, 1}
	seg1 = append(seg1, 0x8B, 0x73, 0x1F, 0x4F) // 王伟 in UTF-16LE, then the record ends
	seg2 := []byte{0, 'A', 'B'}                 // continuation restarts with flags: 8-bit
	seg2 = append(seg2, 3, 0, 0, 'x', 'y', 'z')
	seg2 = append(seg2, 2, 0, 0x08, 1, 0, 'h', 'i', 0, 0, 1, 0)
	got := parseSST([][]byte{seg1, seg2})
	want := []string{"王伟AB", "xyz", "hi"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("parseSST = %q, want %q", got, want)
	}
}

func TestLegacyEncrypted(t *testing.T) {
	wb := []byte{0x09, 0x08, 16, 0, 0x00, 0x06}
	wb = append(wb, make([]byte, 14)...)
	wb = append(wb, 0x2F, 0x00, 2, 0, 1, 0) // FILEPASS
	res, _ := extract(t, fixture.CFB(map[string][]byte{"Workbook": wb}), "a.xls", Limits{})
	wantOnly(t, res, KindEncrypted)

	wd := fixture.WordDocument("x\r")
	wd[0x0B] |= 0x01 // fEncrypted
	res, _ = extract(t, fixture.CFB(map[string][]byte{"WordDocument": wd, "1Table": fixture.WordTable(2)}), "a.doc", Limits{})
	wantOnly(t, res, KindEncrypted)
}
