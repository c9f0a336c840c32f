package watermark

import (
	"math"
	"sort"
)

// tilePeriodY2 is the tile period in canonical half-resolution pixels.
const tilePeriodY2 = tileBlocks * 8

// Lattice search range in suspect half-resolution pixels: scales ≈0.42..1.75.
const (
	minLag   = 40
	maxLag   = 170
	maxSkew  = 0.12 // |tan| of the largest rotation searched (≈7°)
	acWindow = 512  // largest window analysed, half-resolution pixels
	// residualClip bounds the high-pass residual (luma units).
	residualClip = 6
)

// frameEst is a canonical frame implied by the lattice, with the
// significance of its peak: its prominence over the 90th percentile of all
// candidate peaks' (an unmarked photo's best peak is 1.3–2 times that).
type frameEst struct {
	t   warp
	sig float64
}

// estimateFrames finds the tile lattice in the suspect image from the
// autocorrelation of its high-pass residual (the repeated tile shows as
// peaks at the tile period, scaled and rotated with the image) and returns
// the canonical frames it implies, best first.
func estimateFrames(lum *plane) []frameEst {
	y2, _ := canonicalY2(lum, identity)
	ww, wh := min(y2.w, acWindow), min(y2.h, acWindow)
	if ww < 2*minLag || wh < 2*minLag {
		return nil
	}
	x0, y0 := (y2.w-ww)/2, (y2.h-wh)/2
	n := 1
	for n < max(ww, wh)+maxLag+2 {
		n <<= 1
	}
	buf := make([]complex128, n*n)
	res := highPass(&y2, x0, y0, ww, wh)
	if level, doc := paperLevelOf(&y2); doc {
		// On a document only paper pixels out of the 5×5 filter's reach of
		// ink carry the lattice; text edges would drown it.
		clean := paperMask(&y2, level, 2)
		for y := 0; y < wh; y++ {
			for x := 0; x < ww; x++ {
				if !clean[(y0+y)*y2.w+x0+x] {
					res[y*ww+x] = 0
				}
			}
		}
	}
	for y := 0; y < wh; y++ {
		for x := 0; x < ww; x++ {
			buf[y*n+x] = complex(float64(res[y*ww+x]), 0)
		}
	}
	fft2(buf, n, false)
	for i, v := range buf {
		// Whitened (magnitude) spectrum sharpens periodic peaks.
		buf[i] = complex(math.Sqrt(real(v)*real(v)+imag(v)*imag(v)), 0)
	}
	fft2(buf, n, true)
	ac := func(dx, dy int) float64 {
		ov := float64((ww - abs0(dx)) * (wh - abs0(dy)))
		if ov <= 0 {
			return 0
		}
		return real(buf[((dy+n)%n)*n+(dx+n)%n]) / ov
	}
	type peak struct {
		x, y float64
		v    float64
	}
	var proms []float64
	findPeaks := func(horizontal bool) []peak {
		var ps []peak
		for l := minLag; l <= maxLag; l++ {
			if l >= ww-minLag/2 && horizontal || l >= wh-minLag/2 && !horizontal {
				break
			}
			span := int(float64(l)*maxSkew) + 1
			for o := -span; o <= span; o++ {
				dx, dy := l, o
				if !horizontal {
					dx, dy = o, l
				}
				v := ac(dx, dy)
				if v <= ac(dx+1, dy) || v <= ac(dx-1, dy) || v <= ac(dx, dy+1) || v <= ac(dx, dy-1) ||
					v <= ac(dx+1, dy+1) || v <= ac(dx-1, dy-1) || v <= ac(dx+1, dy-1) || v <= ac(dx-1, dy+1) {
					continue
				}
				// Prominence over the surrounding ring removes the host
				// image's own slowly decaying autocorrelation.
				ring := 0.0
				for _, d := range [][2]int{{-3, -3}, {0, -3}, {3, -3}, {-3, 0}, {3, 0}, {-3, 3}, {0, 3}, {3, 3}} {
					ring += ac(dx+d[0], dy+d[1])
				}
				prom := v - ring/8
				// Sub-pixel refinement by parabola fits.
				fx := parabola(ac(dx-1, dy), v, ac(dx+1, dy))
				fy := parabola(ac(dx, dy-1), v, ac(dx, dy+1))
				ps = append(ps, peak{float64(dx) + fx, float64(dy) + fy, prom})
			}
		}
		sort.Slice(ps, func(i, j int) bool { return ps[i].v > ps[j].v })
		for _, p := range ps {
			proms = append(proms, p.v)
		}
		if len(ps) > 5 {
			ps = ps[:5]
		}
		return ps
	}
	// Each peak implies a similarity transform (uniform scale + rotation);
	// a horizontal and a vertical peak that agree reinforce each other.
	type sim struct{ s, r, score float64 }
	var sims []sim
	addSim := func(x, y, score float64) {
		sc, r := math.Hypot(x, y)/tilePeriodY2, math.Atan2(y, x)
		for i := range sims {
			if math.Abs(sims[i].s-sc) < 0.006*sc && math.Abs(sims[i].r-r) < 0.006 {
				w := sims[i].score / (sims[i].score + score)
				sims[i].s = w*sims[i].s + (1-w)*sc
				sims[i].r = w*sims[i].r + (1-w)*r
				sims[i].score += score
				return
			}
		}
		sims = append(sims, sim{sc, r, score})
	}
	for _, p := range findPeaks(true) {
		addSim(p.x, p.y, p.v)
	}
	for _, p := range findPeaks(false) {
		addSim(p.y, -p.x, p.v) // rotate the vertical lattice vector onto x
	}
	sort.Slice(sims, func(i, j int) bool { return sims[i].score > sims[j].score })
	sort.Float64s(proms)
	ref := 1.0
	if len(proms) > 0 {
		ref = math.Max(proms[len(proms)*9/10], 1e-9)
	}
	var out, half []frameEst
	for i := 0; i < len(sims) && i < 3; i++ {
		sc, deg, sig := sims[i].s, sims[i].r*180/math.Pi, sims[i].score/ref
		out = append(out, frameEst{scaleRot(sc, deg), sig})
		// The lattice may have been found at twice the period.
		if sc*tilePeriodY2/2 >= minLag*0.9 {
			half = append(half, frameEst{scaleRot(sc/2, deg), sig})
		}
	}
	return append(out, half...)
}

// highPass returns the window minus its 5×5 local mean.
func highPass(p *plane, x0, y0, w, h int) []float32 {
	out := make([]float32, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			s, c := float32(0), float32(0)
			for dy := -2; dy <= 2; dy++ {
				yy := y0 + y + dy
				if yy < 0 || yy >= p.h {
					continue
				}
				for dx := -2; dx <= 2; dx++ {
					xx := x0 + x + dx
					if xx < 0 || xx >= p.w {
						continue
					}
					s += p.v[yy*p.w+xx]
					c++
				}
			}
			// Clipping keeps strong edges (text, borders) from drowning
			// the faint periodic mark in the autocorrelation.
			r := p.v[(y0+y)*p.w+x0+x] - s/c
			out[y*w+x] = max(-residualClip, min(residualClip, r))
		}
	}
	return out
}

// parabola returns the vertex offset of the parabola through (-1,a),(0,b),(1,c).
func parabola(a, b, c float64) float64 {
	d := a - 2*b + c
	if d >= 0 {
		return 0
	}
	return math.Max(-0.5, math.Min(0.5, 0.5*(a-c)/d))
}

func abs0(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
