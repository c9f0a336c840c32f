package api

import (
	"strings"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/store"
)

func TestFindingWordsInBothLanguages(t *testing.T) {
	cases := []struct{ code, zh, en string }{
		{"phone×60", "手机号 60 个", "60 mobile numbers"},
		{"phone×1", "手机号 1 个", "1 mobile number"},
		{"contact_record×60", "联系人记录 60 条", "60 contact records"},
		{"keyword×1", "关键词 1 个", "1 keyword"},
		{"customer_match×3", "命中客户名单 3 条", "3 customer-list entries"},
		{"id_number×2", "身份证号 2 个", "2 ID numbers"},
		{"uninspectable×1 (compression ratio 1000:1 over the limit)", "无法检查 1 处（压缩比异常（疑似压缩炸弹））", "1 uninspectable part (compression ratio 1000:1 over the limit)"},
		{"encrypted×1 (AES-encrypted zip entry)", "加密内容 1 处（文件已加密）", "1 encrypted content (AES-encrypted zip entry)"},
		// Not a finding code: a reason kept beside the findings, shown as it is.
		{"「客户.csv」含客户资料：手机号 60 个（发往QQ邮箱）", "「客户.csv」含客户资料：手机号 60 个（发往QQ邮箱）", "「客户.csv」含客户资料：手机号 60 个（发往QQ邮箱）"},
		{"含客户数据：手机号×12", "含客户数据：手机号×12", "含客户数据：手机号×12"},
		{"phone×many", "phone×many", "phone×many"},
	}
	for _, c := range cases {
		if got := FindingText(c.code, l10n.ZH); got != c.zh {
			t.Errorf("zh %q = %q, want %q", c.code, got, c.zh)
		}
		if got := FindingText(c.code, l10n.EN); got != c.en {
			t.Errorf("en %q = %q, want %q", c.code, got, c.en)
		}
	}
	codes := []string{"phone×60", "contact_record×60", "keyword×1"}
	if got := FindingsLine(codes, l10n.ZH); got != "手机号 60 个、联系人记录 60 条、关键词 1 个" {
		t.Errorf("zh line %q", got)
	}
	if got := FindingsLine(codes, l10n.EN); got != "60 mobile numbers, 60 contact records, 1 keyword" {
		t.Errorf("en line %q", got)
	}
	for _, lang := range []l10n.Lang{l10n.ZH, l10n.EN} {
		for _, w := range FindingTexts(codes, lang) {
			if strings.Contains(w, "×") || strings.Contains(w, "_") {
				t.Errorf("%s: a code survived: %q", lang, w)
			}
		}
	}
}

func TestFileWordsNameTheMessage(t *testing.T) {
	fs := FilesInWords([]store.FileRecord{{Name: "客户.csv", Findings: []string{"phone×3"}},
		{Name: "(message)", Kind: store.FileKindMessage}}, l10n.ZH)
	if fs[0].Findings[0] != "手机号 3 个" || fs[1].Name != "消息正文" || !fs[1].Message || fs[1].Findings == nil {
		t.Fatalf("%+v", fs)
	}
	if FilesInWords([]store.FileRecord{{Name: "(message)", Kind: store.FileKindMessage}}, l10n.EN)[0].Name != "message text" {
		t.Fatal("English label of the message")
	}
}

func TestPastApprovalText(t *testing.T) {
	exp := time.Date(2026, 12, 8, 19, 10, 0, 0, time.Local)
	used := &PastApproval{RequestID: "R-ABC", State: "used_up", Uses: 1, MaxUses: 1, Expires: exp}
	if got := used.Text(l10n.ZH); got != "申请 R-ABC 已使用 1/1 次" {
		t.Errorf("zh used up: %q", got)
	}
	if got := used.Text(l10n.EN); got != "request R-ABC has been used 1 of 1 times" {
		t.Errorf("en used up: %q", got)
	}
	gone := &PastApproval{RequestID: "R-ABC", State: "expired", Uses: 0, MaxUses: 1, Expires: exp}
	if got := gone.Text(l10n.ZH); got != "申请 R-ABC 的批准已于 2026-12-08 19:10 过期" {
		t.Errorf("zh expired: %q", got)
	}
	if got := gone.Text(l10n.EN); got != "the approval of request R-ABC expired on 2026-12-08 19:10" {
		t.Errorf("en expired: %q", got)
	}
}

func TestUntranslatedFindsEnglishPhrases(t *testing.T) {
	bad := []string{"unmarked: not a PDF or image", "not allowed: you cannot approve your own request", "Held for approval"}
	good := []string{"Sluice", "English", "mail.qq.com", "R-5SEUIA5N", "#12 upload", "SHA-256 ab12", "2026-12-01 19:10",
		"不能批准自己的申请", "申请 R-ABC 已使用 1/1 次", "phone", ""}
	if got := Untranslated(append(append([]string{}, bad...), good...)); len(got) != len(bad) {
		t.Fatalf("flagged %q, want %q", got, bad)
	}
	page := `<html><head><style>a b c d</style><title>申请</title></head><body><p>需要审批</p><p>unmarked: not a PDF or image</p>` +
		`<input placeholder="e.g. receiver name"><script>var a = "not shown here"</script></body></html>`
	if got := Untranslated(HTMLTexts(page)); len(got) != 2 || got[0] != "unmarked: not a PDF or image" || got[1] != "e.g. receiver name" {
		t.Fatalf("page: %q", got)
	}
	js := []byte(`{"error": "held_for_approval", "message": "the file is kept", "reasons": ["「a」含客户资料"], "x": {"findings": ["60 mobile numbers"]}}`)
	if got := Untranslated(JSONTexts(js, "message", "reasons", "findings")); len(got) != 2 {
		t.Fatalf("json: %q", got)
	}
}

func TestRecordFindingsFileByFile(t *testing.T) {
	fs := []store.FileRecord{{Name: "客户.csv", Findings: []string{"phone×60", "contact_record×60"}}, {Name: "空.txt"},
		{Name: "(message)", Kind: store.FileKindMessage, Findings: []string{"keyword×1"}}}
	got := RecordFindings(fs, l10n.ZH)
	if len(got) != 2 || got[0] != "客户.csv：手机号 60 个、联系人记录 60 条" || got[1] != "消息正文：关键词 1 个" {
		t.Errorf("zh: %q", got)
	}
	if got := RecordFindings(fs, l10n.EN); len(got) != 2 || got[1] != "message text: 1 keyword" {
		t.Errorf("en: %q", got)
	}
}
