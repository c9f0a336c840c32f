package inspect

import (
	"fmt"
	"image"
	_ "image/gif"  // decoders for OCR
	_ "image/jpeg" //
	_ "image/png"  //
	"io"
	"math"

	_ "golang.org/x/image/bmp"  //
	_ "golang.org/x/image/tiff" //
	_ "golang.org/x/image/webp" //
)

// plane is an 8-bit grey image, row-major, no padding.
type plane struct {
	w, h int
	pix  []uint8
}

func newPlane(w, h int) *plane { return &plane{w: w, h: h, pix: make([]uint8, w*h)} }

func (p *plane) at(x, y int) uint8 { return p.pix[y*p.w+x] }

// decodeImage decodes an image after checking the pixel count its header declares, so a
// decompression bomb (a small file declaring a huge canvas) is refused before any pixel
// is allocated. Only the first frame of animated GIFs and multi-page TIFFs is read.
func decodeImage(r io.ReaderAt, size int64, maxPixels int64) (image.Image, error) {
	cfg, format, err := image.DecodeConfig(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, corrupt("image header unreadable: %v", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, corrupt("%s image declares an empty canvas", format)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > maxPixels {
		return nil, &problem{kind: KindUninspectable, detail: fmt.Sprintf("%s image of %d×%d pixels is over the OCR limit of %d megapixels; not read",
			format, cfg.Width, cfg.Height, maxPixels/1_000_000)}
	}
	img, _, err := image.Decode(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, corrupt("corrupt %s image: %v", format, err)
	}
	return img, nil
}

// greyOf converts an image to luminance; transparent pixels count as white (how a
// screenshot with an alpha channel is shown).
func greyOf(img image.Image) *plane {
	b := img.Bounds()
	p := newPlane(b.Dx(), b.Dy())
	switch m := img.(type) {
	case *image.YCbCr:
		for y := 0; y < p.h; y++ {
			copy(p.pix[y*p.w:(y+1)*p.w], m.Y[m.YOffset(b.Min.X, b.Min.Y+y):])
		}
	case *image.Gray:
		for y := 0; y < p.h; y++ {
			copy(p.pix[y*p.w:(y+1)*p.w], m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):])
		}
	case *image.NRGBA:
		for y := 0; y < p.h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < p.w; x++ {
				c := row[4*x : 4*x+4]
				p.pix[y*p.w+x] = overWhite(luma(uint32(c[0]), uint32(c[1]), uint32(c[2])), uint32(c[3]))
			}
		}
	case *image.RGBA:
		for y := 0; y < p.h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < p.w; x++ {
				c := row[4*x : 4*x+4] // premultiplied: add the white showing through
				p.pix[y*p.w+x] = uint8(min(255, uint32(luma(uint32(c[0]), uint32(c[1]), uint32(c[2])))+255-uint32(c[3])))
			}
		}
	case *image.Paletted:
		var lut [256]uint8
		for i, c := range m.Palette {
			r, g, bl, a := c.RGBA()
			lut[i] = uint8(min(255, uint32(luma(r>>8, g>>8, bl>>8))+255-a>>8))
		}
		for y := 0; y < p.h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < p.w; x++ {
				p.pix[y*p.w+x] = lut[row[x]]
			}
		}
	default:
		for y := 0; y < p.h; y++ {
			for x := 0; x < p.w; x++ {
				r, g, bl, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				p.pix[y*p.w+x] = uint8(min(255, uint32(luma(r>>8, g>>8, bl>>8))+(0xffff-a)>>8))
			}
		}
	}
	return p
}

// luma is the BT.601 luminance of 8-bit r, g, b.
func luma(r, g, b uint32) uint8 { return uint8((19595*r + 38470*g + 7471*b + 1<<15) >> 16) }

// overWhite composites a non-premultiplied grey value with alpha a over white.
func overWhite(v uint8, a uint32) uint8 { return uint8((uint32(v)*a + 255*(255-a) + 127) / 255) }

// bgTile is the side of the tiles whose dominant grey is taken as the local background.
const bgTile = 48

