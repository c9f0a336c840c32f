package inspect

import (
	"archive/zip"
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestDetailZHSaysWhyInChinese: the details the extractors write read as Chinese phrases, each once.
func TestDetailZHSaysWhyInChinese(t *testing.T) {
	for detail, want := range map[string]string{
		"OCR time budget of 10s exceeded: image text not read":                   "图片文字识别超过时限",
		"time budget of 20s exceeded":                                            "检查超过时限",
		"PDF is password protected":                                              "文件有密码保护",
		"encrypted zip entry 客户.xlsx":                                            "文件已加密",
		"客户.zip: compression ratio over 100:1 (zip bomb?)":                       "压缩比异常（疑似压缩炸弹）",
		"archives nested deeper than 8 levels":                                   "嵌套层数过多",
		"PDF has 60000 objects, more than the 50000 that may be parsed":          "包含的条目或对象过多",
		"more than 256 MiB uncompressed in total":                                "内容超过检查的大小上限",
		"corrupt or truncated zip structure: zip: not a valid zip file":          "文件已损坏或无法解析",
		"HEIC images cannot be decoded for OCR":                                  "图片格式无法解码，不能识别文字",
		"corrupt zip entry a.csv: flate: corrupt input; corrupt zip entry b.csv": "文件已损坏或无法解析",
		"PDF is password protected; time budget of 20s exceeded":                 "文件有密码保护；检查超过时限",
		"image shows no lines of text (photo or graphic), not OCR'd":             "图片中没有成行的文字（照片或图形），未做文字识别",
		"12×12 image too small to hold text":                                     "图片太小，不会含文字",
		"unknown binary content (application/octet-stream), no text in it":       "未知二进制内容，不含文字",
	} {
		if got := DetailZH(detail); got != want {
			t.Errorf("%q: %q, want %q", detail, got, want)
		}
	}
}

// TestUninspectableDetailOfARealFile: a zip whose entry is cut short is uninspectable, and its detail
// reads as Chinese.
func TestUninspectableDetailOfARealFile(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("客户.csv")
	w.Write(bytes.Repeat([]byte("张三,13800138000,上海某某贸易有限公司\n"), 2000))
	zw.Close()
	data := buf.Bytes()
	cut := append([]byte(nil), data...)
	copy(cut[200:], bytes.Repeat([]byte{0xff}, 400)) // damage the deflate stream of the entry
	res, err := NewScanner(Options{}).Scan(context.Background(), bytes.NewReader(cut), int64(len(cut)), "客户.zip")
	if err != nil {
		t.Fatal(err)
	}
	var detail string
	for _, f := range res.Findings {
		if f.Kind == KindUninspectable {
			detail = f.Detail
		}
	}
	if detail == "" {
		t.Fatalf("a damaged zip entry is not uninspectable: %+v", res.Findings)
	}
	if zh := DetailZH(detail); zh != "文件已损坏或无法解析" || strings.ContainsAny(zh, "abcdefghijklmnopqrstuvwxyz") {
		t.Errorf("%q reads as %q", detail, zh)
	}
}
