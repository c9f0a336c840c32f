package watermark

import (
	"math"
	"testing"
)

func near(a, b [2]float64) bool { return math.Abs(a[0]-b[0]) < 1e-6 && math.Abs(a[1]-b[1]) < 1e-6 }

// TestWarpAlgebra checks that a warp built from four corners takes them
// there, that its inverse takes them back, and that compose applies the
// right-hand warp first.
func TestWarpAlgebra(t *testing.T) {
	src := [4][2]float64{{0, 0}, {640, 0}, {0, 427}, {640, 427}}
	dst := [4][2]float64{{22.4, 3}, {617.6, -1}, {0, 427}, {641, 430}}
	w := warpFromCorners(src, dst)
	inv := w.inverse()
	for i := range src {
		x, y := w.apply(src[i][0], src[i][1])
		if !near([2]float64{x, y}, dst[i]) {
			t.Errorf("corner %d goes to (%.3f, %.3f), want %v", i, x, y, dst[i])
		}
		bx, by := inv.apply(x, y)
		if !near([2]float64{bx, by}, src[i]) {
			t.Errorf("inverse takes corner %d back to (%.3f, %.3f), want %v", i, bx, by, src[i])
		}
	}
	r := scaleRot(0.8, 10)
	c := compose(w, r)
	x, y := r.apply(100, 50)
	x, y = w.apply(x, y)
	cx, cy := c.apply(100, 50)
	if !near([2]float64{x, y}, [2]float64{cx, cy}) {
		t.Errorf("compose(w, r) gives (%.3f, %.3f), w(r(p)) is (%.3f, %.3f)", cx, cy, x, y)
	}
}

// TestKeystone checks the tilted views: the shortened edge's sides lean by
// the angle, the opposite edge stays where it was.
func TestKeystone(t *testing.T) {
	w, h := 800.0, 533.0
	d := h * math.Tan(3*math.Pi/180)
	k := keystone(w, h, 3, 0) // top edge shorter
	for _, c := range []struct{ from, to [2]float64 }{
		{[2]float64{0, 0}, [2]float64{d, 0}},
		{[2]float64{w, 0}, [2]float64{w - d, 0}},
		{[2]float64{0, h}, [2]float64{0, h}},
		{[2]float64{w, h}, [2]float64{w, h}},
	} {
		x, y := k.apply(c.from[0], c.from[1])
		if !near([2]float64{x, y}, c.to) {
			t.Errorf("top keystone takes %v to (%.3f, %.3f), want %v", c.from, x, y, c.to)
		}
	}
	dy := w * math.Tan(5*math.Pi/180)
	if x, y := keystone(w, h, 5, 3).apply(w, 0); !near([2]float64{x, y}, [2]float64{w, dy}) {
		t.Errorf("right keystone takes the top right corner to (%.3f, %.3f), want (%.0f, %.3f)", x, y, w, dy)
	}
	if k.g == 0 && k.h == 0 || nearIdentity(k) {
		t.Error("a keystone has no perspective terms")
	}
}
