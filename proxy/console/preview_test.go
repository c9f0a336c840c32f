package console

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image/png"
	"strings"
	"testing"

	"github.com/sluice-dlp/sluice/store"
)

func TestMaskText(t *testing.T) {
	cases := map[string]string{
		"电话 13812345678":             "电话 138******78",
		"身份证 110101199003071234":     "身份证 110*************34",
		"tel 021-6234 5678":          "tel 021-**** **78",
		"mail zhangsan@example.com":  "mail z***@example.com",
		"订单 12345 不遮":                "订单 12345 不遮",
		"card 6222 0210 0112 3456 7": "card 622* **** **** **** 7",
	}
	for in, want := range cases {
		if got := maskText(in); got != want {
			t.Errorf("maskText(%q) = %q, want %q", in, got, want)
		}
	}
}

// hugePNGHeader is a PNG signature and a valid IHDR claiming 100000×100000 pixels, and nothing else.
func hugePNGHeader() []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 100000)
	binary.BigEndian.PutUint32(ihdr[4:], 100000)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func TestPreviewHostileFiles(t *testing.T) {
	c := newConsole(t)
	put := func(data []byte) store.FileRecord {
		sum, err := c.db.PutBlobBytes(data)
		if err != nil {
			t.Fatal(err)
		}
		f := store.FileRecord{Name: "x", SHA256: sum, Blob: sum, Size: int64(len(data))}
		if err := c.db.AppendEvent(&store.Event{Action: "upload", User: "zhangsan", Verdict: "approval", Files: []store.FileRecord{f}}); err != nil {
			t.Fatal(err) // a blob is in the archive once a record refers to it
		}
		return f
	}
	if _, err := imageThumb(c.db, put(hugePNGHeader())); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("huge image header: %v", err)
	}
	if _, err := imageThumb(c.db, put(append(testPNG(40, 40)[:60:60], 0, 0, 0))); err == nil {
		t.Fatal("truncated PNG decoded")
	}
	if _, err := pdfFirstPage(context.Background(), c.db, put([]byte("%PDF-1.4\n1 0 obj <<garbage"))); err == nil {
		t.Fatal("corrupt PDF rendered")
	}
	data, err := pdfFirstPage(context.Background(), c.db, put(testPDF("hello")))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil || max(img.Bounds().Dx(), img.Bounds().Dy()) != previewBox {
		t.Fatalf("PDF preview: %v %v", img.Bounds(), err)
	}
	thumb, err := imageThumb(c.db, put(testPNG(1600, 400)))
	if err != nil {
		t.Fatal(err)
	}
	if img, _ := png.Decode(bytes.NewReader(thumb)); img.Bounds().Dx() != previewBox || img.Bounds().Dy() != 200 {
		t.Fatalf("thumbnail %v", img.Bounds())
	}
	if previewKind(c.db, store.FileRecord{SHA256: strings.Repeat("0", 64)}) != "" {
		t.Fatal("a missing blob has a preview kind")
	}
	// A long text cut in the middle of a multi-byte character stays valid UTF-8 and is masked.
	long := strings.Repeat("客户13812345678\n", 200)
	ex := textExcerpt(c.db, put([]byte(long)))
	if !strings.HasSuffix(ex, " …") || strings.Contains(ex, "13812345678") || strings.ContainsRune(ex, '\uFFFD') || len(ex) > excerptBytes+8 {
		t.Fatalf("excerpt: %q", ex[len(ex)-40:])
	}
}
