package watermark

import (
	"math"
	"sort"
)

// Soft-value normalisation: a block's correlation is divided by its texture
// (std) plus softFloor, and clipped, so busy blocks don't dominate.
const (
	softFloor = 2.0
	softClip  = 4.0
	// syncAccept is the minimum normalised sync correlation of an accepted
	// candidate; unmarked images stay below it (see the robustness harness).
	syncAccept = 0.25
	// candidatesPerFrame bounds how many (grid offset, tile shift) pairs
	// of one frame are RS-decoded.
	candidatesPerFrame = 32
	// candidatesHard bounds the candidates of one frame decoded at all
	// (those after candidatesPerFrame with hard decisions only).
	candidatesHard = 512
	// tailMaxBlocks is the windows per slot from which the hard-decision
	// tail is not needed.
	tailMaxBlocks = 8
)

// corrField holds, for every position of an 8×8 window in a canonical Y2
// plane, the soft correlation with the keyed kernel.
type corrField struct {
	w, h int // number of window positions
	z    []float32
	ok   []bool // window lies fully inside the suspect image
}

// softValue normalises a window's correlation by its texture and clips it.
func softValue(corr, variance float64) float32 {
	z := corr / (math.Sqrt(math.Max(variance, 0)) + softFloor)
	return float32(math.Max(-softClip, math.Min(softClip, z)))
}

// windowsInside marks the 8×8 windows whose corners all came from inside
// the suspect image (valid nil: all of them).
func windowsInside(y2 *plane, valid []bool) []bool {
	w, h := y2.w-7, y2.h-7
	ok := make([]bool, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			ok[y*w+x] = valid == nil || (valid[y*y2.w+x] && valid[y*y2.w+x+7] && valid[(y+7)*y2.w+x] && valid[(y+7)*y2.w+x+7])
		}
	}
	return ok
}

// boxTerm is one sum boxRows computes: of a·b over each window (b nil: of a).
type boxTerm struct{ a, b []float32 }

// boxRows calls fn for every row y of 8×8 windows of a w×h plane with,
// for each term, the window sums along that row (sums[t][x] for the window
// at x). It keeps eight rows' column sums, not a summed-area table of the
// frame: a 24 MP trace held 21 MB of those at its peak.
func boxRows(w, h int, terms []boxTerm, fn func(y int, sums [][]float64)) {
	ow := w - 7
	if ow <= 0 || h < 8 {
		return
	}
	col := make([][]float64, len(terms))
	sums := make([][]float64, len(terms))
	for t := range terms {
		col[t], sums[t] = make([]float64, w), make([]float64, ow)
	}
	addRow := func(y int, sign float64) {
		for t, tm := range terms {
			a, c := tm.a[y*w:y*w+w], col[t]
			if tm.b == nil {
				for x, v := range a {
					c[x] += sign * float64(v)
				}
				continue
			}
			b := tm.b[y*w : y*w+w]
			for x, v := range a {
				c[x] += sign * float64(v) * float64(b[x])
			}
		}
	}
	for y := 0; y < 8; y++ {
		addRow(y, 1)
	}
	for y := 0; y+8 <= h; y++ {
		for t := range terms {
			c, out := col[t], sums[t]
			r := c[0] + c[1] + c[2] + c[3] + c[4] + c[5] + c[6] + c[7]
			out[0] = r
			for x := 1; x < ow; x++ {
				r += c[x+7] - c[x-1]
				out[x] = r
			}
		}
		fn(y, sums)
		if y+8 < h {
			addRow(y, -1)
			addRow(y+8, 1)
		}
	}
}

// accumulate adds the soft values of the block grid at offset (ox, oy)
// into tile cells indexed by block position modulo the tile; the field's
// first row is window row y0 of the frame. n is the windows added.
func (f *corrField) accumulate(ox, oy, y0 int, cells *[tileSlots]float64) (n int) {
	y := oy
	if y < y0 {
		y += (y0 - oy + 7) / 8 * 8
	}
	for ; y < y0+f.h; y += 8 {
		cy := ((y - oy) / 8 % tileBlocks) * tileBlocks
		row := (y - y0) * f.w
		for x, bx := ox, 0; x < f.w; x, bx = x+8, bx+1 {
			i := row + x
			if !f.ok[i] {
				continue
			}
			cells[cy+bx%tileBlocks] += float64(f.z[i])
			n++
		}
	}
	return n
}

// candidate is one decoded, verified payload.
type candidate struct {
	id         uint64
	sync       float64 // normalised sync correlation, -1..1
	agreement  float64 // share of soft energy agreeing with the re-encoded tile
	correction int
}

// orientations is the number of flips and quarter turns searched (the
// dihedral group of the square): bit 2 transposes, bit 0 mirrors x, bit 1
// mirrors y (in that order).
const orientations = 8

// orient maps (x, y) on an n×n grid by orientation o.
func orient(o, x, y, n int) (int, int) {
	if o&4 != 0 {
		x, y = y, x
	}
	if o&1 != 0 {
		x = n - 1 - x
	}
	if o&2 != 0 {
		y = n - 1 - y
	}
	return x, y
}

// frameCells holds, for one canonical frame, the accumulated tile cells of
// every orientation and grid offset.
type frameCells struct {
	cells  [orientations][64]*[tileSlots]float64 // nil: no window at that offset
	rms    [orientations][64]float64
	blocks [orientations][64]int // windows summed into the cells
}

