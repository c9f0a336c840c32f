package inspect

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"unicode/utf16"
)

// cfb is a read-only view of an OLE2 Compound File (legacy .xls/.doc/.ppt, and the
// container of password-protected OOXML files).
type cfb struct {
	r       io.ReaderAt
	size    int64
	shift   uint     // sector size is 1 << shift
	fat     []uint32 // sector chain table
	minifat []uint32 // mini sector chain table
	cutoff  uint32   // streams smaller than this live in the mini stream
	dir     []cfbEntry
	mini    []byte // the mini stream, loaded on first use
}

// cfbEntry is one directory entry.
type cfbEntry struct {
	name  string
	typ   byte // 1 storage, 2 stream, 5 root
	start uint32
	size  uint64
}

const (
	cfbEnd      = 0xFFFFFFFE
	cfbMaxBytes = 256 << 20 // a compound file stream is never read beyond this
)

var cfbMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// openCFB reads the header, FAT and directory of a compound file.
func openCFB(r io.ReaderAt, size int64) (*cfb, error) {
	h := make([]byte, 512)
	if _, err := r.ReadAt(h, 0); err != nil || !bytes.Equal(h[:8], cfbMagic) {
		return nil, errors.New("not a compound file")
	}
	c := &cfb{r: r, size: size, shift: uint(binary.LittleEndian.Uint16(h[0x1E:]))}
	if c.shift != 9 && c.shift != 12 {
		return nil, errors.New("bad sector size")
	}
	c.cutoff = binary.LittleEndian.Uint32(h[0x38:])
	nsect := uint32(size>>c.shift) + 1
	// DIFAT: 109 entries in the header, then a chain of DIFAT sectors.
	var difat []uint32
	for i := 0; i < 109; i++ {
		difat = append(difat, binary.LittleEndian.Uint32(h[0x4C+4*i:]))
	}
	next := binary.LittleEndian.Uint32(h[0x44:])
	per := (1 << c.shift) / 4
	for steps := uint32(0); next < nsect && steps < nsect; steps++ {
		s, err := c.sector(next)
		if err != nil {
			return nil, err
		}
		for i := 0; i < per-1; i++ {
			difat = append(difat, binary.LittleEndian.Uint32(s[4*i:]))
		}
		next = binary.LittleEndian.Uint32(s[4*(per-1):])
	}
	for _, fs := range difat {
		if fs >= nsect {
			continue
		}
		s, err := c.sector(fs)
		if err != nil {
			return nil, err
		}
		for i := 0; i < per; i++ {
			c.fat = append(c.fat, binary.LittleEndian.Uint32(s[4*i:]))
		}
	}
	dir, err := c.chain(binary.LittleEndian.Uint32(h[0x30:]), c.fat, c.sector, cfbMaxBytes)
	if err != nil {
		return nil, err
	}
	for i := 0; i+128 <= len(dir) && len(c.dir) < 1<<16; i += 128 {
		e := dir[i : i+128]
		nl := int(binary.LittleEndian.Uint16(e[0x40:]))
		nl = min(max(nl-2, 0), 62) &^ 1
		u := make([]uint16, nl/2)
		for k := range u {
			u[k] = binary.LittleEndian.Uint16(e[2*k:])
		}
		c.dir = append(c.dir, cfbEntry{
			name:  string(utf16.Decode(u)),
			typ:   e[0x42],
			start: binary.LittleEndian.Uint32(e[0x74:]),
			size:  binary.LittleEndian.Uint64(e[0x78:]) & 0xFFFFFFFF,
		})
	}
	if len(c.dir) == 0 || c.dir[0].typ != 5 {
		return nil, errors.New("compound file has no root entry")
	}
	if mf, err := c.chain(binary.LittleEndian.Uint32(h[0x3C:]), c.fat, c.sector, cfbMaxBytes); err == nil {
		for i := 0; i+4 <= len(mf); i += 4 {
			c.minifat = append(c.minifat, binary.LittleEndian.Uint32(mf[i:]))
		}
	}
	return c, nil
}

// sector reads regular sector i.
func (c *cfb) sector(i uint32) ([]byte, error) {
	b := make([]byte, 1<<c.shift)
	off := (int64(i) + 1) << c.shift
	if off+int64(len(b)) > c.size {
		return nil, errors.New("sector beyond end of file")
	}
	_, err := c.r.ReadAt(b, off)
	return b, err
}

// miniSector reads 64-byte mini sector i from the mini stream.
func (c *cfb) miniSector(i uint32) ([]byte, error) {
	if c.mini == nil {
		m, err := c.chain(c.dir[0].start, c.fat, c.sector, cfbMaxBytes)
		if err != nil {
			return nil, err
		}
		c.mini = m
	}
	off := int(i) * 64
	if off+64 > len(c.mini) {
		return nil, errors.New("mini sector beyond mini stream")
	}
	return c.mini[off : off+64], nil
}

// chain concatenates the sectors of a chain, stopping at loops and at limit bytes.
func (c *cfb) chain(start uint32, table []uint32, read func(uint32) ([]byte, error), limit int) ([]byte, error) {
	var out []byte
	for s, steps := start, 0; s != cfbEnd; steps++ {
		if int(s) >= len(table) || steps > len(table) || len(out) >= limit {
			if len(out) == 0 && s != cfbEnd && int(s) >= len(table) && steps == 0 {
				return nil, errors.New("broken sector chain")
			}
			break
		}
		b, err := read(s)
		if err != nil {
			return out, err
		}
		out = append(out, b...)
		s = table[s]
	}
	return out, nil
}

// stream returns the content of the named stream, or nil when absent.
func (c *cfb) stream(name string) ([]byte, error) {
	for _, e := range c.dir {
		if e.typ == 2 && e.name == name {
			return c.read(e)
		}
	}
	return nil, nil
}

// read returns the content of one stream entry, bounded by its declared size.
func (c *cfb) read(e cfbEntry) ([]byte, error) {
	if e.size > uint64(min(c.size*64, cfbMaxBytes)) {
		return nil, errors.New("stream size beyond file size")
	}
	var b []byte
	var err error
	if uint32(e.size) < c.cutoff {
		b, err = c.chain(e.start, c.minifat, c.miniSector, int(e.size))
	} else {
		b, err = c.chain(e.start, c.fat, c.sector, int(e.size))
	}
	if uint64(len(b)) > e.size {
		b = b[:e.size]
	}
	return b, err
}

// has reports whether a stream or storage of that name exists.
func (c *cfb) has(name string) bool {
	for _, e := range c.dir {
		if e.name == name {
			return true
		}
	}
	return false
}

// kind names the legacy format held by the compound file.
func (c *cfb) kind() string {
	switch {
	case c.has("EncryptedPackage"):
		return "ooxml"
	case c.has("Workbook") || c.has("Book"):
		return "xls"
	case c.has("WordDocument"):
		return "doc"
	case c.has("PowerPoint Document"):
		return "ppt"
	}
	return "ole"
}
