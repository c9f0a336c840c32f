package watermark

import (
	"image"
	"math"
)

// Embedding strength (luma units, RMS per pixel of the added pattern).
const (
	strengthPerSigma = 0.50 // texture masking: stronger where the block is busy
	strengthMin      = 1.3  // flat areas still carry a faint pattern
	strengthMax      = 5.0
)

// embedHidden adds the keyed spread-spectrum pattern for signs to img in place.
// The pattern lives on 8×8 blocks of the 2×-downsampled luma (16×16 pixels),
// one tile slot per block, the 12×12-block tile repeated over the image.
func embedHidden(img *image.NRGBA, k *keyed, signs *[tileSlots]int8) {
	embedHiddenAt(img, k, signs, 0)
}

// embedHiddenAt is embedHidden with a fixed strength when fixed > 0
// (used for the PDF pattern layer, which has no host texture to adapt to).
func embedHiddenAt(img *image.NRGBA, k *keyed, signs *[tileSlots]int8, fixed float64) {
	doc := fixed <= 0 && documentLike(img)
	if !doc && fixed <= 0 {
		embedPhoto(img, k, signs, nil)
		return
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	nbx, nby := w/16, h/16
	amps := make([]float64, nbx*nby)
	// shifts[i] < 0 is the common paper darkening of a document block (all
	// blocks of the PDF pattern tile, which is white paper).
	var shifts []float64
	var fixedShift, docShift float64
	if doc || fixed > 0 {
		shifts = make([]float64, nbx*nby)
		fixedShift, docShift = paperShift(k, fixed), paperShift(k, docStrength)
	}
	var y2 [64]float64
	for by := 0; by < nby; by++ {
		for bx := 0; bx < nbx; bx++ {
			i := by*nbx + bx
			if fixed > 0 {
				amps[i], shifts[i] = fixed, fixedShift
				continue
			}
			if doc && hasPaper(img, bx*16, by*16) {
				amps[i], shifts[i] = docStrength, docShift
				continue
			}
			blockY2(img, bx*16, by*16, &y2)
			amps[i] = math.Min(strengthMax, math.Max(strengthMin, strengthPerSigma*maskingSigma(&y2)))
		}
	}
	// The PDF layer has no host; a document's paper is not a photo (the
	// 42 dB cap is for photos) and its pattern is already faint.
	applyAmps(img, k, signs, amps, shifts, nbx, nby)
}

// blockY2 fills y2 with the 2×2 mean luma of the 16×16 block at (x0, y0).
func blockY2(img *image.NRGBA, x0, y0 int, y2 *[64]float64) {
	for yy := 0; yy < 8; yy++ {
		for xx := 0; xx < 8; xx++ {
			s := 0.0
			for dy := 0; dy < 2; dy++ {
				o := img.PixOffset(x0+xx*2, y0+yy*2+dy)
				p := img.Pix[o : o+8 : o+8]
				s += lumaOf8(p[0], p[1], p[2]) + lumaOf8(p[4], p[5], p[6])
			}
			y2[yy*8+xx] = s / 4
		}
	}
}

// applyAmps adds each block's pattern; shifts, when not nil, holds a fixed
// darkening for document paper blocks (0: decide per block).
func applyAmps(img *image.NRGBA, k *keyed, signs *[tileSlots]int8, amps, shifts []float64, nbx, nby int) {
	var d [64]float64
	for by := 0; by < nby; by++ {
		for bx := 0; bx < nbx; bx++ {
			slot := (by%tileBlocks)*tileBlocks + bx%tileBlocks
			amp := amps[by*nbx+bx] * 8 * float64(signs[slot])
			for i := range d {
				d[i] = amp * float64(k.kernel[i])
			}
			shift := 0.0
			if shifts != nil {
				shift = shifts[by*nbx+bx]
			}
			applyBlock(img, bx*16, by*16, &d, shift)
		}
	}
}

// pixMSE is the mean squared difference over the colour channels.
func pixMSE(a, b []byte) float64 {
	s, n := 0, 0
	for i := 0; i+3 < len(a); i += 4 {
		for c := 0; c < 3; c++ {
			d := int(a[i+c]) - int(b[i+c])
			s += d * d
		}
		n += 3
	}
	if n == 0 {
		return 0
	}
	return float64(s) / float64(n)
}

// applyBlock adds the 8×8 pattern d (nearest-upsampled to 16×16) to every
// channel. Where it would clip it is shifted (a faint tint on white or black
// areas) so that the mark is not lost; the shift only moves the block's DC,
// which the detector ignores. A fixed shift < 0 (document paper) replaces
// the per-block choice.
func applyBlock(img *image.NRGBA, x0, y0 int, d *[64]float64, fixed float64) {
	// Only near-white (paper) and near-black pixels decide the shift; a
	// single saturated colour channel elsewhere just clips, which costs less
	// than tinting the whole block.
	lo, hi := 255.0, 0.0
	for yy := 0; yy < 16; yy++ {
		o := img.PixOffset(x0, y0+yy)
		row := img.Pix[o : o+64 : o+64]
		for xx := 0; xx < 16; xx++ {
			r, g, b := row[4*xx], row[4*xx+1], row[4*xx+2]
			cmin, cmax := min(r, g, b), max(r, g, b)
			dv := d[(yy/2)*8+xx/2]
			if v := float64(cmin) + dv; v < lo && cmax <= 55 {
				lo = v
			}
			if v := float64(cmax) + dv; v > hi && cmin >= 200 {
				hi = v
			}
		}
	}
	shift, scale := 0.0, 1.0
	switch {
	case fixed < 0:
		shift = fixed
	case hi > 255 && lo < 0:
		scale = 0.5 // both ends saturated: keep what fits
	case hi > 255:
		shift = 255 - hi
	case lo < 0:
		shift = -lo
	}
	var di [64]int
	for i, v := range d {
		di[i] = int(math.Round(v*scale + shift))
	}
	for yy := 0; yy < 16; yy++ {
		o := img.PixOffset(x0, y0+yy)
		row := img.Pix[o : o+64 : o+64]
		dr := di[(yy/2)*8 : (yy/2)*8+8]
		for xx := 0; xx < 16; xx++ {
			dv := dr[xx/2]
			for c := 0; c < 3; c++ {
				row[4*xx+c] = clampInt(int(row[4*xx+c]) + dv)
			}
		}
	}
}

func clampInt(v int) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

func lumaOf8(r, g, b uint8) float64 {
	return 0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b)
}

func clamp8(v float64) uint8 {
	v = math.Round(v)
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// maskingSigma is the texture measure that sets the local strength: the
// smallest standard deviation of the block's four 4×4 quadrants, so that a
// single edge through a flat area does not count as texture (the pattern
// would show along it).
func maskingSigma(b *[64]float64) float64 {
	best := math.Inf(1)
	for q := 0; q < 4; q++ {
		x0, y0 := (q%2)*4, (q/2)*4
		s, s2 := 0.0, 0.0
		for y := y0; y < y0+4; y++ {
			for x := x0; x < x0+4; x++ {
				v := b[y*8+x]
				s += v
				s2 += v * v
			}
		}
		m := s / 16
		best = math.Min(best, math.Sqrt(math.Max(s2/16-m*m, 0)))
	}
	return best
}
