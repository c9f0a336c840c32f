package inspect

import (
	"strings"
	"testing"
)

// counts runs a fresh detector over the lines and returns count per kind.
func counts(t *testing.T, o DetectOptions, lines ...string) map[string]int {
	t.Helper()
	d := NewDetector(o)
	for i, l := range lines {
		if err := d.Segment(Segment{Text: l, Location: "line " + string(rune('1'+i))}); err != nil {
			t.Fatalf("Segment: %v", err)
		}
	}
	out := map[string]int{}
	for _, f := range d.Findings() {
		out[f.Kind] = f.Count
	}
	return out
}

func TestDetectNumbers(t *testing.T) {
	cases := []struct {
		name, text string
		kind       string
		want       int
	}{
		{"plain mobile", "电话13812345678", KindPhone, 1},
		{"mobile with dashes", "手机：138-1234-5678", KindPhone, 1},
		{"mobile with spaces", "138 1234 5678", KindPhone, 1},
		{"mobile with dots", "138.1234.5678", KindPhone, 1},
		{"full-width mobile", "手机：１３８１２３４５６７８", KindPhone, 1},
		{"full-width dash", "１３８－１２３４－５６７８", KindPhone, 1},
		{"ideographic space", "138\u30001234\u30005678", KindPhone, 1},
		{"+86", "+86 138 1234 5678", KindPhone, 1},
		{"+86 glued", "+8613812345678", KindPhone, 1},
		{"0086", "0086-13812345678", KindPhone, 1},
		{"86-", "86-138-1234-5678", KindPhone, 1},
		{"(+86)", "(+86)13812345678", KindPhone, 1},
		{"two mobiles in a row", "13812345678 13912345678", KindPhone, 2},
		{"number after a year", "2026 13812345678", KindPhone, 1},
		{"non-mobile prefix 12", "12345678901", KindPhone, 0},
		{"non-mobile prefix 10", "10086123456", KindPhone, 0},
		{"11 digits inside a longer run", "138123456789", KindPhone, 0},
		{"order number", "订单号20261122153012345678", KindPhone, 0},
		{"order number no id", "订单号20261122153012345678", KindIDNumber, 0},
		{"order number no card", "订单号20261122153012345678", KindBankCard, 0},
		{"timestamp", "2026-11-22 15:30:12", KindPhone, 0},
		{"compact timestamp", "20261122153012", KindPhone, 0},
		{"unix ms", "1763812345678", KindPhone, 0},
		{"glued to letters", "SO13812345678", KindPhone, 0},
		{"glued right", "13812345678abc", KindPhone, 0},
		{"decimal", "3.1381234567899", KindPhone, 0},
		{"ip address", "192.168.100.10", KindPhone, 0},
		{"foreign +1", "+1 415 555 2671", KindPhone, 0},
		{"+86 landline", "+86 10 6234 5678", KindLandline, 1},
		{"+86 landline 4-digit area", "+86-755-2345-6789", KindLandline, 1},
		{"landline dash", "010-12345678", KindLandline, 1},
		{"landline paren", "(021)87654321", KindLandline, 1},
		{"landline full-width paren", "（０２１）８７６５４３２１", KindLandline, 1},
		{"landline 4-digit area", "0755-2345678", KindLandline, 1},
		{"landline no separator", "电话075523456789", KindLandline, 1},
		{"invoice code is not a landline", "发票代码044031900111", KindLandline, 0},
		{"11-digit landline no separator", "02162345678", KindLandline, 1},
		{"order number is not a card", "订单号：6222021234567890128", KindBankCard, 0},
		{"order no. is not a card", "Order No. 4111111111111111", KindBankCard, 0},
		{"landline spaced", "010 1234 5678", KindLandline, 1},
		{"landline local starts 0", "010-01234567", KindLandline, 0},
		{"landline wrong area grouping", "0-101234-5678", KindLandline, 0},
		{"id valid X", "身份证11010519491231002X", KindIDNumber, 1},
		{"id valid lower x", "11010519491231002x", KindIDNumber, 1},
		{"id valid digit", "320106199003071234", KindIDNumber, 1},
		{"id bad checksum", "320106199003071235", KindIDNumber, 0},
		{"id future birth", "110105203001011231", KindIDNumber, 0},
		{"id 1880 birth", "440524188001010014", KindIDNumber, 0},
		{"id bad province", "990106199003071234", KindIDNumber, 0},
		{"id full-width", "３２０１０６１９９００３０７１２３４", KindIDNumber, 1},
		{"card visa", "卡号4111111111111111", KindBankCard, 1},
		{"card grouped", "4111 1111 1111 1111", KindBankCard, 1},
		{"card unionpay 19", "6222021234567890128", KindBankCard, 1},
		{"card unionpay dashed", "6200-0000-0000-0005", KindBankCard, 1},
		{"card luhn fail", "4111111111111112", KindBankCard, 0},
		{"card bad prefix", "7111111111111114", KindBankCard, 0},
		{"id is not a card", "320106199003071234", KindBankCard, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := counts(t, DetectOptions{}, c.text)[c.kind]
			if got != c.want {
				t.Errorf("%q: %s = %d, want %d (all: %v)", c.text, c.kind, got, c.want, counts(t, DetectOptions{}, c.text))
			}
		})
	}
}

