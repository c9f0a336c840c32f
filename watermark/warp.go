package watermark

import "math"

// warp maps canonical (as-embedded) pixel coordinates to coordinates in
// the suspect image: s = (A·c + T) / (1 + g·cx + h·cy). With g = h = 0 it
// is affine (scale, rotation, flip, shift); g and h bend it into a view at
// an angle (a skewed or photographed picture).
type warp struct {
	a, b, c, d float64 // A = [[a b] [c d]]
	tx, ty     float64
	g, h       float64
}

var identity = warp{a: 1, d: 1}

func (t warp) apply(x, y float64) (float64, float64) {
	w := 1 + t.g*x + t.h*y
	return (t.a*x + t.b*y + t.tx) / w, (t.c*x + t.d*y + t.ty) / w
}

func (t warp) matrix() [3][3]float64 {
	return [3][3]float64{{t.a, t.b, t.tx}, {t.c, t.d, t.ty}, {t.g, t.h, 1}}
}

// warpOf returns the warp of a 3×3 homogeneous matrix (scaled so that its
// last element is 1).
func warpOf(m [3][3]float64) warp {
	n := m[2][2]
	return warp{a: m[0][0] / n, b: m[0][1] / n, tx: m[0][2] / n, c: m[1][0] / n, d: m[1][1] / n, ty: m[1][2] / n, g: m[2][0] / n, h: m[2][1] / n}
}

// compose returns t∘u (apply u first).
func compose(t, u warp) warp {
	p, q := t.matrix(), u.matrix()
	var m [3][3]float64
	for i := range m {
		for j := range m[i] {
			m[i][j] = p[i][0]*q[0][j] + p[i][1]*q[1][j] + p[i][2]*q[2][j]
		}
	}
	return warpOf(m)
}

// inverse returns the warp from suspect back to canonical coordinates.
func (t warp) inverse() warp {
	m := t.matrix()
	var adj [3][3]float64
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			r0, r1 := (j+1)%3, (j+2)%3
			c0, c1 := (i+1)%3, (i+2)%3
			adj[i][j] = m[r0][c0]*m[r1][c1] - m[r0][c1]*m[r1][c0]
		}
	}
	return warpOf(adj)
}

// scaleRot builds the warp for a uniform scale and a rotation in degrees.
func scaleRot(s, deg float64) warp {
	r := deg * math.Pi / 180
	c, sn := math.Cos(r), math.Sin(r)
	return warp{a: s * c, b: -s * sn, c: s * sn, d: s * c}
}

// warpFromCorners returns the warp that takes the four points src to dst.
func warpFromCorners(src, dst [4][2]float64) warp {
	var m [8][9]float64
	for i := 0; i < 4; i++ {
		x, y, u, v := src[i][0], src[i][1], dst[i][0], dst[i][1]
		m[2*i] = [9]float64{x, y, 1, 0, 0, 0, -u * x, -u * y, u}
		m[2*i+1] = [9]float64{0, 0, 0, x, y, 1, -v * x, -v * y, v}
	}
	for c := 0; c < 8; c++ { // Gauss-Jordan with partial pivoting
		p := c
		for r := c + 1; r < 8; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		m[c], m[p] = m[p], m[c]
		for r := 0; r < 8; r++ {
			if r != c && m[c][c] != 0 {
				f := m[r][c] / m[c][c]
				for k := c; k < 9; k++ {
					m[r][k] -= f * m[c][k]
				}
			}
		}
	}
	var h [8]float64
	for i := range h {
		h[i] = m[i][8] / m[i][i]
	}
	return warp{a: h[0], b: h[1], tx: h[2], c: h[3], d: h[4], ty: h[5], g: h[6], h: h[7]}
}

// keystone returns the view of a w×h picture tilted away about one axis:
// edge (0 top, 1 bottom, 2 left, 3 right) shortened, its two sides leaning
// inwards by deg degrees, the opposite edge kept. ok is false when the
// edge would lose more than half its length (a short edge of a long, narrow
// picture): near the vanishing point such a view resamples the picture
// into a plane many times its size.
func keystone(w, h, deg float64, edge int) (t warp, ok bool) {
	tan := math.Tan(deg * math.Pi / 180)
	dx, dy := tan*h, tan*w
	if edge < 2 && dx > w/4 || edge >= 2 && dy > h/4 {
		return warp{}, false
	}
	corners := [4][2]float64{{0, 0}, {w, 0}, {0, h}, {w, h}}
	moved := [4][4][2]float64{
		{{dx, 0}, {w - dx, 0}, {0, h}, {w, h}},
		{{0, 0}, {w, 0}, {dx, h}, {w - dx, h}},
		{{0, dy}, {w, 0}, {0, h - dy}, {w, h}},
		{{0, 0}, {w, dy}, {0, h}, {w, h - dy}},
	}
	return warpFromCorners(corners, moved[edge]), true
}

func nearIdentity(t warp) bool {
	return math.Abs(t.a-1) < 0.003 && math.Abs(t.d-1) < 0.003 && math.Abs(t.b) < 0.003 && math.Abs(t.c) < 0.003 && t.g == 0 && t.h == 0
}
