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
	candidatesPerFrame = 12
)

// corrField holds, for every position of an 8×8 window in a canonical Y2
// plane, the soft correlation with the keyed kernel.
type corrField struct {
	w, h int // number of window positions
	z    []float32
	ok   []bool // window lies fully inside the suspect image
}

func newCorrField(y2 *plane, valid []bool, k *keyed) corrField {
	w, h := y2.w-7, y2.h-7
	if w <= 0 || h <= 0 {
		return corrField{}
	}
	f := corrField{w: w, h: h, z: correlateKernel(y2.v, y2.w, y2.h, k), ok: windowsInside(y2, valid)}
	s1, s2 := integral(y2.v, nil, y2.w, y2.h), integral(y2.v, y2.v, y2.w, y2.h)
	iw := y2.w + 1
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m := boxSum(s1, iw, x, y) / 64
			vr := boxSum(s2, iw, x, y)/64 - m*m
			f.z[y*w+x] = softValue(float64(f.z[y*w+x]), vr)
		}
	}
	return f
}

// softValue normalises a window's correlation by its texture and clips it.
func softValue(corr, variance float64) float32 {
	z := corr / (math.Sqrt(math.Max(variance, 0)) + softFloor)
	return float32(math.Max(-softClip, math.Min(softClip, z)))
}

// correlateKernel returns, for every 8×8 window position of the w×h plane
// v, its correlation with the keyed kernel; each kernel row's 8 taps are
// held in registers.
func correlateKernel(v []float32, w, h int, k *keyed) []float32 {
	ow, oh := w-7, h-7
	out := make([]float32, ow*oh)
	for y := 0; y < oh; y++ {
		row := out[y*ow : (y+1)*ow]
		for r := 0; r < 8; r++ {
			kr := k.kernel[r*8 : r*8+8 : r*8+8]
			k0, k1, k2, k3, k4, k5, k6, k7 := kr[0], kr[1], kr[2], kr[3], kr[4], kr[5], kr[6], kr[7]
			src := v[(y+r)*w : (y+r)*w+ow+7]
			for x := range row {
				p := src[x : x+8 : x+8]
				row[x] += k0*p[0] + k1*p[1] + k2*p[2] + k3*p[3] + k4*p[4] + k5*p[5] + k6*p[6] + k7*p[7]
			}
		}
	}
	return out
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

// integral returns the summed-area table of a·b (b nil: of a), with a zero
// first row and column, stride w+1.
func integral(a, b []float32, w, h int) []float64 {
	iw := w + 1
	s := make([]float64, iw*(h+1))
	for y := 0; y < h; y++ {
		r := 0.0
		for x := 0; x < w; x++ {
			v := float64(a[y*w+x])
			if b != nil {
				v *= float64(b[y*w+x])
			}
			r += v
			s[(y+1)*iw+x+1] = s[y*iw+x+1] + r
		}
	}
	return s
}

// boxSum is the sum over the 8×8 window at (x, y) of a summed-area table.
func boxSum(s []float64, iw, x, y int) float64 {
	return s[(y+8)*iw+x+8] - s[y*iw+x+8] - s[(y+8)*iw+x] + s[y*iw+x]
}

// accumulate sums soft values of the block grid at offset (ox, oy) into
// tile cells indexed by block position modulo the tile.
func (f *corrField) accumulate(ox, oy int) (cells [tileSlots]float64, n int) {
	for y, by := oy, 0; y < f.h; y, by = y+8, by+1 {
		cy := (by % tileBlocks) * tileBlocks
		for x, bx := ox, 0; x < f.w; x, bx = x+8, bx+1 {
			i := y*f.w + x
			if !f.ok[i] {
				continue
			}
			cells[cy+bx%tileBlocks] += float64(f.z[i])
			n++
		}
	}
	return
}

// candidate is one decoded, verified payload.
type candidate struct {
	id         uint64
	sync       float64 // normalised sync correlation, -1..1
	agreement  float64 // share of soft energy agreeing with the re-encoded tile
	correction int
}

// decodeField searches grid offsets and tile shifts of one canonical frame:
// every (offset, shift) pair is ranked by its sync correlation and the best
// candidatesPerFrame with sync ≥ syncAccept are RS-decoded. best is the
// highest sync correlation seen, found or not.
func decodeField(f *corrField, k *keyed) (c candidate, best float64, ok bool) {
	if f.w < 8 || f.h < 8 {
		return candidate{}, 0, false
	}
	type cand struct {
		cells  *[tileSlots]float64
		dx, dy int
		s      float64
	}
	var top []cand
	for oy := 0; oy < 8; oy++ {
		for ox := 0; ox < 8; ox++ {
			cells, n := f.accumulate(ox, oy)
			if n == 0 {
				continue
			}
			rms := 0.0
			for _, c := range cells {
				rms += c * c
			}
			rms = math.Sqrt(rms / tileSlots)
			if rms == 0 {
				continue
			}
			cp := &cells
			for dy := 0; dy < tileBlocks; dy++ {
				for dx := 0; dx < tileBlocks; dx++ {
					s := 0.0
					for i, p := range k.syncPos {
						s += cells[shiftedCell(p, dx, dy)] * float64(k.syncSign[i]*k.scramble[p])
					}
					s /= rms * syncBits
					best = math.Max(best, s)
					if s < syncAccept || len(top) == candidatesPerFrame && s <= top[len(top)-1].s {
						continue
					}
					top = append(top, cand{cp, dx, dy, s})
					sort.Slice(top, func(i, j int) bool { return top[i].s > top[j].s })
					if len(top) > candidatesPerFrame {
						top = top[:candidatesPerFrame]
					}
				}
			}
		}
	}
	for _, t := range top {
		var aligned [tileSlots]float64
		for p := range aligned {
			aligned[p] = t.cells[shiftedCell(p, t.dx, t.dy)]
		}
		id, corr, ok := k.decodeSoft(&aligned)
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

// shiftedCell maps tile slot p under tile shift (dx, dy) to the cell index
// the decoder accumulated it in.
func shiftedCell(p, dx, dy int) int {
	x := (p%tileBlocks - dx + tileBlocks) % tileBlocks
	y := (p/tileBlocks - dy + tileBlocks) % tileBlocks
	return y*tileBlocks + x
}
