package watermark

import (
	"image"
	"math"
	"sort"
)

// Bounds of the blind search, counted in work rather than wall-clock time
// so that a result never depends on the machine's load.
const (
	// perturbGate is the sync correlation an estimated frame must reach
	// before the fine search around it is worth its cost.
	perturbGate = 0.5
	// maxWindow is the largest window (pixels per side, at each pyramid
	// level) analysed: the tile repeats, so a window holds it many times.
	maxWindow = 1024
	// latticeFrames bounds the frames tried from the lattice estimate.
	latticeFrames = 4
	// latticeSig is the lattice peak significance (see frameEst) a frame
	// needs to be tried: every frame that decoded on the real-photo set
	// had ≥ 3.9; unmarked photos give 1.2–3 (rotated ones with white
	// corners up to 9, which only costs time).
	latticeSig = 3.0
	// smallWindow is the largest window (pixels) read at every scale (see
	// tryViews): a frame there costs under a third of a full window's.
	smallWindow = 300_000
	// sweepStep is the step of that scale sweep: a frame reads a
	// rescaled copy within about ±1.5 % of its scale.
	sweepStep = 0.03
	// minLevelSide is the smallest side of a pyramid level searched.
	minLevelSide = 160
)

// decodePicture runs the blind search over the image's pyramid: level k is
// the luma averaged over 2^k×2^k pixels (marks embedded at markScale 2^k,
// or photos enlarged 2^k times, are at their own size there), starting at
// the level where an unscaled copy of this image carries its mark; level
// -1, the luma enlarged twice, carries a small photo's fine layer.
func (k *keyed) decodePicture(img image.Image) (candidate, bool) {
	return k.searchPicture(img, search{lattice: latticeFrames, perturb: true, up: true, views: true})
}

// decodePictureQuick is the search Stamp runs before marking (to keep a
// mark the file already has) and after (to verify): identity frames at
// the levels up to the file's own, and the two best lattice frames.
func (k *keyed) decodePictureQuick(img image.Image) (candidate, bool) {
	return k.searchPicture(img, search{lattice: 2})
}

// search bounds one blind search.
type search struct {
	lattice int   // lattice frames tried per level
	perturb bool  // fine steps around the best lattice frame
	views   bool  // frames read as they are at the file's own level (tryViews)
	sweep   bool  // the views include the scale sweep (small files)
	up      bool  // also the levels above the file's own (enlarged copies)
	levels  []int // only these pyramid levels (nil: the file's own, then the others)
}

func (k *keyed) searchPicture(img image.Image, opt search) (candidate, bool) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	first := 0
	for s := markScale(w, h); s > 1; s /= 2 {
		first++
	}
	levels := []int{first}
	for l := first - 1; l >= 0; l-- {
		levels = append(levels, l)
	}
	if fineLayer(w, h) {
		// The fine layer of a photo this size or a smaller copy of one is
		// at its own size on the luma enlarged twice (level -1).
		levels = append(levels, -1)
	}
	for l := first + 1; opt.up && l <= first+1 && min(w, h)>>l >= minLevelSide; l++ {
		levels = append(levels, l)
	}
	if opt.levels != nil {
		levels = opt.levels
	}
	for _, l := range levels {
		if l >= 0 && min(w, h)>>l < 48 {
			continue
		}
		lum := lumaLevel(img, l, maxWindow)
		o := opt
		o.views = opt.views && (l == levels[0] || l == -1)
		// The sweep is for files of up to smallWindow pixels; level -1
		// holds such a file's luma four times over.
		area := lum.w * lum.h
		if l < 0 {
			area /= 4
		}
		o.sweep = area <= smallWindow
		if c, ok := k.decodeLuma(&lum, o, l == 0); ok {
			return c, true
		}
	}
	return candidate{}, false
}

