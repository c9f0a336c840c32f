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
	// candidatesPerOffset bounds how many tile shifts are RS-decoded.
	candidatesPerOffset = 6
)

// Grid offsets are decoded best energy first: the first two with syncAccept,
// up to offsetsTried in all with the stricter extraSyncAccept (text lines on
// document screenshots can outrank the true offset in energy).
const (
	offsetsTried    = 64
	extraSyncAccept = 0.4
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
	f := corrField{w: w, h: h, z: make([]float32, w*h), ok: make([]bool, w*h)}
	// Correlation with the kernel, one output at a time with the 8 taps of
	// each kernel row held in registers.
	for y := 0; y < h; y++ {
		row := f.z[y*w : (y+1)*w]
		for v := 0; v < 8; v++ {
			kr := k.kernel[v*8 : v*8+8 : v*8+8]
			k0, k1, k2, k3, k4, k5, k6, k7 := kr[0], kr[1], kr[2], kr[3], kr[4], kr[5], kr[6], kr[7]
			src := y2.v[(y+v)*y2.w : (y+v)*y2.w+w+7]
			for x := range row {
				p := src[x : x+8 : x+8]
				row[x] += k0*p[0] + k1*p[1] + k2*p[2] + k3*p[3] + k4*p[4] + k5*p[5] + k6*p[6] + k7*p[7]
			}
		}
	}
	// Local std via integral images.
	iw := y2.w + 1
	s1 := make([]float64, iw*(y2.h+1))
	s2 := make([]float64, iw*(y2.h+1))
	for y := 0; y < y2.h; y++ {
		r1, r2 := 0.0, 0.0
		for x := 0; x < y2.w; x++ {
			v := float64(y2.v[y*y2.w+x])
			r1 += v
			r2 += v * v
			s1[(y+1)*iw+x+1] = s1[y*iw+x+1] + r1
			s2[(y+1)*iw+x+1] = s2[y*iw+x+1] + r2
		}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			a, b, c, d := y*iw+x, y*iw+x+8, (y+8)*iw+x, (y+8)*iw+x+8
			m := (s1[d] - s1[b] - s1[c] + s1[a]) / 64
			vr := (s2[d]-s2[b]-s2[c]+s2[a])/64 - m*m
			if vr < 0 {
				vr = 0
			}
			z := float64(f.z[y*w+x]) / (math.Sqrt(vr) + softFloor)
			if z > softClip {
				z = softClip
			} else if z < -softClip {
				z = -softClip
			}
			f.z[y*w+x] = float32(z)
			i := y*w + x
			f.ok[i] = valid == nil || (valid[y*y2.w+x] && valid[y*y2.w+x+7] && valid[(y+7)*y2.w+x] && valid[(y+7)*y2.w+x+7])
		}
	}
	return f
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

// decodeField searches grid offsets and tile shifts of one canonical frame.
// best is the highest sync correlation seen, found or not.
func decodeField(f *corrField, k *keyed) (c candidate, best float64, ok bool) {
	if f.w < 8 || f.h < 8 {
		return candidate{}, 0, false
	}
	type off struct {
		ox, oy int
		e      float64
		cells  [tileSlots]float64
	}
	offs := make([]off, 0, 64)
	for oy := 0; oy < 8; oy++ {
		for ox := 0; ox < 8; ox++ {
			cells, n := f.accumulate(ox, oy)
			if n == 0 {
				continue
			}
			e := 0.0
			for _, c := range cells {
				e += c * c
			}
			offs = append(offs, off{ox, oy, e / float64(n), cells})
		}
	}
	sort.Slice(offs, func(i, j int) bool { return offs[i].e > offs[j].e })
	for oi := 0; oi < len(offs) && oi < offsetsTried; oi++ {
		minSync := syncAccept
		if oi >= 2 {
			minSync = extraSyncAccept
		}
		c, s, ok := decodeCells(&offs[oi].cells, k, minSync)
		if oi < 2 {
			// Only the two main offsets steer the geometry search.
			best = math.Max(best, s)
		}
		if ok {
			return c, best, true
		}
	}
	return candidate{}, best, false
}

// decodeCells tries the tile shifts with the best sync correlation.
// Candidates under minSync are not decoded.
func decodeCells(cells *[tileSlots]float64, k *keyed, minSync float64) (candidate, float64, bool) {
	rms := 0.0
	for _, c := range cells {
		rms += c * c
	}
	rms = math.Sqrt(rms / tileSlots)
	if rms == 0 {
		return candidate{}, 0, false
	}
	type shift struct {
		dx, dy int
		s      float64
	}
	shifts := make([]shift, 0, tileSlots)
	for dy := 0; dy < tileBlocks; dy++ {
		for dx := 0; dx < tileBlocks; dx++ {
			s := 0.0
			for i, p := range k.syncPos {
				s += cells[shiftedCell(p, dx, dy)] * float64(k.syncSign[i]*k.scramble[p])
			}
			shifts = append(shifts, shift{dx, dy, s / (rms * syncBits)})
		}
	}
	sort.Slice(shifts, func(i, j int) bool { return shifts[i].s > shifts[j].s })
	for _, sh := range shifts[:candidatesPerOffset] {
		if sh.s < minSync {
			break
		}
		var aligned [tileSlots]float64
		for p := range aligned {
			aligned[p] = cells[shiftedCell(p, sh.dx, sh.dy)]
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
		return candidate{id: id, sync: sh.s, agreement: agree / tot, correction: corr}, shifts[0].s, true
	}
	return candidate{}, shifts[0].s, false
}

// shiftedCell maps tile slot p under tile shift (dx, dy) to the cell index
// the decoder accumulated it in.
func shiftedCell(p, dx, dy int) int {
	x := (p%tileBlocks - dx + tileBlocks) % tileBlocks
	y := (p/tileBlocks - dy + tileBlocks) % tileBlocks
	return y*tileBlocks + x
}
