package watermark

import (
	"image"
	"math"
)

// Informed embedding: the embedder knows the host and the detector, so
// instead of adding the same pattern everywhere it spends the distortion
// budget where the host works against a slot's sign. Each block's soft
// value (what the detector computes: correlation with the kernel over the
// window's texture, clipped) is raised step by step, always for the slot
// that is currently weakest relative to the noise an attack adds, and in
// that slot on the block that gains most per unit of (masked) distortion.
const (
	// informedStep is one increment of a block's pattern, in projection
	// units (8 × luma RMS).
	informedStep = 1.0
	// attackNoise is the projection noise (luma units over a window) that
	// recompression and resampling add; it sets how much a flat block's
	// soft value can be trusted.
	attackNoise = 4.0
	// informedCap bounds a block's pattern at this multiple of its masking
	// amplitude, so no block becomes visible on its own.
	informedCap = 2.2
	// informedBase is the share of the masking amplitude every block gets
	// first, so every part of the image carries the mark (crops, lattice).
	informedBase = 0.35
)

// blockHost is what the detector will see of one block before marking.
type blockHost struct {
	p    float64 // projection of the window onto the kernel
	r    float64 // window variance orthogonal to the kernel
	mask float64 // masking amplitude in projection units (8 × luma RMS)
	slot int
	sign float64 // the slot's sign
	// room is the least of head: a pattern whose largest pixel delta
	// stays under it cannot clip, so it is computed in closed form.
	room float64
	// head, when not nil, holds per half-resolution pixel the room left
	// before a near-white pixel clips at 255 ([0]) or a near-black one at
	// 0 ([1]); +Inf where there is none. The pattern is then shifted
	// (see shiftFor), which costs distortion the planner accounts for.
	head *[2][64]float64
}

// shiftFor returns the DC shift that keeps the block's pattern at
// amplitude d (signed) from clipping near-white or near-black pixels, and
// ok false when no shift can (both ends would clip).
func (b *blockHost) shiftFor(k *keyed, d float64) (shift float64, ok bool) {
	if b.head == nil {
		return 0, true
	}
	up, down := 0.0, 0.0
	for j, kv := range k.kernel {
		e := d * float64(kv)
		up = math.Max(up, e-b.head[0][j])
		down = math.Max(down, -e-b.head[1][j])
	}
	switch {
	case up > 0 && down > 0:
		return 0, false
	case up > 0:
		return -up, true
	}
	return down, true
}

// cost is the squared distortion (summed over the half-resolution window)
// of the block's pattern at amplitude d with its shift.
func (b *blockHost) cost(k *keyed, d float64) (float64, bool) {
	sh, ok := b.shiftFor(k, b.sign*d)
	return d*d + 64*sh*sh, ok
}

// softZ is the detector's soft value of a window whose projection is q and
// whose variance orthogonal to the kernel is r.
func softZ(q, r float64) float64 {
	return float64(softValue(q, r+q*q/64))
}

// hostBlocks measures every block (8·u pixels square, u pixels a mark
// sample) of img against the kernel, with the tile starting at the
// image's corner (see withTile).
func hostBlocks(img *image.NRGBA, k *keyed, signs *[tileSlots]int8, nbx, nby, u int) []blockHost {
	hs := make([]blockHost, nbx*nby)
	var y2 [64]float64
	for by := 0; by < nby; by++ {
		for bx := 0; bx < nbx; bx++ {
			blockMeans(img, bx*8*u, by*8*u, u, &y2)
			p, s, s2 := 0.0, 0.0, 0.0
			for i, v := range y2 {
				p += float64(k.kernel[i]) * v
				s += v
				s2 += v * v
			}
			m := s / 64
			vr := math.Max(0, s2/64-m*m)
			slot := tileSlot(bx, by, [2]int{})
			amp := math.Min(strengthMax, math.Max(strengthMin, strengthPerSigma*maskingSigma(&y2)))
			b := blockHost{p: p, r: math.Max(0, vr-p*p/64), mask: 8 * amp, slot: slot, sign: float64(signs[slot]),
				head: headroom(img, bx*8*u, by*8*u, u), room: math.Inf(1)}
			if b.head != nil {
				for _, h := range b.head {
					for _, v := range h {
						b.room = math.Min(b.room, v)
					}
				}
			}
			hs[by*nbx+bx] = b
		}
	}
	return hs
}

