package watermark

import (
	"math"
	"math/bits"
)

// fft computes an in-place radix-2 complex FFT of len(x) (a power of two);
// inverse selects the inverse transform (unscaled).
func fft(x []complex128, inverse bool) {
	n := len(x)
	shift := 64 - uint(bits.TrailingZeros(uint(n)))
	for i := 0; i < n; i++ {
		j := int(bits.Reverse64(uint64(i)) >> shift)
		if j > i {
			x[i], x[j] = x[j], x[i]
		}
	}
	sign := -1.0
	if inverse {
		sign = 1.0
	}
	for size := 2; size <= n; size <<= 1 {
		half := size / 2
		ang := sign * 2 * math.Pi / float64(size)
		wstep := complex(math.Cos(ang), math.Sin(ang))
		for start := 0; start < n; start += size {
			w := complex(1, 0)
			for k := 0; k < half; k++ {
				a, b := x[start+k], x[start+k+half]*w
				x[start+k], x[start+k+half] = a+b, a-b
				w *= wstep
			}
		}
	}
}

// fft2 transforms an n×n row-major array in place (rows, then columns,
// each split over two workers).
func fft2(x []complex128, n int, inverse bool) {
	half := n / 2
	parallelDo(2, func(part int) {
		for r := part * half; r < (part+1)*half; r++ {
			fft(x[r*n:(r+1)*n], inverse)
		}
	})
	parallelDo(2, func(part int) {
		col := make([]complex128, n)
		for c := part * half; c < (part+1)*half; c++ {
			for r := 0; r < n; r++ {
				col[r] = x[r*n+c]
			}
			fft(col, inverse)
			for r := 0; r < n; r++ {
				x[r*n+c] = col[r]
			}
		}
	})
}
