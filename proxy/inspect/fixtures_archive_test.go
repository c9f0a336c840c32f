// Archive and e-mail fixtures (see fixtures_test.go for the index of helpers).

package inspect

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strings"
	"testing"
)

// makeEncryptedZip writes a zip whose single stored entry has the encryption flag set and
// starts with a 12-byte traditional PKWARE encryption header, as zip -e produces.
func makeEncryptedZip(tb testing.TB, name string, data []byte) []byte {
	tb.Helper()
	payload := append([]byte{0x5a, 0x1f, 0x93, 0x04, 0xee, 0x61, 0x7c, 0x20, 0xb3, 0x48, 0x0d, 0x9e}, data...)
	for i := 12; i < len(payload); i++ {
		payload[i] ^= byte(0xa5 + i*31) // stand-in ciphertext: not readable as the plaintext
	}
	crc := crc32.ChecksumIEEE(data)
	var b bytes.Buffer
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	le(uint32(0x04034b50))
	le(uint16(20))
	le(uint16(0x0001)) // flags: encrypted
	le(uint16(0))      // stored
	le(uint16(0))
	le(uint16(0x21))
	le(crc)
	le(uint32(len(payload)))
	le(uint32(len(data)))
	le(uint16(len(name)))
	le(uint16(0))
	b.WriteString(name)
	b.Write(payload)
	cd := b.Len()
	le(uint32(0x02014b50))
	le(uint16(20))
	le(uint16(20))
	le(uint16(0x0001))
	le(uint16(0))
	le(uint16(0))
	le(uint16(0x21))
	le(crc)
	le(uint32(len(payload)))
	le(uint32(len(data)))
	le(uint16(len(name)))
	le(uint16(0))
	le(uint16(0))
	le(uint16(0))
	le(uint16(0))
	le(uint32(0))
	le(uint32(0))
	b.WriteString(name)
	cdLen := b.Len() - cd
	le(uint32(0x06054b50))
	le(uint16(0))
	le(uint16(0))
	le(uint16(1))
	le(uint16(1))
	le(uint32(cdLen))
	le(uint32(cd))
	le(uint16(0))
	return b.Bytes()
}

// makeZipBomb builds a 42.zip-style bomb: levels of nested zips, each holding fan copies
// of the level below; the innermost zip holds fan files of size zero bytes each.
func makeZipBomb(tb testing.TB, levels, fan int, size int64) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i < fan; i++ {
		w, err := zw.Create(fmt.Sprintf("zeros%d.txt", i))
		if err != nil {
			tb.Fatal(err)
		}
		chunk := make([]byte, 1<<20)
		for left := size; left > 0; left -= int64(len(chunk)) {
			w.Write(chunk[:min(int64(len(chunk)), left)])
		}
	}
	zw.Close()
	cur := buf.Bytes()
	for l := 1; l < levels; l++ {
		var files []fixtureFile
		for i := 0; i < fan; i++ {
			files = append(files, fixtureFile{fmt.Sprintf("lib%d_%d.zip", l, i), cur})
		}
		cur = zipBytes(tb, files...)
	}
	return cur
}

// makeGzip returns data gzipped, with name recorded in the header.
func makeGzip(tb testing.TB, name string, data []byte) []byte {
	tb.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Name = name
	zw.Write(data)
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// makeTar returns a tar archive of files.
func makeTar(tb testing.TB, files ...fixtureFile) []byte {
	tb.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.Name, Mode: 0o644, Size: int64(len(f.Data)), Typeflag: tar.TypeReg}); err != nil {
			tb.Fatal(err)
		}
		tw.Write(f.Data)
	}
	if err := tw.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// makeEML builds a multipart/mixed e-mail with a GBK quoted-printable text body
// and base64 attachments.
func makeEML(tb testing.TB, subject, body string, files ...fixtureFile) []byte {
	tb.Helper()
	var b strings.Builder
	b.WriteString("From: =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte("销售小王")) + "?= <wang@corp.example>\r\n")
	b.WriteString("To: friend@qq.com\r\n")
	b.WriteString("Subject: =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte(subject)) + "?=\r\n")
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"BOUNDARY\"\r\n\r\n")
	b.WriteString("--BOUNDARY\r\nContent-Type: text/plain; charset=gbk\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	b.WriteString(base64.StdEncoding.EncodeToString(encodeGBK(tb, body)) + "\r\n")
	for _, f := range files {
		b.WriteString("--BOUNDARY\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n")
		b.WriteString("Content-Disposition: attachment; filename=\"" + f.Name + "\"\r\n\r\n")
		enc := base64.StdEncoding.EncodeToString(f.Data)
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\r\n")
	}
	b.WriteString("--BOUNDARY--\r\n")
	return []byte(b.String())
}

// makeODS builds an OpenDocument spreadsheet (first entry "mimetype", stored) with one table.
func makeODS(tb testing.TB, rows [][]string) []byte {
	tb.Helper()
	var c strings.Builder
	c.WriteString(`<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet><table:table table:name="客户">`)
	for _, r := range rows {
		c.WriteString(`<table:table-row>`)
		for _, v := range r {
			fmt.Fprintf(&c, `<table:table-cell office:value-type="string"><text:p>%s</text:p></table:table-cell>`, xmlEscape(v))
		}
		c.WriteString(`</table:table-row>`)
	}
	c.WriteString(`</table:table></office:spreadsheet></office:body></office:document-content>`)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "mimetype", Method: zip.Store})
	w.Write([]byte("application/vnd.oasis.opendocument.spreadsheet"))
	w, _ = zw.Create("content.xml")
	w.Write([]byte(c.String()))
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// replaceZipEntry returns a copy of a zip archive with one entry's content replaced.
func replaceZipEntry(tb testing.TB, data []byte, name string, content []byte) []byte {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		tb.Fatal(err)
	}
	var files []fixtureFile
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			tb.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(rc)
		rc.Close()
		if f.Name == name {
			files = append(files, fixtureFile{name, content})
		} else {
			files = append(files, fixtureFile{f.Name, b.Bytes()})
		}
	}
	return zipBytes(tb, files...)
}
