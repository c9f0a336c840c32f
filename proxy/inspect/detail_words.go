package inspect

import (
	"slices"
	"strings"
)

// detailWords maps the technical detail of an encrypted, uninspectable or no-text finding (English, for
// logs and investigators) to what a person reads in Chinese; the first rule whose words all occur wins.
var detailWords = []struct {
	words []string
	zh    string
}{
	{[]string{"no lines of text"}, "图片中没有成行的文字（照片或图形），未做文字识别"},
	{[]string{"too small to hold text"}, "图片太小，不会含文字"},
	{[]string{"icon"}, "图标，未识别文字"},
	{[]string{"OCR found no text"}, "图片中没有识别出文字"},
	{[]string{"images carry no extractable text"}, "图片中的文字未识别（文字识别未开启）"},
	{[]string{"carries no extractable text"}, "此类文件不含可提取的文字"},
	{[]string{"unknown binary content"}, "未知二进制内容，不含文字"},
	{[]string{"no text found"}, "此文件中没有文字"},
	{[]string{"OCR", "budget"}, "图片文字识别超过时限"},
	{[]string{"during OCR"}, "图片文字识别超过时限"},
	{[]string{"over the OCR limit"}, "图片像素超过文字识别上限"},
	{[]string{"decoded for OCR"}, "图片格式无法解码，不能识别文字"},
	{[]string{"OCR failed"}, "图片文字识别失败"},
	{[]string{"time budget"}, "检查超过时限"},
	{[]string{"scan cancelled"}, "检查被中断（客户端已断开）"},
	{[]string{"password"}, "文件有密码保护"},
	{[]string{"encrypted"}, "文件已加密"},
	{[]string{"compression ratio"}, "压缩比异常（疑似压缩炸弹）"},
	{[]string{"nested deeper"}, "嵌套层数过多"},
	{[]string{"DOCTYPE"}, "含被拒绝的 XML 声明（疑似实体扩展攻击）"},
	{[]string{"MiB"}, "内容超过检查的大小上限"},
	{[]string{"more than"}, "包含的条目或对象过多"},
	{[]string{"not supported"}, "格式不受支持"},
	{[]string{"unsupported"}, "格式不受支持"},
}

// DetailZH says in Chinese why a file (or part) could not be inspected or holds no text, from a finding's English detail (several
// details joined by "; " give several phrases, each once).
func DetailZH(detail string) string {
	var out []string
	for _, part := range strings.Split(detail, "; ") {
		zh := "文件已损坏或无法解析"
	rules:
		for _, r := range detailWords {
			for _, w := range r.words {
				if !strings.Contains(part, w) {
					continue rules
				}
			}
			zh = r.zh
			break
		}
		if !slices.Contains(out, zh) {
			out = append(out, zh)
		}
	}
	return strings.Join(out, "；")
}