func TestDetectEmailAndLabels(t *testing.T) {
	cases := []struct {
		name, text string
		kind       string
		want       int
	}{
		{"email", "邮箱：zhang.san@qq.com。", KindEmail, 1},
		{"email upper", "Mail: Li.Si@Example.COM", KindEmail, 1},
		{"full-width at", "ｚｈａｎｇ＠１６３．ｃｏｍ", KindEmail, 1},
		{"phone as local part", "13812345678@163.com", KindEmail, 1},
		{"phone as local part not phone", "13812345678@163.com", KindPhone, 0},
		{"not an email", "price @ 5.00", KindEmail, 0},
		{"no tld", "user@localhost", KindEmail, 0},
		{"wechat label", "微信：zhangsan_88", KindWeChatID, 1},
		{"wechat id word", "微信号: dragon2024", KindWeChatID, 1},
		{"wx label", "wx: abc123456", KindWeChatID, 1},
		{"vx label", "VX：kefu-007", KindWeChatID, 1},
		{"WeChat ID label", "WeChat ID: john_doe99", KindWeChatID, 1},
		{"wechat is mobile", "微信同号 13812345678", KindWeChatID, 0},
		{"wechat mobile", "微信13812345678", KindWeChatID, 1},
		{"unlabelled id", "zhangsan_88", KindWeChatID, 0},
		{"label too far", "微信是我们常用的工具 zhangsan_88", KindWeChatID, 0},
		{"wx inside word", "wxid_abc123 and vxlan", KindWeChatID, 0},
		{"qq label", "QQ：12345678", KindQQ, 1},
		{"qq lower", "qq 987654321", KindQQ, 1},
		{"qq group not counted", "QQ群：12345678", KindQQ, 0},
		{"qq mail not counted", "QQ邮箱", KindQQ, 0},
		{"unlabelled qq", "12345678", KindQQ, 0},
		{"qq leading zero", "QQ: 012345", KindQQ, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := counts(t, DetectOptions{}, c.text)[c.kind]
			if got != c.want {
				t.Errorf("%q: %s = %d, want %d", c.text, c.kind, got, c.want)
			}
		})
	}
}

func TestContactRecords(t *testing.T) {
	cases := []struct {
		name, text string
		want       int
	}{
		{"row name + phone", "张伟\t13812345678\t北京", 1},
		{"row company + email", "上海星河贸易有限公司\tsales@xinghe.cn", 1},
		{"row latin name", "John Smith\tjohn@example.com", 1},
		{"row compound surname", "欧阳娜娜\t+86 139 1234 5678", 1},
		{"free text label", "联系人：李娜，电话 010-12345678", 1},
		{"free text title", "请联系王经理13812345678", 1},
		{"free text label glued", "联系人刘洋电话13812345678", 1},
		{"latin company", "Acme Trading Co., Ltd. tel 021-87654321", 1},
		{"identifier without name", "电话：13812345678", 0},
		{"id number is not a contact identifier", "张伟\t11010519491231002X", 0},
		{"wechat is", "张伟\t微信：zhangwei_88", 1},
		{"qq is", "张伟 QQ: 12345678", 1},
		{"form header is not a name", "Phone Number: 13812345678", 0},
		{"latin name in text", "Please call Alice Wong at 13812345678", 1},
		{"name without identifier", "张伟\t北京\t2026-11-22", 0},
		{"order line", "订单20261122153012345678\t已发货", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := counts(t, DetectOptions{}, c.text)[KindContactRecord]
			if got != c.want {
				t.Errorf("%q: contact records = %d, want %d", c.text, got, c.want)
			}
		})
	}
}

