package watermark

// Documents are read through their paper: text strokes are a host far
// stronger than any invisible mark, so on a document-like suspect the
// correlation of each window uses only paper pixels around their own mean.
const (
	// inkMargin is how far below the paper level a pixel counts as ink
	// (the mark darkens paper by a few levels; JPEG adds a few more).
	inkMargin = 24
	// minPaperShare of a document suspect's pixels must be paper.
	minPaperShare = 0.35
	// minPaperPixels of a 64-pixel window must be paper for it to count.
	minPaperPixels = 16
)

// paperLevelOf returns the paper luma of a document-like plane (its 90th
// percentile); ok is false when the plane does not look like paper with
// text on it.
func paperLevelOf(p *plane) (float32, bool) {
	var hist [256]int
	for _, v := range p.v {
		hist[int(max(0, min(255, v)))]++
	}
	n := len(p.v)
	if n == 0 {
		return 0, false
	}
	level, acc := 255, 0
	for ; level > 0; level-- {
		acc += hist[level]
		if acc >= n/10 {
			break
		}
	}
	if level < 160 {
		return 0, false
	}
	near := 0
	for v := max(0, level-inkMargin); v < 256; v++ {
		near += hist[v]
	}
	return float32(level), float64(near) >= minPaperShare*float64(n)
}

// paperMask marks the paper pixels of p: neither the pixel nor any within
// radius (Chebyshev) is darker than the paper level by inkMargin.
func paperMask(p *plane, level float32, radius int) []bool {
	// Ink dilated by radius, separably: rows, then columns.
	row := make([]bool, len(p.v))
	for y := 0; y < p.h; y++ {
		last := -1 << 30 // x of the last ink pixel seen
		for x := 0; x < p.w+radius; x++ {
			if x < p.w && p.v[y*p.w+x] < level-inkMargin {
				last = x
			}
			if xo := x - radius; xo >= 0 && x-last <= 2*radius {
				row[y*p.w+xo] = true
			}
		}
	}
	clean := make([]bool, len(p.v))
	for x := 0; x < p.w; x++ {
		last := -1 << 30
		for y := 0; y < p.h+radius; y++ {
			if y < p.h && row[y*p.w+x] {
				last = y
			}
			if yo := y - radius; yo >= 0 {
				clean[yo*p.w+x] = y-last > 2*radius
			}
		}
	}
	return clean
}
