package watermark

import (
	"image"
	"math"
)

// plane is a float32 luma image.
type plane struct {
	w, h int
	v    []float32
}

// lumaPlane extracts BT.601 luma (the JPEG Y channel) from any image.
func lumaPlane(img image.Image) plane {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	p := plane{w: w, h: h, v: make([]float32, w*h)}
	switch m := img.(type) {
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			row := m.Y[(y)*m.YStride : y*m.YStride+w]
			for x, c := range row {
				p.v[y*w+x] = float32(c)
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			o := y * m.Stride
			for x := 0; x < w; x++ {
				q := m.Pix[o+4*x : o+4*x+3 : o+4*x+3]
				p.v[y*w+x] = float32(lumaOf8(q[0], q[1], q[2]))
			}
		}
	case *image.RGBA:
		for y := 0; y < h; y++ {
			o := y * m.Stride
			for x := 0; x < w; x++ {
				q := m.Pix[o+4*x : o+4*x+3 : o+4*x+3]
				p.v[y*w+x] = float32(lumaOf8(q[0], q[1], q[2]))
			}
		}
	case *image.Gray:
		for y := 0; y < h; y++ {
			for x, c := range m.Pix[y*m.Stride : y*m.Stride+w] {
				p.v[y*w+x] = float32(c)
			}
		}
	default:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				r, g, bb, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				// Composite over white so transparent areas read as paper.
				wt := float64(0xffff-a) / 257
				p.v[y*w+x] = float32(0.299*(float64(r)/257+wt) + 0.587*(float64(g)/257+wt) + 0.114*(float64(bb)/257+wt))
			}
		}
	}
	return p
}

// at samples p bilinearly at continuous pixel-index coordinates; ok is false
// outside the image.
func (p *plane) at(x, y float64) (float32, bool) {
	if x < 0 || y < 0 || x > float64(p.w-1) || y > float64(p.h-1) {
		return 0, false
	}
	x0, y0 := int(x), int(y)
	fx, fy := float32(x-float64(x0)), float32(y-float64(y0))
	x1, y1 := min(x0+1, p.w-1), min(y0+1, p.h-1)
	a := p.v[y0*p.w+x0]*(1-fx) + p.v[y0*p.w+x1]*fx
	b := p.v[y1*p.w+x0]*(1-fx) + p.v[y1*p.w+x1]*fx
	return a*(1-fy) + b*fy, true
}

// canonicalY2 resamples the suspect luma into the canonical frame at half
// resolution (the domain the mark is embedded in). valid marks pixels that
// came from inside the suspect image.
func canonicalY2(src *plane, t warp) (plane, []bool) {
	if t.a == 1 && t.d == 1 && t.b == 0 && t.c == 0 && t.g == 0 && t.h == 0 && (t.tx == 0 || t.tx == 1) && (t.ty == 0 || t.ty == 1) {
		// Pure whole-pixel shift: exact 2×2 box average.
		ox, oy := int(t.tx), int(t.ty)
		w2, h2 := (src.w-ox)/2, (src.h-oy)/2
		out := plane{w: w2, h: h2, v: make([]float32, w2*h2)}
		for y := 0; y < h2; y++ {
			r0 := src.v[(2*y+oy)*src.w+ox:]
			r1 := src.v[(2*y+1+oy)*src.w+ox:]
			for x := 0; x < w2; x++ {
				out.v[y*w2+x] = (r0[2*x] + r0[2*x+1] + r1[2*x] + r1[2*x+1]) * 0.25
			}
		}
		return out, nil
	}
	// Bounding box of the suspect image in canonical coordinates.
	inv := t.inverse().apply
	minx, miny, maxx, maxy := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, c := range [][2]float64{{0, 0}, {float64(src.w), 0}, {0, float64(src.h)}, {float64(src.w), float64(src.h)}} {
		x, y := inv(c[0], c[1])
		minx, maxx = math.Min(minx, x), math.Max(maxx, x)
		miny, maxy = math.Min(miny, y), math.Max(maxy, y)
	}
	x0, y0 := math.Floor(minx), math.Floor(miny)
	w2, h2 := int((maxx-x0)/2), int((maxy-y0)/2)
	// A frame searched resamples into at most about twice the window's
	// pixels (half resolution at scale 0.38, turned 7°, of a 3:1 window);
	// anything larger is a frame near a vanishing point, not a picture.
	if w2 <= 0 || h2 <= 0 || w2*h2 > 4*src.w*src.h {
		return plane{}, nil
	}
	out := plane{w: w2, h: h2, v: make([]float32, w2*h2)}
	valid := make([]bool, w2*h2)
	for y := 0; y < h2; y++ {
		cy := y0 + 2*float64(y) + 1
		for x := 0; x < w2; x++ {
			sx, sy := t.apply(x0+2*float64(x)+1, cy)
			v, ok := src.at(sx-0.5, sy-0.5)
			out.v[y*w2+x] = v
			valid[y*w2+x] = ok
		}
	}
	return out, valid
}