// withTile returns a copy of hs with the tile starting shift blocks into
// it (the decoder searches every tile shift, so the embedder may choose
// it); what was measured of each block does not change.
func withTile(hs []blockHost, signs *[tileSlots]int8, nbx int, shift [2]int) []blockHost {
	out := append([]blockHost(nil), hs...)
	for i := range out {
		bx, by := i%nbx, i/nbx
		out[i].slot = tileSlot(bx, by, shift)
		out[i].sign = float64(signs[out[i].slot])
	}
	return out
}

// tileSlot is the slot block (bx, by) carries when the tile starts shift
// blocks into it.
func tileSlot(bx, by int, shift [2]int) int {
	return ((by+shift[1])%tileBlocks)*tileBlocks + (bx+shift[0])%tileBlocks
}

// headroom returns the clipping room of the block at (x0, y0) per
// half-resolution pixel, or nil when no pixel is near white or black.
func headroom(img *image.NRGBA, x0, y0, u int) *[2][64]float64 {
	var h *[2][64]float64
	n := 8 * u
	for yy := 0; yy < n; yy++ {
		o := img.PixOffset(x0, y0+yy)
		row := img.Pix[o : o+4*n : o+4*n]
		for xx := 0; xx < n; xx++ {
			r, g, b := row[4*xx], row[4*xx+1], row[4*xx+2]
			cmin, cmax := min(r, g, b), max(r, g, b)
			if cmin < 200 && cmax > 55 {
				continue
			}
			if h == nil {
				h = new([2][64]float64)
				for j := range h[0] {
					h[0][j], h[1][j] = math.Inf(1), math.Inf(1)
				}
			}
			j := (yy/u)*8 + xx/u
			if cmin >= 200 {
				h[0][j] = math.Min(h[0][j], float64(255-cmax))
			}
			if cmax <= 55 {
				h[1][j] = math.Min(h[1][j], float64(cmin))
			}
		}
	}
	return h
}

// blockPlan is one block's current amplitude and its cached next step.
type blockPlan struct {
	d, sh, z, cost     float64 // current amplitude, shift, soft value (signed), cost
	nd, nsh, nz, ncost float64 // the next step up
	next               bool    // a next step exists
}

// evalBlock returns the signed soft value and the cost (squared error
// summed over pixels and channels) of block i at amplitude d with shift
// sh. Blocks without near-saturated pixels are computed in closed form;
// the others are simulated pixel by pixel, clipping included.
func evalBlock(img *image.NRGBA, k *keyed, b *blockHost, bx, by, u int, d, sh float64) (z, cost float64) {
	sd := b.sign * d
	if b.head == nil || sh == 0 && d*k.kernelMax <= b.room {
		return b.sign * softZ(b.p+sd, b.r), float64(3*u*u) * (d*d + 64*sh*sh)
	}
	var y2 [64]float64
	n := 8 * u
	area := float64(u * u)
	for yy := 0; yy < n; yy++ {
		o := img.PixOffset(bx*n, by*n+yy)
		row := img.Pix[o : o+4*n : o+4*n]
		for xx := 0; xx < n; xx++ {
			j := (yy/u)*8 + xx/u
			base, m := splitDelta(sd*float64(k.kernel[j]) + sh)
			var nv [3]float64
			for c := 0; c < 3; c++ {
				old := int(row[4*xx+c])
				v := int(clampInt(old + base + m>>c&1))
				nv[c] = float64(v)
				cost += float64((v - old) * (v - old))
			}
			y2[j] += (0.299*nv[0] + 0.587*nv[1] + 0.114*nv[2]) / area
		}
	}
	corr, sum, sum2 := 0.0, 0.0, 0.0
	for j, v := range y2 {
		corr += float64(k.kernel[j]) * v
		sum += v
		sum2 += v * v
	}
	mean := sum / 64
	return b.sign * float64(softValue(corr, sum2/64-mean*mean)), cost
}

// splitDelta turns a luma delta into a whole step for every channel plus
// a subset of channels (bits of m, see lumaSteps) that get one more.
func splitDelta(t float64) (base, m int) {
	fl := math.Floor(t)
	return int(fl), int(stepFor[int((t-fl)*256)&255])
}

// stepFor[i] is the lumaSteps subset nearest to the fraction i/256.
var stepFor = func() (s [256]uint8) {
	for i := range s {
		fr, be := (float64(i)+0.5)/256, 2.0
		for m, v := range lumaSteps {
			if e := math.Abs(v - fr); e < be {
				s[i], be = uint8(m), e
			}
		}
	}
	return
}()
