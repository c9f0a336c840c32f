// Package upload turns an HTTP request body into parts (files, fields, base64 attachments) and back.
package upload

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"hash"
	"io"
	"os"
	"sort"
)

// Spool holds bytes in memory up to a threshold and in a temp file beyond it.
type Spool struct {
	mem       bytes.Buffer
	file      *os.File
	dir       string
	threshold int64
	size      int64
	sum       hash.Hash
	closed    bool
	digest    string
	base      *Spool // set for a view onto part of another spool
	baseOff   int64
	pieces    []*Spool // set for a concatenation of other spools (a file reassembled from slices)
	starts    []int64  // offset of each piece
}

// Concat returns a finished read-only spool that reads as the pieces one after the other, without
// copying them; its digest is computed now. The pieces must stay open while it is used.
func Concat(pieces []*Spool) (*Spool, error) {
	c := &Spool{closed: true, pieces: pieces}
	for _, p := range pieces {
		c.starts = append(c.starts, c.size)
		c.size += p.Size()
	}
	h := sha256.New()
	if _, err := io.Copy(h, c.Reader()); err != nil {
		return nil, err
	}
	c.digest = hex.EncodeToString(h.Sum(nil))
	return c, nil
}

// ToDisk moves a spool's bytes from memory to its temp file (held slices wait on disk, not in RAM).
func (s *Spool) ToDisk() error {
	if s.base != nil || s.pieces != nil || s.file != nil || s.mem.Len() == 0 {
		return nil
	}
	return s.spill()
}

// View returns a finished read-only spool over bytes [off, off+n) of s, without copying.
func (s *Spool) View(off, n int64) (*Spool, error) {
	v := &Spool{base: s, baseOff: off, size: n, closed: true}
	h := sha256.New()
	if _, err := io.Copy(h, s.Section(off, n)); err != nil {
		return nil, err
	}
	v.digest = hex.EncodeToString(h.Sum(nil))
	return v, nil
}

// NewSpool returns an empty spool that spills to a temp file in dir after threshold bytes.
func NewSpool(dir string, threshold int64) *Spool {
	return &Spool{dir: dir, threshold: threshold, sum: sha256.New()}
}

// Expect tells the spool how many bytes are coming (e.g. from Content-Length): a body larger than
// the threshold goes straight to disk, a smaller one gets its buffer sized once.
func (s *Spool) Expect(n int64) {
	if n <= 0 || s.size > 0 {
		return
	}
	if n > s.threshold {
		s.spill()
		return
	}
	s.mem.Grow(int(n))
}

// spill moves the spool to a temp file; a failure is reported by the next Write.
func (s *Spool) spill() error {
	if s.file != nil {
		return nil
	}
	f, err := os.CreateTemp(s.dir, "sluice-spool-*")
	if err != nil {
		return l10n.Wrap(err, l10n.Unavailable, "无法把上传内容暂存到 %s（请检查数据目录的空间和权限）", "cannot spool the upload to %s (check free space and permissions of the data dir)", s.dir)
	}
	os.Remove(f.Name()) // unlinked: the file disappears when closed, even after a crash
	if _, err := f.Write(s.mem.Bytes()); err != nil {
		f.Close()
		return err
	}
	s.mem = bytes.Buffer{}
	s.file = f
	return nil
}

// SpoolBytes returns a finished in-memory spool holding b.
func SpoolBytes(b []byte) *Spool {
	s := NewSpool("", int64(len(b))+1)
	s.Write(b)
	s.Finish()
	return s
}

// Write appends p, spilling to disk when the threshold is passed.
func (s *Spool) Write(p []byte) (int, error) {
	if s.closed {
		return 0, fmt.Errorf("write to a finished spool")
	}
	s.sum.Write(p)
	s.size += int64(len(p))
	if s.file == nil && int64(s.mem.Len()+len(p)) > s.threshold {
		if err := s.spill(); err != nil {
			return 0, err
		}
	}
	if s.file != nil {
		return s.file.Write(p)
	}
	return s.mem.Write(p)
}

// Finish ends writing and computes the digest.
func (s *Spool) Finish() {
	if !s.closed {
		s.closed = true
		s.digest = hex.EncodeToString(s.sum.Sum(nil))
	}
}

// Size returns the number of bytes held.
func (s *Spool) Size() int64 { return s.size }

// SHA256 returns the hex sha256 of the bytes held (after Finish).
func (s *Spool) SHA256() string { return s.digest }

// OnDisk reports whether the spool spilled to a temp file.
func (s *Spool) OnDisk() bool { return s.file != nil }

// ReadAt reads from the held bytes.
func (s *Spool) ReadAt(p []byte, off int64) (int, error) {
	if s.pieces != nil {
		return s.readPieces(p, off)
	}
	if s.base != nil {
		if off >= s.size {
			return 0, io.EOF
		}
		if rem := s.size - off; int64(len(p)) > rem {
			n, err := s.base.ReadAt(p[:rem], s.baseOff+off)
			if err == nil {
				err = io.EOF
			}
			return n, err
		}
		return s.base.ReadAt(p, s.baseOff+off)
	}
	if s.file != nil {
		return s.file.ReadAt(p, off)
	}
	return bytes.NewReader(s.mem.Bytes()).ReadAt(p, off)
}

// readPieces reads a concatenation across its pieces.
func (s *Spool) readPieces(p []byte, off int64) (int, error) {
	if off >= s.size {
		return 0, io.EOF
	}
	n := 0
	i := sort.Search(len(s.starts), func(i int) bool { return s.starts[i] > off }) - 1
	for ; i < len(s.pieces) && n < len(p); i++ {
		k, err := s.pieces[i].ReadAt(p[n:min(len(p), n+int(s.pieces[i].Size()-(off-s.starts[i])))], off-s.starts[i])
		n += k
		off += int64(k)
		if err != nil && err != io.EOF {
			return n, err
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Reader returns a fresh reader over all held bytes.
func (s *Spool) Reader() io.Reader { return io.NewSectionReader(s, 0, s.size) }

// Section returns a reader over bytes [off, off+n).
func (s *Spool) Section(off, n int64) *io.SectionReader { return io.NewSectionReader(s, off, n) }

// Bytes returns the held bytes if they are in memory, or reads them when small enough (≤ max).
func (s *Spool) Bytes(max int64) ([]byte, error) {
	if s.file == nil && s.base == nil && s.pieces == nil {
		return s.mem.Bytes(), nil
	}
	if s.size > max {
		return nil, fmt.Errorf("%d bytes is more than the %d that may be held in memory", s.size, max)
	}
	b := make([]byte, s.size)
	_, err := io.ReadFull(s.Section(0, s.size), b)
	return b, err
}

// Close releases memory and deletes the temp file.
func (s *Spool) Close() error {
	if s.base != nil || s.pieces != nil {
		return nil // the pieces are closed by their owner
	}
	s.mem = bytes.Buffer{}
	if s.file != nil {
		err := s.file.Close()
		s.file = nil
		return err
	}
	return nil
}
