package watermark

import "math"

// perturbGate is the sync correlation an estimated frame must reach before
// the fine search around it is worth its cost.
const perturbGate = 0.5

// decodeLuma runs the blind search on a suspect luma plane: first the
// identity frame (re-saved, cropped or recompressed files), then frames
// estimated from the tile's autocorrelation (scaled or rotated files), then
// small perturbations of the best estimate.
func (k *keyed) decodeLuma(lum *plane) (candidate, bool) {
	try := func(t affine) (candidate, float64, bool) {
		y2, valid := canonicalY2(lum, t)
		if y2.w < 24 || y2.h < 24 {
			return candidate{}, 0, false
		}
		best := 0.0
		if level, doc := paperLevelOf(&y2); doc {
			f := newPaperField(&y2, valid, k, level)
			c, s, ok := decodeField(&f, k)
			if ok {
				return c, s, true
			}
			best = s
		}
		f := newCorrField(&y2, valid, k)
		c, s, ok := decodeField(&f, k)
		return c, math.Max(s, best), ok
	}
	for _, t := range []affine{identity, {a: 1, d: 1, tx: 1, ty: 1}} {
		if c, _, ok := try(t); ok {
			return c, true
		}
	}
	bestSync, bestFrame := 0.0, affine{}
	for _, t := range estimateFrames(lum) {
		if nearIdentity(t) {
			continue
		}
		c, s, ok := try(t)
		if ok {
			return c, true
		}
		if s > bestSync {
			bestSync, bestFrame = s, t
		}
	}
	// Fine steps around the best estimate absorb sub-pixel lattice error.
	if bestSync >= perturbGate {
		for _, p := range [][2]float64{{1.004, 0}, {0.996, 0}, {1, 0.25}, {1, -0.25}} {
			if c, _, ok := try(compose(bestFrame, scaleRot(p[0], p[1]))); ok {
				return c, true
			}
		}
	}
	return candidate{}, false
}

func nearIdentity(t affine) bool {
	return math.Abs(t.a-1) < 0.003 && math.Abs(t.d-1) < 0.003 && math.Abs(t.b) < 0.003 && math.Abs(t.c) < 0.003
}

// compose returns the affine t∘u (apply u first).
func compose(t, u affine) affine {
	return affine{
		a: t.a*u.a + t.b*u.c, b: t.a*u.b + t.b*u.d,
		c: t.c*u.a + t.d*u.c, d: t.c*u.b + t.d*u.d,
		tx: t.a*u.tx + t.b*u.ty + t.tx, ty: t.c*u.tx + t.d*u.ty + t.ty,
	}
}
