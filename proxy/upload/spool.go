// Package upload turns an HTTP request body into parts (files, fields, base64 attachments) and back.
package upload

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"

	"github.com/sluice-dlp/sluice/internal/l10n"
)

// Spool holds bytes in memory up to a threshold (and while the memory budget allows) and in a temp
// file beyond it. Its SHA-256 is computed once, when first asked for: a body split into parts is hashed
// part by part, never as a whole as well.
type Spool struct {
	mem        bytes.Buffer
	file       *os.File
	dir        string
	threshold  int64
	size       int64
	closed     bool
	digestOnce sync.Once
	digest     string
	budget     *Budget
	reserved   int64  // bytes of the budget this spool holds
	onDisk     int64  // bytes in the temp file (counted in the budget's Spooled)
	base       *Spool // set for a view onto part of another spool
	baseOff    int64
	pieces     []*Spool // set for a concatenation of other spools (a file reassembled from slices)
	starts     []int64  // offset of each piece
}

// newSHA256 makes the hash of every spool (tests count the bytes it sees).
var newSHA256 = sha256.New

// Concat returns a finished read-only spool that reads as the pieces one after the other, without
// copying them. The pieces must stay open while it is used.
func Concat(pieces []*Spool) (*Spool, error) {
	c := &Spool{closed: true, pieces: pieces}
	for _, p := range pieces {
		c.starts = append(c.starts, c.size)
		c.size += p.Size()
	}
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
	if off < 0 || n < 0 || off+n > s.size {
		return nil, fmt.Errorf("view [%d, %d) outside a spool of %d bytes", off, off+n, s.size)
	}
	return &Spool{base: s, baseOff: off, size: n, closed: true}, nil
}

// NewSpool returns an empty spool that spills to a temp file in dir after threshold bytes.
func NewSpool(dir string, threshold int64) *Spool {
	return &Spool{dir: dir, threshold: threshold}
}

// newSpool returns an empty spool bounded by the options' threshold and memory budget.
func (o *Options) newSpool() *Spool {
	return &Spool{dir: o.Dir, threshold: o.SpoolThreshold, budget: o.Budget}
}

// Expect tells the spool how many bytes are coming (e.g. from Content-Length): a body larger than
// the threshold goes straight to disk, a smaller one gets its buffer sized once.
func (s *Spool) Expect(n int64) {
	if n <= 0 || s.size > 0 {
		return
	}
	if n > s.threshold || !s.budget.take(n) {
		s.spill()
		return
	}
	s.reserved = n
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
	s.onDisk = int64(s.mem.Len())
	s.budget.disk(s.onDisk)
	s.mem = bytes.Buffer{}
	s.file = f
	s.budget.give(s.reserved)
	s.reserved = 0
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
	s.size += int64(len(p))
	if s.file == nil {
		want := int64(s.mem.Len()+len(p)) - s.reserved
		if int64(s.mem.Len()+len(p)) > s.threshold || want > 0 && !s.budget.take(want) {
			if err := s.spill(); err != nil {
				return 0, err
			}
		} else if want > 0 {
			s.reserved += want
		}
	}
	if s.file != nil {
		s.onDisk += int64(len(p))
		s.budget.disk(int64(len(p)))
		return s.file.Write(p)
	}
	return s.mem.Write(p)
}

// Finish ends writing.
func (s *Spool) Finish() { s.closed = true }

// Size returns the number of bytes held.
func (s *Spool) Size() int64 { return s.size }

// SHA256 returns the hex sha256 of the bytes held (after Finish); it is computed on the first call.
func (s *Spool) SHA256() string {
	s.digestOnce.Do(func() {
		h := newSHA256()
		if _, err := io.Copy(h, s.Reader()); err == nil {
			s.digest = hex.EncodeToString(h.Sum(nil))
		}
	})
	return s.digest
}

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
	s.budget.give(s.reserved)
	s.reserved = 0
	s.budget.disk(-s.onDisk)
	s.onDisk = 0
	if s.file != nil {
		err := s.file.Close()
		s.file = nil
		return err
	}
	return nil
}

// Budget bounds the bytes that all request bodies in flight may hold in memory together; past it,
// bodies spill to disk, so memory stays flat however many uploads arrive at once.
type Budget struct {
	mu        sync.Mutex
	max, used int64
	spooled   int64 // bytes the same bodies hold on disk
}

// NewBudget returns a memory budget of max bytes.
func NewBudget(max int64) *Budget { return &Budget{max: max} }

// take reserves n bytes; false when that would pass the budget. A nil budget is unbounded.
func (b *Budget) take(n int64) bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.max {
		return false
	}
	b.used += n
	return true
}

func (b *Budget) give(n int64) {
	if b == nil || n == 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
}

func (b *Budget) disk(n int64) {
	if b == nil || n == 0 {
		return
	}
	b.mu.Lock()
	b.spooled += n
	b.mu.Unlock()
}

// Spooled returns the bytes the bodies hold on disk now.
func (b *Budget) Spooled() int64 {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.spooled
}

// Used returns the bytes reserved now.
func (b *Budget) Used() int64 {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}
