// OLE2 compound-file fixtures (see fixtures_test.go for the index of helpers).

package inspect

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"testing"
	"unicode/utf16"
)

// makeCFB writes an OLE2 compound file (version 3, 512-byte sectors) holding the given
// streams in the root storage. Streams are padded to 4096 bytes so that none lives in
// the mini stream.
func makeCFB(tb testing.TB, streams map[string][]byte) []byte {
	tb.Helper()
	names := make([]string, 0, len(streams))
	for n := range streams {
		names = append(names, n)
	}
	sort.Strings(names)
	const ss = 512
	var body [][]byte // sectors after FAT and directory
	type ent struct {
		name  string
		start int
		size  int
	}
	var ents []ent
	// sector 0: FAT, sector 1..: directory (4 entries per sector), then streams
	ndir := (len(names) + 1 + 3) / 4
	next := 1 + ndir
	var fat []uint32
	fat = append(fat, 0xFFFFFFFD) // FAT sector
	for i := 0; i < ndir; i++ {
		if i == ndir-1 {
			fat = append(fat, 0xFFFFFFFE)
		} else {
			fat = append(fat, uint32(2+i))
		}
	}
	for _, n := range names {
		d := streams[n]
		if len(d) < 4096 {
			d = append(append([]byte(nil), d...), make([]byte, 4096-len(d))...)
		}
		cnt := (len(d) + ss - 1) / ss
		ents = append(ents, ent{n, next, len(d)})
		for i := 0; i < cnt; i++ {
			sec := make([]byte, ss)
			copy(sec, d[i*ss:])
			body = append(body, sec)
			if i == cnt-1 {
				fat = append(fat, 0xFFFFFFFE)
			} else {
				fat = append(fat, uint32(next+i+1))
			}
		}
		next += cnt
	}
	if len(fat) > ss/4 {
		tb.Fatalf("makeCFB: streams too large for one FAT sector")
	}
	for len(fat) < ss/4 {
		fat = append(fat, 0xFFFFFFFF)
	}
	h := make([]byte, 512)
	copy(h, cfbMagic)
	binary.LittleEndian.PutUint16(h[0x18:], 0x3E)
	binary.LittleEndian.PutUint16(h[0x1A:], 3)
	binary.LittleEndian.PutUint16(h[0x1C:], 0xFFFE)
	binary.LittleEndian.PutUint16(h[0x1E:], 9)
	binary.LittleEndian.PutUint16(h[0x20:], 6)
	binary.LittleEndian.PutUint32(h[0x2C:], 1)
	binary.LittleEndian.PutUint32(h[0x30:], 1)
	binary.LittleEndian.PutUint32(h[0x38:], 4096)
	binary.LittleEndian.PutUint32(h[0x3C:], 0xFFFFFFFE)
	binary.LittleEndian.PutUint32(h[0x44:], 0xFFFFFFFE)
	for i := 0; i < 109; i++ {
		binary.LittleEndian.PutUint32(h[0x4C+4*i:], 0xFFFFFFFF)
	}
	binary.LittleEndian.PutUint32(h[0x4C:], 0)
	var out bytes.Buffer
	out.Write(h)
	for _, f := range fat {
		binary.Write(&out, binary.LittleEndian, f)
	}
	dir := make([]byte, ndir*ss)
	writeEnt := func(i int, name string, typ byte, start uint32, size uint32, child uint32, right uint32) {
		e := dir[i*128 : i*128+128]
		u := utf16.Encode([]rune(name))
		for k, x := range u {
			binary.LittleEndian.PutUint16(e[2*k:], x)
		}
		binary.LittleEndian.PutUint16(e[0x40:], uint16(2*len(u)+2))
		e[0x42] = typ
		e[0x43] = 1
		binary.LittleEndian.PutUint32(e[0x44:], 0xFFFFFFFF)
		binary.LittleEndian.PutUint32(e[0x48:], right)
		binary.LittleEndian.PutUint32(e[0x4C:], child)
		binary.LittleEndian.PutUint32(e[0x74:], start)
		binary.LittleEndian.PutUint32(e[0x78:], size)
	}
	child := uint32(0xFFFFFFFF)
	if len(ents) > 0 {
		child = 1
	}
	writeEnt(0, "Root Entry", 5, 0xFFFFFFFE, 0, child, 0xFFFFFFFF)
	for i, e := range ents {
		right := uint32(0xFFFFFFFF)
		if i+1 < len(ents) {
			right = uint32(i + 2)
		}
		writeEnt(i+1, e.name, 2, uint32(e.start), uint32(e.size), 0xFFFFFFFF, right)
	}
	out.Write(dir)
	for _, s := range body {
		out.Write(s)
	}
	return out.Bytes()
}