// decodeLuma runs the blind search on one luma plane: first the identity
// frame (re-saved, cropped, recompressed, flipped or turned files), then
// frames estimated from the tile's autocorrelation (scaled or rotated
// files), then small perturbations of the best estimate.
func (k *keyed) decodeLuma(lum *plane, opt search, odd bool) (candidate, bool) {
	// try decodes frame t in the first n orientations (all, or upright
	// only for the views a picture is rarely also turned or mirrored in).
	try := func(t warp, n int) (candidate, float64, bool) {
		y2, valid := canonicalY2(lum, t)
		if y2.w < 24 || y2.h < 24 {
			return candidate{}, 0, false
		}
		best := 0.0
		if level, doc := paperLevelOf(&y2); doc {
			c, s, ok := k.decodeCells(k.accumulateAll(&y2, valid, level, n))
			if ok {
				return c, s, true
			}
			best = s
		}
		c, s, ok := k.decodeCells(k.accumulateAll(&y2, valid, -1, n))
		return c, math.Max(s, best), ok
	}
	// A crop by an odd number of pixels shifts the 2×2 grid by half a
	// sample; that matters at full resolution only.
	frames := []warp{identity}
	if odd {
		frames = append(frames, warp{a: 1, d: 1, tx: 1, ty: 1})
	}
	for _, t := range frames {
		if c, _, ok := try(t, orientations); ok {
			return c, true
		}
	}
	if opt.lattice == 0 {
		return candidate{}, false
	}
	bestSync, bestFrame, n := 0.0, warp{}, 0
	for _, e := range estimateFrames(lum) {
		t := e.t
		if nearIdentity(t) {
			continue
		}
		if e.sig < latticeSig {
			continue
		}
		if n++; n > opt.lattice {
			break
		}
		c, s, ok := try(t, orientations)
		if ok {
			return c, true
		}
		if s > bestSync {
			bestSync, bestFrame = s, t
		}
	}
	// Fine steps around the best estimate absorb sub-pixel lattice error.
	if opt.perturb && bestSync >= perturbGate {
		for _, p := range [][2]float64{{1.004, 0}, {0.996, 0}, {1, 0.25}, {1, -0.25}} {
			if c, _, ok := try(compose(bestFrame, scaleRot(p[0], p[1])), orientations); ok {
				return c, true
			}
		}
	}
	if opt.views {
		return tryViews(lum, try, opt.sweep)
	}
	return candidate{}, false
}

// tryViews tries the frames read as they are at a file's own level, upright
// only (turned or mirrored as well is rare, and 8× the work). A picture
// skewed or photographed at an angle smears the lattice (its significance
// stays under latticeSig): each edge is tilted 3° and 5°, then the two
// best of those 1° either side (a view decodes within about ±0.5° of the
// tilt). A small picture rescaled and recompressed leaves no lattice peak
// either (1.6–2.7 for photos at 480–640 px resized to 70 % + JPEG 60, and
// the top peaks at the wrong scale): with sweep (files of up to
// smallWindow pixels) the window is read at every scale from 0.97 down to
// 0.52 in sweepStep steps.
func tryViews(lum *plane, try func(warp, int) (candidate, float64, bool), sweep bool) (candidate, bool) {
	w, h := float64(lum.w), float64(lum.h)
	type view struct {
		deg  float64
		edge int
	}
	var tilted []view
	sync := map[view]float64{}
	for _, deg := range []float64{3, 5} {
		for edge := 0; edge < 4; edge++ {
			k, fits := keystone(w, h, deg, edge)
			if !fits {
				continue
			}
			c, s, ok := try(k, 1)
			if ok {
				return c, true
			}
			v := view{deg, edge}
			tilted, sync[v] = append(tilted, v), s
		}
	}
	sort.Slice(tilted, func(i, j int) bool { return sync[tilted[i]] > sync[tilted[j]] })
	for _, v := range tilted[:min(2, len(tilted))] {
		for _, deg := range []float64{v.deg - 1, v.deg + 1} {
			n := view{deg, v.edge}
			if _, done := sync[n]; done {
				continue
			}
			sync[n] = 0
			k, fits := keystone(w, h, deg, v.edge)
			if !fits {
				continue
			}
			if c, _, ok := try(k, 1); ok {
				return c, true
			}
		}
	}
	if !sweep {
		return candidate{}, false
	}
	for sc := 0.97; sc > 0.5; sc -= sweepStep {
		if c, _, ok := try(scaleRot(sc, 0), 1); ok {
			return c, true
		}
	}
	return candidate{}, false
}