// lumaRow writes the luma of pixels [x0, x0+len(dst)) of row y (image
// coordinates relative to the bounds' origin) into dst.
func lumaRow(img image.Image, y, x0 int, dst []float32) {
	b := img.Bounds()
	switch m := img.(type) {
	case *image.YCbCr:
		row := m.Y[m.YOffset(b.Min.X+x0, b.Min.Y+y):]
		for i := range dst {
			dst[i] = float32(row[i])
		}
	case *image.NRGBA:
		o := m.PixOffset(b.Min.X+x0, b.Min.Y+y)
		for i := range dst {
			q := m.Pix[o+4*i : o+4*i+3 : o+4*i+3]
			dst[i] = float32(lumaOf8(q[0], q[1], q[2]))
		}
	case *image.RGBA:
		o := m.PixOffset(b.Min.X+x0, b.Min.Y+y)
		for i := range dst {
			q := m.Pix[o+4*i : o+4*i+3 : o+4*i+3]
			dst[i] = float32(lumaOf8(q[0], q[1], q[2]))
		}
	case *image.Gray:
		o := m.PixOffset(b.Min.X+x0, b.Min.Y+y)
		for i := range dst {
			dst[i] = float32(m.Pix[o+i])
		}
	default:
		for i := range dst {
			r, g, bb, a := img.At(b.Min.X+x0+i, b.Min.Y+y).RGBA()
			// Composite over white so transparent areas read as paper.
			wt := float64(0xffff-a) / 257
			dst[i] = float32(0.299*(float64(r)/257+wt) + 0.587*(float64(g)/257+wt) + 0.114*(float64(bb)/257+wt))
		}
	}
}

// lumaLevel returns pyramid level l of img's luma (means of 2^l×2^l
// pixels; l = -1: level 0 enlarged twice), cropped to its centre window of
// at most window pixels per side.
// Only that window is read, so a 24 MP photo never becomes a float plane.
func lumaLevel(img image.Image, l, window int) plane {
	if l < 0 {
		return enlarge2(lumaLevel(img, 0, window/2))
	}
	b := img.Bounds()
	f := 1 << l
	w, h := min(b.Dx()/f, window), min(b.Dy()/f, window)
	x0, y0 := (b.Dx()-w*f)/2, (b.Dy()-h*f)/2
	p := plane{w: w, h: h, v: make([]float32, w*h)}
	row := make([]float32, w*f)
	inv := 1 / float32(f*f)
	for y := 0; y < h; y++ {
		out := p.v[y*w : y*w+w]
		for dy := 0; dy < f; dy++ {
			lumaRow(img, y0+y*f+dy, x0, row)
			for x := range out {
				s := float32(0)
				for _, v := range row[x*f : x*f+f] {
					s += v
				}
				out[x] += s
			}
		}
		for x := range out {
			out[x] *= inv
		}
	}
	return p
}

// lumaOnly returns a large image's luma as an 8-bit grey image (all the
// search reads), so the colour planes can be freed: a 24 MP photo then
// holds 24 MB instead of 72–96.
func lumaOnly(img image.Image) image.Image {
	b := img.Bounds()
	if b.Dx()*b.Dy() < 4<<20 {
		return img
	}
	if _, ok := img.(*image.Gray); ok {
		return img
	}
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	row := make([]float32, b.Dx())
	for y := 0; y < b.Dy(); y++ {
		lumaRow(img, y, 0, row)
		out := g.Pix[y*g.Stride : y*g.Stride+b.Dx()]
		for x, v := range row {
			out[x] = uint8(min(255, max(0, v+0.5)))
		}
	}
	return g
}

// enlarge2 returns p with every sample repeated 2×2 (level -1: the fine
// layer's 8-pixel blocks read as the coarse layer's 16).
func enlarge2(p plane) plane {
	out := plane{w: 2 * p.w, h: 2 * p.h, v: make([]float32, 4*p.w*p.h)}
	for y := 0; y < out.h; y++ {
		src := p.v[(y/2)*p.w : (y/2)*p.w+p.w]
		dst := out.v[y*out.w : y*out.w+out.w]
		for x := range dst {
			dst[x] = src[x/2]
		}
	}
	return out
}
