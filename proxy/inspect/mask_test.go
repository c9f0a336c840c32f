package inspect

import (
	"strings"
	"testing"
)

func TestMaskText(t *testing.T) {
	cases := []struct{ in, want string }{
		{"电话13812345678", "电话138****5678"},
		{"手机 +86 138-1234-5678。", "手机 138****5678。"},
		{"身份证：11010519491231002X", "身份证：1101**********002X"},
		{"身份证：110105194912310021 无效", "身份证：110105194912310021 无效"}, // bad checksum: not an ID
		{"邮箱 zhang.san@qq.com", "邮箱 z***@qq.com"},
		{"座机（０１０）６２３４５６７８转", "座机010****5678转"},
		{"卡号 6222 0212 3456 7890 128", "卡号 6222***********0128"},
		{"微信：dragon2024 QQ:12345678", "微信：dr*******4 QQ:12****78"},
		{"订单20261122153012345678", "订单20261122153012345678"},
		{"no values here", "no values here"},
	}
	for _, c := range cases {
		if got := MaskText(c.in); got != c.want {
			t.Errorf("MaskText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestMaskValueNeverShowsMost(t *testing.T) {
	for _, c := range []struct{ kind, v string }{
		{KindPhone, "13812345678"}, {KindLandline, "01062345678"}, {KindIDNumber, "11010519491231002X"},
		{KindBankCard, "4111111111111111"}, {KindQQ, "12345"}, {KindWeChatID, "abcdef"}, {"name", "上海星河贸易有限公司"}, {"name", "张伟"},
	} {
		m := maskValue(c.kind, c.v)
		if strings.Count(m, "*") < len([]rune(c.v))/3 {
			t.Errorf("maskValue(%s, %q) = %q shows too much", c.kind, c.v, m)
		}
	}
}

func TestNormalize(t *testing.T) {
	cases := []struct{ field, in, want string }{
		{FieldPhone, "+86 138-1234-5678", "13812345678"},
		{FieldPhone, "0086１３８１２３４５６７８", "13812345678"},
		{FieldPhone, "(010) 6234-5678", "01062345678"},
		{FieldEmail, " Zhang.San@QQ.COM ", "zhang.san@qq.com"},
		{FieldEmail, "ｚｈａｎｇ＠ｑｑ．ｃｏｍ", "zhang@qq.com"},
		{FieldCompany, "上海星河贸易（集团）有限公司", "上海星河贸易集团有限公司"},
		{FieldCompany, "Acme Trading Co., Ltd.", "acmetradingcoltd"},
		{FieldContact, " 张 伟 ", "张伟"},
	}
	for _, c := range cases {
		if got := NormalizeField(c.field, c.in); got != c.want {
			t.Errorf("NormalizeField(%s, %q) = %q, want %q", c.field, c.in, got, c.want)
		}
	}
	if got := ExtractPhones("13812345678 / 021-87654321 转 8001"); strings.Join(got, ",") != "13812345678,02187654321" {
		t.Errorf("ExtractPhones = %v", got)
	}
	if got := ExtractEmails("a@b.cn; C@D.COM"); strings.Join(got, ",") != "a@b.cn,c@d.com" {
		t.Errorf("ExtractEmails = %v", got)
	}
}

// BenchmarkDetector measures detector throughput (MB/s) on plain mixed Chinese/ASCII text
// with a realistic sprinkling of phone numbers, e-mails and names.
func BenchmarkDetector(b *testing.B) {
	var sb strings.Builder
	for i := 0; sb.Len() < 1<<20; i++ {
		switch i % 4 {
		case 0:
			sb.WriteString("本季度销售报告：华东区域客户拜访共计 42 次，合同金额约 1,234,567.89 元，同比增长 12.5%。\n")
		case 1:
			sb.WriteString("联系人：王伟，手机 138-1234-5678，邮箱 wang.wei@example.com，地址：上海市浦东新区世纪大道 100 号。\n")
		case 2:
			sb.WriteString("The quarterly review meeting is scheduled for 2026-11-22 15:30, room 3F, order SO20261122153012.\n")
		default:
			sb.WriteString("请于本周五前提交报价单，并抄送项目负责人；如有疑问请致电 010-62345678 或微信 sales_helper。\n")
		}
	}
	text := sb.String()
	lines := strings.Split(text, "\n")
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		d := NewDetector(DetectOptions{Keywords: []string{"客户", "报价", "合同", "联系人"}})
		for _, l := range lines {
			d.Segment(Segment{Text: l, Location: "line"})
		}
		d.Findings()
	}
}
