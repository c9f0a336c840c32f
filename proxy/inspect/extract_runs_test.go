package inspect

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/sluice-dlp/sluice/internal/fixture"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// TestTextBehindABinaryHeaderIsRead: a slice of a CSV behind a binary header (QQ mail's large-attachment
// slices carry 364 bytes of header before 128 KiB of the file) is read, in UTF-8, GBK and UTF-16.
func TestTextBehindABinaryHeaderIsRead(t *testing.T) {
	csv := fixture.CSV(fixture.Customers(60, 7))
	gbk, _ := simplifiedchinese.GBK.NewEncoder().Bytes(csv)
	u16, _ := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder().Bytes(csv)
	header := make([]byte, 364)
	rand.NewChaCha8([32]byte{1}).Read(header)
	for name, text := range map[string][]byte{"utf-8": csv, "gbk": gbk, "utf-16": u16} {
		slice := append(append([]byte(nil), header...), text...)
		res := scanFull(t, slice, "")
		if res.Count(KindPhone) < 55 {
			t.Errorf("%s behind a binary header: type %s, %d phones of 60; findings %+v", name, res.Type, res.Count(KindPhone), res.Findings)
		}
	}
	// noise stays noise
	noise := make([]byte, 200<<10)
	rand.NewChaCha8([32]byte{2}).Read(noise)
	if res := scanFull(t, noise, "blob.bin"); res.Count(KindPhone) != 0 || !res.Has(KindNoText) {
		t.Errorf("random bytes: %+v", res.Findings)
	}
	// a run that crosses the 1 MiB window is not cut in two
	big := append(bytes.Repeat([]byte{0}, runsWindow-40), csv...)
	if res := scanFull(t, big, ""); res.Count(KindPhone) < 55 {
		t.Errorf("text across the window boundary: %d phones", res.Count(KindPhone))
	}
}
