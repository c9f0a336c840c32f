package watermark

import (
	"image"
	"math"
)

// Applying the planned pattern, the embedding scale of large photos and the
// strength fallback (see informed.go for the planner).

// lumaSteps are the luma changes of adding 1 to a subset of R, G, B
// (bit 0 R, 1 G, 2 B), so a fractional luma delta can be approximated
// per pixel to about ±0.06 instead of being rounded away.
var lumaSteps = func() (s [8]float64) {
	for m := 0; m < 8; m++ {
		if m&1 != 0 {
			s[m] += 0.299
		}
		if m&2 != 0 {
			s[m] += 0.587
		}
		if m&4 != 0 {
			s[m] += 0.114
		}
	}
	return
}()

// applyInformed adds each block's pattern (amplitude d with its slot's
// sign, plus its shift), nearest-upsampled from the grid of u×u mark
// samples; the luma delta is spread over R, G and B (see splitDelta).
func applyInformed(img *image.NRGBA, k *keyed, hs []blockHost, d, sh []float64, nbx, nby, u int) {
	n := 8 * u
	for by := 0; by < nby; by++ {
		for bx := 0; bx < nbx; bx++ {
			i := by*nbx + bx
			if d[i] == 0 && sh[i] == 0 {
				continue
			}
			sd := hs[i].sign * d[i]
			for yy := 0; yy < n; yy++ {
				o := img.PixOffset(bx*n, by*n+yy)
				row := img.Pix[o : o+4*n : o+4*n]
				for xx := 0; xx < n; xx++ {
					base, m := splitDelta(sd*float64(k.kernel[(yy/u)*8+xx/u]) + sh[i])
					for c := 0; c < 3; c++ {
						row[4*xx+c] = clampInt(int(row[4*xx+c]) + base + m>>c&1)
					}
				}
			}
		}
	}
}

// markScale is the embedding scale of a w×h photo: blocks are 16·scale
// pixels, so that large photos downscaled for chat (1080 px) still carry
// the mark at ≥ half its size.
func markScale(w, h int) int {
	switch l := max(w, h); {
	case l <= 2048:
		return 1
	case l <= 4096:
		return 2
	}
	return 4
}

// blockMeans fills y2 with the u×u mean luma of the block at (x0, y0).
func blockMeans(img *image.NRGBA, x0, y0, u int, y2 *[64]float64) {
	n := u
	for yy := 0; yy < 8; yy++ {
		for xx := 0; xx < 8; xx++ {
			s := 0.0
			for dy := 0; dy < n; dy++ {
				o := img.PixOffset(x0+xx*n, y0+yy*n+dy)
				p := img.Pix[o : o+4*n : o+4*n]
				for dx := 0; dx < n; dx++ {
					s += lumaOf8(p[4*dx], p[4*dx+1], p[4*dx+2])
				}
			}
			y2[yy*8+xx] = s / float64(n*n)
		}
	}
}

// Photo strength: the mark is planned at photoPSNR (small photos: the last
// of fallbackPSNR); when a slot then stays under strongSNR or a code byte
// was given up (very busy photos), it is planned again at each of
// fallbackPSNR, the last one being kept.
var (
	photoPSNR    = 42.5
	fallbackPSNR = []float64{41.2, 40.2}
)

const strongSNR = 1.0

// tileShifts are the tile origins (in blocks) tried on photos of fewer
// than smallPhotoBlocks blocks (about 640×400 px); the first is used on
// larger ones.
var tileShifts = [][2]int{{0, 0}, {6, 6}, {6, 0}, {0, 6}, {3, 3}, {9, 9}, {3, 9}, {9, 3}, {3, 0}, {0, 3}, {9, 6}, {6, 9}}

const smallPhotoBlocks = 1000

// psnrMSE is the per-channel MSE of a PSNR in dB.
func psnrMSE(db float64) float64 { return 255 * 255 / math.Pow(10, db/10) }

// embedPhoto marks a photo, as strongly as its slots need within the PSNR
// floor, and reports whether the plan it kept was made at the floor.
// orig, when not nil, is a copy of img.Pix the caller already holds.
func embedPhoto(img *image.NRGBA, k *keyed, signs *[tileSlots]int8, orig []byte) (atFloor bool) {
	if orig == nil {
		orig = append([]byte(nil), img.Pix...)
	}
	first, floor := photoPSNR, fallbackPSNR[len(fallbackPSNR)-1]
	if smallPhoto(img) || fineLayer(img.Rect.Dx(), img.Rect.Dy()) {
		// A small photo is marked at the floor at once: it is the one a
		// chat app rescales and recompresses, its 2–4 blocks a slot need
		// the strength (38 photos at 480 and 640 px through ImageMagick:
		// rotate 5° 22 → 24, resize 70 % + JPEG 60 12 → 17, 67 % 14 → 16,
		// crop + 2° 9 → 10), and it carries two layers.
		first = floor
	}
	q := embedInformed(img, k, signs, psnrMSE(first), orig)
	atFloor = first == floor
	for _, db := range fallbackPSNR {
		if q.atRisk == 0 || atFloor {
			break
		}
		copy(img.Pix, orig)
		q = embedInformed(img, k, signs, psnrMSE(db), orig)
		atFloor = db == floor
	}
	return atFloor
}

