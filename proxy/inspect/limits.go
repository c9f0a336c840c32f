package inspect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Limits bound the work done on hostile input.
type Limits struct {
	MaxDepth   int           // archive nesting depth (default 4)
	MaxRatio   int64         // max uncompressed/compressed ratio per entry (default 100)
	MaxTotal   int64         // max total uncompressed bytes per part (default 256 MiB)
	MaxEntries int           // max archive entries (default 10000)
	MaxText    int64         // max extracted text bytes (default 64 MiB)
	TimeBudget time.Duration // per part (default 20 s)
	SpillDir   string        // where archive entries over 8 MiB wait, unlinked, while walked (default the system temp dir)
}

// DefaultLimits returns the limits used when Options.Limits is left zero.
func DefaultLimits() Limits {
	return Limits{
		MaxDepth:   4,
		MaxRatio:   100,
		MaxTotal:   256 << 20,
		MaxEntries: 10000,
		MaxText:    64 << 20,
		TimeBudget: 20 * time.Second,
	}
}

// withDefaults fills every zero field of l with its default.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = d.MaxRatio
	}
	if l.MaxTotal <= 0 {
		l.MaxTotal = d.MaxTotal
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = d.MaxEntries
	}
	if l.MaxText <= 0 {
		l.MaxText = d.MaxText
	}
	if l.TimeBudget <= 0 {
		l.TimeBudget = d.TimeBudget
	}
	return l
}

// ratioSlack is the number of decompressed bytes an entry may always produce before the
// ratio cap applies, so tiny, very repetitive entries are not mistaken for bombs.
const ratioSlack = 1 << 20

// problem is an extraction failure that becomes a finding instead of an error:
// kind is KindUninspectable or KindEncrypted. A fatal problem (a limit of the whole
// part was hit) stops the scan; a non-fatal one only skips the entry it concerns.
type problem struct {
	kind     string
	detail   string
	fatal    bool
	recorded bool // already turned into a finding by an inner walk
}

func (p *problem) Error() string { return p.kind + ": " + p.detail }

// corrupt returns a non-fatal uninspectable problem.
func corrupt(format string, a ...any) error {
	return &problem{kind: KindUninspectable, detail: fmt.Sprintf(format, a...)}
}

// overLimit returns a fatal uninspectable problem.
func overLimit(format string, a ...any) error {
	return &problem{kind: KindUninspectable, detail: fmt.Sprintf(format, a...), fatal: true}
}

// encrypted returns a non-fatal encrypted problem.
func encrypted(format string, a ...any) error {
	return &problem{kind: KindEncrypted, detail: fmt.Sprintf(format, a...)}
}

// asProblem turns any extraction error into a problem; errors that are not already
// problems mean the content could not be parsed.
func asProblem(err error, what string) *problem {
	var p *problem
	if errors.As(err, &p) {
		return p
	}
	return &problem{kind: KindUninspectable, detail: fmt.Sprintf("corrupt or unreadable %s: %v", what, err)}
}

// isFatal reports whether err is a problem that must stop the whole scan.
func isFatal(err error) bool {
	var p *problem
	return errors.As(err, &p) && p.fatal
}

// budget tracks the work done on one part against its Limits.
type budget struct {
	ctx   context.Context
	lim   Limits
	total int64 // decompressed bytes so far
	text  int64 // extracted text bytes so far
}

// check returns a fatal problem once the time budget is spent.
func (b *budget) check() error {
	if err := b.ctx.Err(); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return overLimit("time budget of %s exceeded", b.lim.TimeBudget)
		}
		return overLimit("scan cancelled: %v", err)
	}
	return nil
}

// inflated wraps the decompressed stream of one archive entry, counting the bytes
// actually produced (headers are never trusted) against the ratio and total caps.
type inflated struct {
	r     io.Reader
	b     *budget
	csize int64 // compressed size of the entry
	n     int64 // bytes produced so far
	what  string
}

func (f *inflated) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	f.n += int64(n)
	f.b.total += int64(n)
	if f.n > ratioSlack && f.n > f.b.lim.MaxRatio*max(f.csize, 1) {
		return n, overLimit("%s: compression ratio over %d:1 (zip bomb?)", f.what, f.b.lim.MaxRatio)
	}
	if f.b.total > f.b.lim.MaxTotal {
		return n, overLimit("%s: more than %d MiB uncompressed in total", f.what, f.b.lim.MaxTotal>>20)
	}
	if n > 0 && f.n&0xfffff < int64(n) { // roughly every MiB
		if cerr := f.b.check(); cerr != nil {
			return n, cerr
		}
	}
	return n, err
}

// reader wraps a decompressed stream so that what it produces counts against the budget.
func (b *budget) reader(r io.Reader, csize int64, what string) io.Reader {
	return &inflated{r: r, b: b, csize: csize, what: what}
}

// readAll reads a decompressed stream fully into memory, bounded by the budget.
func (b *budget) readAll(r io.Reader, csize int64, what string) ([]byte, error) {
	return io.ReadAll(b.reader(r, csize, what))
}
