package watermark

import (
	"math"
	"math/rand/v2"
)

// dctBasis[u][x] is the orthonormal 8-point DCT-II basis.
var dctBasis = func() (b [8][8]float64) {
	for u := 0; u < 8; u++ {
		c := math.Sqrt(2.0 / 8)
		if u == 0 {
			c = math.Sqrt(1.0 / 8)
		}
		for x := 0; x < 8; x++ {
			b[u][x] = c * math.Cos(float64(2*x+1)*float64(u)*math.Pi/16)
		}
	}
	return
}()

// dct8 computes the orthonormal 2-D DCT-II of an 8×8 block (row-major, [y*8+x]).
func dct8(in *[64]float64) (out [64]float64) {
	var tmp [64]float64
	for y := 0; y < 8; y++ {
		for u := 0; u < 8; u++ {
			s := 0.0
			for x := 0; x < 8; x++ {
				s += dctBasis[u][x] * in[y*8+x]
			}
			tmp[y*8+u] = s
		}
	}
	for v := 0; v < 8; v++ {
		for u := 0; u < 8; u++ {
			s := 0.0
			for y := 0; y < 8; y++ {
				s += dctBasis[v][y] * tmp[y*8+u]
			}
			out[v*8+u] = s
		}
	}
	return
}

// idct8 inverts dct8.
func idct8(in *[64]float64) (out [64]float64) {
	var tmp [64]float64
	for v := 0; v < 8; v++ {
		for x := 0; x < 8; x++ {
			s := 0.0
			for u := 0; u < 8; u++ {
				s += dctBasis[u][x] * in[v*8+u]
			}
			tmp[v*8+x] = s
		}
	}
	for y := 0; y < 8; y++ {
		for x := 0; x < 8; x++ {
			s := 0.0
			for v := 0; v < 8; v++ {
				s += dctBasis[v][y] * tmp[v*8+x]
			}
			out[y*8+x] = s
		}
	}
	return
}

// markBand lists the (u, v) DCT coefficients the spreading vector uses: a
// low-mid band that survives JPEG, and 50 % downscaling of the 2×-downsampled
// luma the mark lives in.
var markBand = [][2]int{{0, 2}, {2, 0}, {1, 1}, {1, 2}, {2, 1}, {0, 3}, {3, 0}, {2, 2}, {1, 3}, {3, 1}}

// designKernel draws a keyed spread vector over markBand and returns it as a
// unit-norm 8×8 spatial kernel: projecting a block onto it equals projecting
// the block's DCT coefficients onto the spread vector.
func designKernel(rng *rand.Rand) (k [64]float32) {
	var c [64]float64
	for _, uv := range markBand {
		w := rng.NormFloat64()
		for math.Abs(w) < 0.5 {
			w = rng.NormFloat64()
		}
		c[uv[1]*8+uv[0]] = w
	}
	s := idct8(&c)
	n := 0.0
	for _, v := range s {
		n += v * v
	}
	n = math.Sqrt(n)
	for i, v := range s {
		k[i] = float32(v / n)
	}
	return
}