// biffWorkbook builds a minimal BIFF8 Workbook stream with one sheet "客户": text cells
// in the shared string table, digit cells as NUMBER records.
func biffWorkbook(rows [][]string) []byte {
	rec := func(b *bytes.Buffer, typ uint16, data []byte) {
		b.Write([]byte{byte(typ), byte(typ >> 8), byte(len(data)), byte(len(data) >> 8)})
		b.Write(data)
	}
	u16 := func(v int) []byte { return []byte{byte(v), byte(v >> 8)} }
	u32 := func(v int) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)} }
	uni := func(s string) []byte { // flags 1: UTF-16LE
		var o []byte
		for _, r := range s {
			o = append(o, byte(r), byte(r>>8))
		}
		return o
	}
	var strs []string
	idx := map[string]int{}
	for _, r := range rows {
		for _, c := range r {
			if !fixtureDigits(c) {
				if _, ok := idx[c]; !ok {
					idx[c] = len(strs)
					strs = append(strs, c)
				}
			}
		}
	}
	var sst []byte
	sst = append(sst, u32(len(strs))...)
	sst = append(sst, u32(len(strs))...)
	for _, s := range strs {
		sst = append(sst, u16(len([]rune(s)))...)
		sst = append(sst, 1)
		sst = append(sst, uni(s)...)
	}
	bof := append(u16(0x0600), make([]byte, 14)...)
	build := func(sheetPos int) *bytes.Buffer {
		var g bytes.Buffer
		rec(&g, biffBOF, bof)
		name := "客户"
		bs := append(u32(sheetPos), 0, 0, byte(len([]rune(name))), 1)
		rec(&g, biffBoundSheet, append(bs, uni(name)...))
		rec(&g, biffSST, sst)
		rec(&g, 0x000A, nil)
		return &g
	}
	globals := build(0)
	g := build(globals.Len())
	rec(g, biffBOF, bof)
	for r, row := range rows {
		for c, v := range row {
			if fixtureDigits(v) {
				var f float64
				fmt.Sscan(v, &f)
				d := append(append(u16(r), u16(c)...), u16(0)...)
				var fb [8]byte
				bits := math.Float64bits(f)
				for i := range fb {
					fb[i] = byte(bits >> (8 * i))
				}
				rec(g, biffNumber, append(d, fb[:]...))
			} else {
				rec(g, biffLabelSST, append(append(append(u16(r), u16(c)...), u16(0)...), u32(idx[v])...))
			}
		}
	}
	rec(g, 0x000A, nil)
	return g.Bytes()
}

// wordDocument builds a WordDocument stream: a FIB header (Word 97, table stream 1Table)
// followed at offset 0x800 by the text in UTF-16LE.
func wordDocument(text string) []byte {
	b := make([]byte, 0x800)
	b[0], b[1] = 0xEC, 0xA5
	b[0x0A], b[0x0B] = 0x00, 0x02 // fWhichTblStm
	// fcClx = 0, lcbClx = length of the CLX written by wordTable
	n := len([]rune(text))
	lcb := 5 + 4*2 + 8
	b[0x1A6] = byte(lcb)
	for _, r := range text {
		b = append(b, byte(r), byte(r>>8))
	}
	_ = n
	return b
}

// wordTable builds a table stream whose CLX has one piece of n UTF-16 characters at 0x800.
func wordTable(n int) []byte {
	clx := []byte{0x02, 16, 0, 0, 0}
	clx = append(clx, 0, 0, 0, 0, byte(n), byte(n>>8), 0, 0)
	clx = append(clx, 0, 0, 0x00, 0x08, 0, 0, 0, 0)
	return clx
}
