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

// TestKeystone checks the tilted views by their geometry: for each edge,
// the opposite edge's corners stay, the shortened edge's corners stay on
// its line and move inwards, and the sides joining them lean by the angle;
// and the short edge of a banner is not tilted (the view would be near its
// vanishing point).
func TestKeystone(t *testing.T) {
	w, h := 800.0, 533.0
	corners := [4][2]float64{{0, 0}, {w, 0}, {0, h}, {w, h}}
	// Corner indices of each edge and of the opposite edge, side by side.
	edges := [4][2][2]int{{{0, 1}, {2, 3}}, {{2, 3}, {0, 1}}, {{0, 2}, {1, 3}}, {{1, 3}, {0, 2}}}
	for edge, e := range edges {
		k, ok := keystone(w, h, 3, edge)
		if !ok || k.g == 0 && k.h == 0 || nearIdentity(k) {
			t.Fatalf("edge %d: no perspective view (ok %v, %+v)", edge, ok, k)
		}
		along := 0 // coordinate along the edge: x for top and bottom
		if edge >= 2 {
			along = 1
		}
		for i := 0; i < 2; i++ {
			p, q := corners[e[0][i]], corners[e[1][i]]
			px, py := k.apply(p[0], p[1])
			qx, qy := k.apply(q[0], q[1])
			mp, mq := [2]float64{px, py}, [2]float64{qx, qy}
			if !near(mq, q) {
				t.Errorf("edge %d moved the opposite corner %v to %v", edge, q, mq)
			}
			if math.Abs(mp[1-along]-p[1-along]) > 1e-6 {
				t.Errorf("edge %d moved corner %v off its edge, to %v", edge, p, mp)
			}
			centre := [2]float64{w / 2, h / 2}
			if math.Abs(mp[along]-centre[along]) >= math.Abs(p[along]-centre[along]) {
				t.Errorf("edge %d moved corner %v outwards, to %v", edge, p, mp)
			}
			lean := math.Atan2(math.Abs(mp[along]-mq[along]), math.Abs(mp[1-along]-mq[1-along])) * 180 / math.Pi
			if math.Abs(lean-3) > 1e-6 {
				t.Errorf("edge %d: the side through corner %v leans %.4f°, want 3°", edge, p, lean)
			}
		}
	}
	// A 1024×179 banner: its left and right edges would lose more than
	// half their length at 5°; its top and bottom are fine.
	for edge, fits := range []bool{true, true, false, false} {
		if _, ok := keystone(1024, 179, 5, edge); ok != fits {
			t.Errorf("banner, edge %d at 5°: tried %v, want %v", edge, ok, fits)
		}
	}
	// The search on such a banner stays within its bounds (a view near the
	// vanishing point resampled it into 46 M samples).
	y2, _ := canonicalY2(&plane{w: 1024, h: 179, v: make([]float32, 1024*179)}, warpFromCorners(corners1024x179, [4][2]float64{{0, 89}, {1024, 0}, {0, 90}, {1024, 179}}))
	if y2.w*y2.h > 4*1024*179 {
		t.Errorf("a frame at the vanishing point resampled into %d×%d", y2.w, y2.h)
	}
}

var corners1024x179 = [4][2]float64{{0, 0}, {1024, 0}, {0, 179}, {1024, 179}}