// normalize returns black text on white whatever the theme: each pixel's distance from
// the local background (the dominant grey of its tile, interpolated between tiles), so
// dark themes, coloured header rows and dark side bars all come out as dark ink on white.
// Faint lines (grid lines, borders) stay light grey and anti-aliasing is kept.
func normalize(p *plane) *plane {
	tw, th := (p.w+bgTile-1)/bgTile, (p.h+bgTile-1)/bgTile
	bg := make([]float64, tw*th)
	var hist [32]int
	var sum [32]int
	for ty := 0; ty < th; ty++ {
		for tx := 0; tx < tw; tx++ {
			hist, sum = [32]int{}, [32]int{}
			for y := ty * bgTile; y < min(p.h, (ty+1)*bgTile); y++ {
				row := p.pix[y*p.w:]
				for x := tx * bgTile; x < min(p.w, (tx+1)*bgTile); x++ {
					v := row[x]
					hist[v>>3]++
					sum[v>>3] += int(v)
				}
			}
			best := 0
			for i := range hist {
				if hist[i] > hist[best] {
					best = i
				}
			}
			bg[ty*tw+tx] = float64(sum[best]) / float64(max(hist[best], 1))
		}
	}
	out := newPlane(p.w, p.h)
	const noise, gain = 10.0, 1.7
	for y := 0; y < p.h; y++ {
		fy := (float64(y)+0.5)/bgTile - 0.5
		y0 := clampInt(int(math.Floor(fy)), 0, th-1)
		y1 := clampInt(y0+1, 0, th-1)
		wy := clampF(fy-float64(y0), 0, 1)
		for x := 0; x < p.w; x++ {
			fx := (float64(x)+0.5)/bgTile - 0.5
			x0 := clampInt(int(math.Floor(fx)), 0, tw-1)
			x1 := clampInt(x0+1, 0, tw-1)
			wx := clampF(fx-float64(x0), 0, 1)
			b := (bg[y0*tw+x0]*(1-wx)+bg[y0*tw+x1]*wx)*(1-wy) + (bg[y1*tw+x0]*(1-wx)+bg[y1*tw+x1]*wx)*wy
			d := math.Abs(float64(p.pix[y*p.w+x])-b) - noise
			out.pix[y*p.w+x] = uint8(255 - clampF(d*gain, 0, 255))
		}
	}
	return out
}

func clampInt(v, lo, hi int) int { return max(lo, min(hi, v)) }
func clampF(v, lo, hi float64) float64 {
	return math.Max(lo, math.Min(hi, v))
}

// resample scales p by sx horizontally and sy vertically (bilinear when enlarging, area
// average when shrinking) and rotates it by angle radians about its centre (deskew),
// filling with white.
func resample(p *plane, sx, sy, angle float64) *plane {
	sw, sh := float64(p.w)*sx, float64(p.h)*sy // scaled size; the canvas grows to hold the rotation
	sa, ca := math.Abs(math.Sin(angle)), math.Abs(math.Cos(angle))
	w, h := max(1, int(sw*ca+sh*sa+0.5)), max(1, int(sh*ca+sw*sa+0.5))
	src := p
	if sx < 1 || sy < 1 { // shrink first by box averaging, so bilinear sampling does not alias
		kx, ky := max(1, int(1/sx)), max(1, int(1/sy))
		if kx > 1 || ky > 1 {
			src = boxShrink(p, kx, ky)
			sx, sy = sx*float64(kx), sy*float64(ky)
		}
	}
	out := newPlane(w, h)
	sin, cos := math.Sin(angle), math.Cos(angle)
	cx, cy := float64(w)/2, float64(h)/2
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			rx, ry := dx*cos-dy*sin+sw/2, dx*sin+dy*cos+sh/2 // where this pixel was before the rotation
			out.pix[y*w+x] = src.bilinear(rx/sx-0.5, ry/sy-0.5)
		}
	}
	return out
}

// bilinear samples p at (fx, fy), white outside.
func (p *plane) bilinear(fx, fy float64) uint8 {
	x0, y0 := int(math.Floor(fx)), int(math.Floor(fy))
	if x0 < -1 || y0 < -1 || x0 >= p.w || y0 >= p.h {
		return 255
	}
	ax, ay := fx-float64(x0), fy-float64(y0)
	get := func(x, y int) float64 {
		if x < 0 || y < 0 || x >= p.w || y >= p.h {
			return 255
		}
		return float64(p.pix[y*p.w+x])
	}
	v := (get(x0, y0)*(1-ax)+get(x0+1, y0)*ax)*(1-ay) + (get(x0, y0+1)*(1-ax)+get(x0+1, y0+1)*ax)*ay
	return uint8(v + 0.5)
}

// boxShrink averages kx×ky blocks.
func boxShrink(p *plane, kx, ky int) *plane {
	w, h := max(1, p.w/kx), max(1, p.h/ky)
	out := newPlane(w, h)
	n := kx * ky
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			s := 0
			for yy := y * ky; yy < (y+1)*ky; yy++ {
				row := p.pix[yy*p.w+x*kx:]
				for xx := 0; xx < kx; xx++ {
					s += int(row[xx])
				}
			}
			out.pix[y*w+x] = uint8(s / n)
		}
	}
	return out
}

// pgm encodes p as a binary PGM, the format handed to Tesseract.
func (p *plane) pgm() []byte {
	head := fmt.Sprintf("P5\n%d %d\n255\n", p.w, p.h)
	b := make([]byte, 0, len(head)+len(p.pix))
	return append(append(b, head...), p.pix...)
}

// crop returns rows y0..y1 of p (shared pixels).
func (p *plane) crop(y0, y1 int) *plane {
	return &plane{w: p.w, h: y1 - y0, pix: p.pix[y0*p.w : y1*p.w]}
}
