package watermark

import (
	"math"
	"runtime"
	"sync"
)

// bufs recycles the large float planes of the search, so a trace's memory
// stays at a few frames' worth however many frames it tries.
var bufs sync.Pool

// getBuf returns a zeroed []float32 of length n.
func getBuf(n int) []float32 {
	if p, ok := bufs.Get().(*[]float32); ok && cap(*p) >= n {
		b := (*p)[:n]
		clear(b)
		return b
	}
	return make([]float32, n)
}

func putBuf(b []float32) { bufs.Put(&b) }

// release returns the source's planes to the pool.
func (s *fieldSource) release() {
	for _, m := range [][][]float32{s.a, s.b} {
		for _, b := range m {
			putBuf(b)
		}
	}
	putBuf(s.inv)
	if s.mean != nil {
		putBuf(s.mean)
	}
}

// The correlation of every 8×8 window with the kernel, for all eight
// orientations at once: the kernel is a sum of DCT basis functions of
// markBand, each separable, and a flip or quarter turn only permutes and
// negates those coefficients. So the band coefficients of every window are
// computed once (separably, 4 row and 10 column passes of 8 taps) and each
// orientation's field is a 10-term sum of them.

// nBand is the number of DCT coefficients the kernel spreads over.
var nBand = len(markBand)

// fieldSource holds what every orientation's field of one canonical frame
// shares: the band coefficients of each window and its normalisation.
type fieldSource struct {
	w, h int         // window positions
	ok   []bool      // window lies inside the suspect image
	inv  []float32   // 1/(σ + softFloor) of the window; 0 where it does not count
	a    [][]float32 // band coefficients (of the paper pixels, for documents)
	b    [][]float32 // documents: band coefficients of the paper mask
	mean []float32   // documents: mean of the window's paper pixels
}

// newFieldSource prepares the fields of y2; paper ≥ 0 selects the
// document model (correlation over paper pixels only, see detectdoc.go).
func newFieldSource(y2 *plane, valid []bool, paper float32) *fieldSource {
	w, h := y2.w-7, y2.h-7
	if w <= 0 || h <= 0 {
		return nil
	}
	s := &fieldSource{w: w, h: h, ok: windowsInside(y2, valid), inv: getBuf(w * h)}
	if paper < 0 {
		s.a = bandMaps(y2.v, y2.w, y2.h)
		boxRows(y2.w, y2.h, []boxTerm{{y2.v, nil}, {y2.v, y2.v}}, func(y int, sum [][]float64) {
			for x := 0; x < w; x++ {
				m := sum[0][x] / 64
				vr := sum[1][x]/64 - m*m
				s.inv[y*w+x] = float32(1 / (math.Sqrt(math.Max(vr, 0)) + softFloor))
			}
		})
		return s
	}
	clean := paperMask(y2, paper, 0)
	mask := make([]float32, len(y2.v))
	masked := make([]float32, len(y2.v))
	for i, c := range clean {
		if c {
			mask[i], masked[i] = 1, y2.v[i]
		}
	}
	s.a, s.b = bandMaps(masked, y2.w, y2.h), bandMaps(mask, y2.w, y2.h)
	s.mean = getBuf(w * h)
	boxRows(y2.w, y2.h, []boxTerm{{mask, nil}, {masked, nil}, {masked, y2.v}}, func(y int, sum [][]float64) {
		for x := 0; x < w; x++ {
			i := y*w + x
			n := sum[0][x]
			if n < minPaperPixels {
				continue
			}
			mean := sum[1][x] / n
			vr := sum[2][x]/n - mean*mean
			s.mean[i] = float32(mean)
			s.inv[i] = float32(1 / (math.Sqrt(math.Max(vr, 0)) + softFloor))
		}
	})
	return s
}

// field returns the soft correlation field for the kernel whose band
// coefficients are coef, written into buf (reused between orientations).
func (s *fieldSource) field(coef []float32, buf []float32) corrField {
	z := buf[:s.w*s.h]
	for i := range z {
		z[i] = 0
	}
	for bi, c := range coef {
		if c == 0 {
			continue
		}
		a := s.a[bi]
		if s.b == nil {
			for i, v := range a {
				z[i] += c * v
			}
			continue
		}
		b := s.b[bi]
		for i, v := range a {
			z[i] += c * (v - s.mean[i]*b[i])
		}
	}
	for i, v := range z {
		z[i] = max(-softClip, min(softClip, v*s.inv[i]))
	}
	return corrField{w: s.w, h: s.h, z: z, ok: s.ok}
}

// bandMaps returns, for every 8×8 window of the w×h plane v, its DCT
// coefficients at markBand (orthonormal, as dct8), separably.
func bandMaps(v []float32, w, h int) [][]float32 {
	ow, oh := w-7, h-7
	var basis [4][8]float32
	for u := range basis {
		for x := range basis[u] {
			basis[u][x] = float32(dctBasis[u][x])
		}
	}
	// Row pass: for each horizontal frequency u ≤ 3, every row's 8-tap sums.
	var rows [4][]float32
	defer func() {
		for _, r := range rows {
			putBuf(r)
		}
	}()
	parallelDo(len(rows), func(u int) {
		r := getBuf(ow * h)
		b := basis[u]
		for y := 0; y < h; y++ {
			src := v[y*w : y*w+w]
			dst := r[y*ow : y*ow+ow]
			for x := range dst {
				p := src[x : x+8 : x+8]
				dst[x] = b[0]*p[0] + b[1]*p[1] + b[2]*p[2] + b[3]*p[3] + b[4]*p[4] + b[5]*p[5] + b[6]*p[6] + b[7]*p[7]
			}
		}
		rows[u] = r
	})
	out := make([][]float32, len(markBand))
	parallelDo(len(markBand), func(bi int) {
		uv := markBand[bi]
		r, b := rows[uv[0]], basis[uv[1]]
		o := getBuf(ow * oh)
		for y := 0; y < oh; y++ {
			dst := o[y*ow : y*ow+ow]
			for j := 0; j < 8; j++ {
				src := r[(y+j)*ow : (y+j)*ow+ow]
				c := b[j]
				for x := range dst {
					dst[x] += c * src[x]
				}
			}
		}
		out[bi] = o
	})
	return out
}

// bandCoefs returns the DCT coefficients at markBand of an 8×8 kernel.
func bandCoefs(kern *[64]float32) []float32 {
	var in [64]float64
	for i, v := range kern {
		in[i] = float64(v)
	}
	c := dct8(&in)
	out := make([]float32, len(markBand))
	for bi, uv := range markBand {
		out[bi] = float32(c[uv[1]*8+uv[0]])
	}
	return out
}

// parallelDo runs f(0..n-1) on two workers (or GOMAXPROCS if fewer).
func parallelDo(n int, f func(int)) {
	var wg sync.WaitGroup
	next := make(chan int, n)
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	for w := 0; w < min(2, runtime.GOMAXPROCS(0)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	wg.Wait()
}
