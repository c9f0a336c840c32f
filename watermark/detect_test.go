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

// TestAccumulateStrips checks that reading a frame in strips of window rows
// gives the cells of reading it whole, for photos and the paper model, with
// windows outside the suspect image left out.
func TestAccumulateStrips(t *testing.T) {
	k := newKeyed(testKey)
	img := genPhoto(300, 230, 3)
	p := lumaPlane(img)
	for i := 0; i < 40*p.w; i++ {
		p.v[i] = 250 // a paper band at the top
	}
	valid := make([]bool, len(p.v))
	for i := range valid {
		valid[i] = i%p.w > 11 && i/p.w < p.h-20 // the left and bottom came from outside
	}
	defer func(r int) { fieldRows = r }(fieldRows)
	for _, paper := range []float32{-1, 250} {
		fieldRows = 1 << 20
		whole := k.accumulateAll(&p, valid, paper, orientations)
		for _, rows := range []int{64, 13, 1} {
			fieldRows = rows
			got := k.accumulateAll(&p, valid, paper, orientations)
			for o := 0; o < orientations; o++ {
				for off := 0; off < 64; off++ {
					a, b := whole.cells[o][off], got.cells[o][off]
					if (a == nil) != (b == nil) || whole.blocks[o][off] != got.blocks[o][off] {
						t.Fatalf("paper %v, strips of %d rows, orientation %d offset %d: %d windows, want %d", paper, rows, o, off, got.blocks[o][off], whole.blocks[o][off])
					}
					for c := range a {
						if math.Abs(a[c]-b[c]) > 1e-3*(1+math.Abs(a[c])) {
							t.Fatalf("paper %v, strips of %d rows, orientation %d offset %d cell %d: %v, want %v", paper, rows, o, off, c, b[c], a[c])
						}
					}
				}
			}
		}
	}
}
