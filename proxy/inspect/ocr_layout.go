package inspect

import (
	"math"
	"sort"
)

// Cheap layout analysis ahead of OCR, on connected components of the normalised image
// (shrunk to a few megapixels): does it look like text at all, how tall are its glyphs,
// and how far is it rotated. Photos and icons end here, without a Tesseract run.

// inkLevel: normalised pixels darker than this are ink.
const inkLevel = 140

// checkPixels is the size an image is shrunk to for the analysis.
const checkPixels = 2_500_000

// maxBlobs stops the component search on noise (a photo full of texture).
const maxBlobs = 60000

// blob is one connected component of ink: its bounding box (inclusive) and pixel count.
type blob struct{ x0, y0, x1, y1, n int }

func (b blob) w() int { return b.x1 - b.x0 + 1 }
func (b blob) h() int { return b.y1 - b.y0 + 1 }

// layout is what the analysis found.
type layout struct {
	glyphH  float64 // typical glyph height in pixels
	chained int     // glyph-like components with a neighbour on the same line
	glyphs  int     // glyph-like components
	angle   float64 // skew, radians; rotating by -angle makes lines horizontal
}

// textLike reports whether the layout looks like lines of text: a few glyph-like
// components sitting next to each other on lines, and most glyphs in such lines. On
// screenshots 50–85 % of the glyph-like components are chained, on the photos of
// lomiri-wallpapers at most 30 % (texture makes isolated specks).
func (l layout) textLike() bool {
	return l.chained >= 8 && float64(l.chained) >= 0.45*float64(l.glyphs)
}

// analyse finds the components of normalised plane p and measures them.
func analyse(p *plane) layout {
	bs := blobs(p)
	var glyphs []blob
	for _, b := range bs {
		w, h := b.w(), b.h()
		fill := float64(b.n) / float64(w*h)
		if h >= 3 && h <= 150 && w <= 6*h+3 && b.n >= 4 && fill >= 0.08 && fill <= 0.92 {
			glyphs = append(glyphs, b)
		}
	}
	l := layout{glyphs: len(glyphs)}
	if len(glyphs) < 8 {
		return l
	}
	hs := make([]int, len(glyphs))
	for i, b := range glyphs {
		hs[i] = b.h()
	}
	sort.Ints(hs)
	med := float64(hs[len(hs)/2])
	l.glyphH = float64(hs[len(hs)*4/5])
	l.chained = chained(glyphs, med)
	l.angle = skew(glyphs, med)
	return l
}

// blobs labels the 8-connected ink components of p, up to maxBlobs of them.
func blobs(p *plane) []blob {
	seen := make([]bool, len(p.pix))
	var out []blob
	var stack []int32
	for i, v := range p.pix {
		if seen[i] || v >= inkLevel {
			continue
		}
		if len(out) >= maxBlobs {
			return out
		}
		b := blob{x0: i % p.w, y0: i / p.w, x1: i % p.w, y1: i / p.w}
		seen[i] = true
		stack = append(stack[:0], int32(i))
		for len(stack) > 0 {
			j := int(stack[len(stack)-1])
			stack = stack[:len(stack)-1]
			x, y := j%p.w, j/p.w
			b.n++
			b.x0, b.x1, b.y0, b.y1 = min(b.x0, x), max(b.x1, x), min(b.y0, y), max(b.y1, y)
			for dy := -1; dy <= 1; dy++ {
				yy := y + dy
				if yy < 0 || yy >= p.h {
					continue
				}
				for dx := -1; dx <= 1; dx++ {
					xx := x + dx
					if xx < 0 || xx >= p.w {
						continue
					}
					if m := yy*p.w + xx; !seen[m] && p.pix[m] < inkLevel {
						seen[m] = true
						stack = append(stack, int32(m))
					}
				}
			}
		}
		out = append(out, b)
	}
	return out
}

// chained counts glyphs that have a similar-sized glyph just to their right on the same line.
func chained(gs []blob, med float64) int {
	type key struct{ row, col int }
	cell := max(1, int(med))
	grid := map[key][]int{}
	for i, b := range gs {
		k := key{(b.y0 + b.y1) / 2 / cell, b.x0 / (2 * cell)}
		grid[k] = append(grid[k], i)
	}
	n := 0
	for _, b := range gs {
		cy, h := float64(b.y0+b.y1)/2, float64(b.h())
		found := false
		for dr := -1; dr <= 1 && !found; dr++ {
			for dc := 0; dc <= 2 && !found; dc++ {
				for _, j := range grid[key{int(cy)/cell + dr, b.x0/(2*cell) + dc}] {
					o := gs[j]
					gap := float64(o.x0 - b.x1)
					oh := float64(o.h())
					if o.x0 > b.x0 && gap <= 1.5*med && math.Abs(float64(o.y0+o.y1)/2-cy) <= 0.6*math.Max(h, oh) && oh <= 2.5*h && h <= 2.5*oh {
						found = true
						break
					}
				}
			}
		}
		if found {
			n++
		}
	}
	return n
}

// skew finds the rotation (within ±6°) that lines the glyph centres up in the sharpest
// horizontal rows: the angle whose projection has the largest sum of squared bin counts.
func skew(gs []blob, med float64) float64 {
	bin := math.Max(1, med/2)
	best, bestScore := 0.0, -1.0
	counts := map[int]int{}
	for deg := -6.0; deg <= 6.0; deg += 0.25 {
		a := deg * math.Pi / 180
		sin, cos := math.Sin(a), math.Cos(a)
		clear(counts)
		for _, b := range gs {
			cx, cy := float64(b.x0+b.x1)/2, float64(b.y0+b.y1)/2
			counts[int(math.Floor((cy*cos-cx*sin)/bin))]++
		}
		s := 0.0
		for _, c := range counts {
			s += float64(c * c)
		}
		if s > bestScore+1e-9 || (math.Abs(s-bestScore) <= 1e-9 && math.Abs(deg) < math.Abs(best*180/math.Pi)) {
			best, bestScore = a, s
		}
	}
	return best
}

// bands cuts p into at most n horizontal bands of similar amounts of ink, at blank rows
// only, so that no text line is cut; fewer bands when there are not enough blank rows.
// A row with less ink than a hundredth of its width (a photographed screen's edge, a
// vertical rule) counts as blank. Each band is given as [y0, y1).
func bands(p *plane, n int, minH int) [][2]int {
	blank := max(4, p.w/100)
	rows := make([]int, p.h)
	total := 0
	for y := 0; y < p.h; y++ {
		c := 0
		for _, v := range p.pix[y*p.w : (y+1)*p.w] {
			if v < inkLevel {
				c++
			}
		}
		rows[y] = c
		total += c
	}
	if n <= 1 || p.h < 2*minH || total == 0 {
		return [][2]int{{0, p.h}}
	}
	prefix := make([]int, p.h+1)
	for y, c := range rows {
		prefix[y+1] = prefix[y] + c
	}
	var out [][2]int
	start := 0
	for j := 1; j < n; j++ {
		y := sort.SearchInts(prefix, total*j/n) // the first row where the target ink is reached
		cut := -1                               // the nearest blank row, within a quarter of the height
		for d := 0; d < p.h/4 && cut < 0; d++ {
			for _, c := range []int{y + d, y - d} {
				if c >= start+minH && c <= p.h-minH && rows[c] <= blank {
					cut = c
					break
				}
			}
		}
		if cut < 0 {
			break
		}
		out = append(out, [2]int{start, cut})
		start = cut
	}
	return append(out, [2]int{start, p.h})
}