func TestKeywords(t *testing.T) {
	d := NewDetector(DetectOptions{Keywords: []string{"客户", "报价", "Contract", " "}})
	d.Segment(Segment{Text: "客户报价单：客户A, CONTRACT no. 1", Location: "page 1"})
	d.Segment(Segment{Text: "客户B", Location: "page 2"})
	var kw *Finding
	for _, f := range d.Findings() {
		if f.Kind == KindKeyword {
			kw = &f
		}
	}
	if kw == nil || kw.Count != 5 {
		t.Fatalf("keyword finding = %+v, want count 5", kw)
	}
	if !strings.HasPrefix(kw.Detail, "客户×3") || !strings.Contains(kw.Detail, "contract×1") {
		t.Errorf("detail = %q", kw.Detail)
	}
	if len(kw.Samples) != 3 {
		t.Errorf("samples = %v, want one per keyword", kw.Samples)
	}
}

func TestSamplesBoundedAndMasked(t *testing.T) {
	d := NewDetector(DetectOptions{})
	for i := 0; i < 100; i++ {
		row := "陈静\t1381234" + string(rune('0'+i/10)) + string(rune('0'+i%10)) + "00\tchen" + string(rune('a'+i%26)) + "@163.com"
		d.Segment(Segment{Text: row, Location: "Sheet1!R" + string(rune('0'+i%10))})
	}
	fs := d.Findings()
	for _, f := range fs {
		if len(f.Samples) > maxSamples {
			t.Errorf("%s: %d samples", f.Kind, len(f.Samples))
		}
		for _, s := range f.Samples {
			if strings.Contains(s.Value, "1381234") || strings.Contains(s.Value, "chena@") {
				t.Errorf("%s sample not masked: %q", f.Kind, s.Value)
			}
		}
	}
	got := map[string]int{}
	for _, f := range fs {
		got[f.Kind] = f.Count
	}
	if got[KindPhone] != 100 || got[KindEmail] != 100 || got[KindContactRecord] != 100 {
		t.Errorf("counts = %v", got)
	}
}

func TestLongSegmentIsCut(t *testing.T) {
	line := strings.Repeat("联系人 张伟 13812345678 ", 100000) // ~3 MB in one segment
	c := counts(t, DetectOptions{}, line)
	if c[KindPhone] != 100000 {
		t.Errorf("phones = %d, want 100000", c[KindPhone])
	}
}

// FuzzDetector feeds arbitrary text to the detector and MaskText: no panic, and masking
// never leaves a detected mobile number readable.
func FuzzDetector(f *testing.F) {
	for _, s := range []string{"张伟\t13812345678", "+86 (010) 1234-5678", "11010519491231002X", "微信：abc123456",
		"QQ:12345", "a@b.cn", "（＋８６）１３８", "4111 1111 1111 1111", "联系人", "\xff\xfe", "(((((+", "1-2-3-4-5-6"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := NewDetector(DetectOptions{Keywords: []string{"客户", "qq"}, Customers: fakeIndex{}})
		if err := d.Segment(Segment{Text: s, Location: "x"}); err != nil {
			t.Fatal(err)
		}
		d.Findings()
		m := MaskText(s)
		md := NewDetector(DetectOptions{})
		md.Segment(Segment{Text: m})
		for _, f := range md.Findings() {
			if f.Kind == KindPhone || f.Kind == KindIDNumber || f.Kind == KindBankCard {
				t.Fatalf("masked text %q of %q still has a %s", m, s, f.Kind)
			}
		}
	})
}

// fakeIndex matches nothing; it lets the fuzzer exercise the EDM candidate code.
type fakeIndex struct{}

func (fakeIndex) LookupCustomer(field, normalized string) (uint64, bool) { return 0, false }
func (fakeIndex) Len() int                                               { return 0 }