// A photo of at most fineSide pixels on its long side carries a
// second, fine layer of the same mark: blocks of 8 pixels instead of 16
// (one mark sample a pixel), taking fineShare of the distortion budget.
// Where the coarse layer holds the tile one to six times, the fine one
// holds it four times as often, so a crop or a turned copy keeps enough
// of it. 38 photos at 480 and 640 px, StampFile, through ImageMagick:
// crop to a quarter 3 → 22, crop 50 % + 2° 9 → 23, a quarter + 5° 3 → 15,
// rotate 5° 25 → 33, as marked 38 either way; resize 70 % + JPEG 60
// 37 → 35: 8-pixel blocks suffer more from a downscale and a strong JPEG
// (a fine layer alone read 24 of 38 in a simulation), so the coarse layer
// stays, planned over the fine one.
const (
	fineSide  = 640
	fineShare = 0.5
)

// fineLayer reports whether a w×h photo gets the fine layer.
func fineLayer(w, h int) bool {
	return max(w, h) <= fineSide
}

// smallPhoto reports whether img has fewer than smallPhotoBlocks blocks
// at its markScale.
func smallPhoto(img *image.NRGBA) bool {
	n := 16 * markScale(img.Rect.Dx(), img.Rect.Dy())
	return (img.Rect.Dx()/n)*(img.Rect.Dy()/n) < smallPhotoBlocks
}

// embedInformed adds the planned pattern to a photo (at its markScale, and
// the fine layer first where fineLayer says so) within maxMSE per channel
// (after rounding and clipping, which are measured), and returns the
// quality of the plan at its markScale (the one that decides embedPhoto's
// fallback: photos with a fine layer are planned at the floor at once).
// orig is img.Pix before marking (nil: copied here).
func embedInformed(img *image.NRGBA, k *keyed, signs *[tileSlots]int8, maxMSE float64, orig []byte) planQuality {
	if orig == nil {
		orig = append([]byte(nil), img.Pix...)
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	coarse := 2 * markScale(w, h)
	if !fineLayer(w, h) {
		return embedLayer(img, k, signs, maxMSE, coarse, orig)
	}
	embedLayer(img, k, signs, fineShare*maxMSE, 1, orig)
	// The coarse layer is planned over the fine one (the host it sees) and
	// gets what the fine one left of the budget.
	base := append([]byte(nil), img.Pix...)
	return embedLayer(img, k, signs, math.Max(maxMSE-pixMSE(orig, base), 0), coarse, base)
}

// embedLayer adds one layer of the planned pattern, u pixels a mark
// sample, within maxMSE per channel of base (img.Pix before this layer).
func embedLayer(img *image.NRGBA, k *keyed, signs *[tileSlots]int8, maxMSE float64, u int, base []byte) planQuality {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	nbx, nby := w/(8*u), h/(8*u)
	if nbx == 0 || nby == 0 {
		return planQuality{atRisk: tileSlots, weakest: math.Inf(-1)}
	}
	budget := maxMSE * float64(3*w*h)
	hs := hostBlocks(img, k, signs, nbx, nby, u)
	if nbx*nby < smallPhotoBlocks {
		// A small photo holds the tile once or twice, so where the tile
		// starts decides which slots get few blocks on hard texture: the
		// tile origins in tileShifts are planned and the best plan kept.
		measured := hs
		_, _, best := planInformed(img, hs, k, nbx, u, budget)
		for _, s := range tileShifts[1:] {
			h := withTile(measured, signs, nbx, s)
			if _, _, q := planInformed(img, h, k, nbx, u, budget); q.better(best) {
				hs, best = h, q
			}
		}
	}
	for pass := 0; ; pass++ {
		d, sh, q := planInformed(img, hs, k, nbx, u, budget)
		applyInformed(img, k, hs, d, sh, nbx, nby, u)
		m := pixMSE(base, img.Pix)
		if m <= maxMSE*1.005 || pass == 3 {
			return q
		}
		copy(img.Pix, base)
		budget *= maxMSE / m
	}
}
