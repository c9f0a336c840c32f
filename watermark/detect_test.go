package watermark

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestBoxRows checks the streaming window sums against direct sums over
// every 8×8 window, with and without a product term.
func TestBoxRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	w, h := 37, 29
	a, b := make([]float32, w*h), make([]float32, w*h)
	for i := range a {
		a[i], b[i] = float32(rng.IntN(256)), float32(rng.Float64())
	}
	rows := 0
	boxRows(w, h, []boxTerm{{a, nil}, {a, b}}, func(y int, sums [][]float64) {
		if y != rows {
			t.Fatalf("row %d came after %d rows", y, rows)
		}
		rows++
		for x := 0; x < w-7; x++ {
			var s0, s1 float64
			for j := 0; j < 8; j++ {
				for i := 0; i < 8; i++ {
					v := float64(a[(y+j)*w+x+i])
					s0 += v
					s1 += v * float64(b[(y+j)*w+x+i])
				}
			}
			if math.Abs(sums[0][x]-s0) > 1e-6 || math.Abs(sums[1][x]-s1) > 1e-6 {
				t.Fatalf("window (%d,%d): got %v %v, want %v %v", x, y, sums[0][x], sums[1][x], s0, s1)
			}
		}
	})
	if rows != h-7 {
		t.Fatalf("%d rows of windows, want %d", rows, h-7)
	}
	boxRows(7, 20, []boxTerm{{a[:140], nil}}, func(int, [][]float64) { t.Fatal("a plane narrower than a window has no windows") })
}