// fieldRows is the number of window rows whose band maps and fields are
// held at a time: a frame is read in strips, so only the resampled frame
// and its validity flags (5 bytes a sample) cover the whole of it (the 14
// whole-frame planes of a 1066² frame were 78 MB, the largest part of a
// 24 MP trace's peak).
var fieldRows = 64

// accumulateAll computes the correlation field of each of the first n
// orientations' kernels (orientations: all; 1: upright only) over y2 (over
// paper pixels only when paper ≥ 0) and sums it into tile cells for all 64
// grid offsets, a strip of fieldRows window rows at a time.
func (k *keyed) accumulateAll(y2 *plane, valid []bool, paper float32, n int) *frameCells {
	fc := &frameCells{}
	w, h := y2.w-7, y2.h-7
	if w < 8 || h < 8 {
		return fc
	}
	cells := make([][64][tileSlots]float64, n)
	var blocks [orientations][64]int
	for y0 := 0; y0 < h; y0 += fieldRows {
		y1 := min(h, y0+fieldRows)
		strip := plane{w: y2.w, h: y1 - y0 + 7, v: y2.v[y0*y2.w : (y1+7)*y2.w]}
		var sv []bool
		if valid != nil {
			sv = valid[y0*y2.w : (y1+7)*y2.w]
		}
		src := newFieldSource(&strip, sv, paper)
		// The orientations are independent: two workers (trace runs on
		// small servers; more would only add memory).
		parallelDo(n, func(o int) {
			buf := getBuf(src.w * src.h)
			defer putBuf(buf)
			f := src.field(k.orientBand[o], buf)
			for off := 0; off < 64; off++ {
				blocks[o][off] += f.accumulate(off%8, off/8, y0, &cells[o][off])
			}
		})
		src.release()
	}
	for o := range cells {
		for off := range cells[o] {
			if blocks[o][off] == 0 {
				continue
			}
			rms := 0.0
			for _, c := range cells[o][off] {
				rms += c * c
			}
			if rms == 0 {
				continue
			}
			fc.cells[o][off] = &cells[o][off]
			fc.rms[o][off] = math.Sqrt(rms / tileSlots)
			fc.blocks[o][off] = blocks[o][off]
		}
	}
	return fc
}

// decodeCells ranks every (orientation, grid offset, tile shift) of one
// frame by its sync correlation and RS-decodes the best candidatesPerFrame
// with sync ≥ syncAccept (up to maxErasures erased bytes), then the next
// ones up to candidatesHard with hard decisions only. best is the highest
// sync correlation seen.
//
// The hard-only tail is for small images: 16 sync slots resting on 2–4
// blocks each rank the right alignment of a 480×360 photo around 120th of
// the 73,728 (a wrong one reaches 4σ of the sync noise by chance), while
// its code word has 3 wrong bytes. A hard-only attempt passes
// Reed-Solomon on noise with probability 4.2e-7 and then the keyed check
// with 2^-16: the tail adds ≤ 3.1e-9 per frame. Where the slots rest on
// tailMaxBlocks windows or more, the right alignment's sync stands out and
// the tail is skipped (a large photo's search would pay ~10 ms a frame).
func (k *keyed) decodeCells(fc *frameCells) (c candidate, best float64, ok bool) {
	type cand struct {
		o, off, dx, dy int
		s              float64
	}
	var all []cand
	for o := 0; o < orientations; o++ {
		for off := 0; off < 64; off++ {
			cells := fc.cells[o][off]
			if cells == nil {
				continue
			}
			norm := fc.rms[o][off] * syncBits
			for dy := 0; dy < tileBlocks; dy++ {
				for dx := 0; dx < tileBlocks; dx++ {
					s := 0.0
					for i, p := range k.syncPos {
						s += cells[k.cellOf(p, o, dx, dy)] * float64(k.syncSign[i]*k.scramble[p])
					}
					s /= norm
					best = math.Max(best, s)
					if s >= syncAccept {
						all = append(all, cand{o, off, dx, dy, s})
					}
				}
			}
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].s > all[j].s })
	for n, t := range all {
		if n == candidatesHard {
			break
		}
		erase := maxErasures
		if n >= candidatesPerFrame {
			if fc.blocks[t.o][t.off] >= tailMaxBlocks*tileSlots {
				continue
			}
			erase = 0
		}
		cells := fc.cells[t.o][t.off]
		var aligned [tileSlots]float64
		for p := range aligned {
			aligned[p] = cells[k.cellOf(p, t.o, t.dx, t.dy)]
		}
		id, corr, ok := k.decodeSoft(&aligned, erase)
		if !ok {
			continue
		}
		signs := k.tileSigns(id)
		agree, tot := 0.0, 0.0
		for p, v := range aligned {
			agree += v * float64(signs[p])
			tot += abs(v)
		}
		return candidate{id: id, sync: t.s, agreement: agree / tot, correction: corr}, best, true
	}
	return candidate{}, best, false
}

// cellOf maps tile slot p, under orientation o and tile shift (dx, dy), to
// the cell the decoder accumulated it in.
func (k *keyed) cellOf(p, o, dx, dy int) int {
	x, y := orient(o, p%tileBlocks, p/tileBlocks, tileBlocks)
	x = (x - dx + tileBlocks) % tileBlocks
	y = (y - dy + tileBlocks) % tileBlocks
	return y*tileBlocks + x
}
