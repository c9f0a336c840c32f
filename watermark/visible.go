package watermark

import (
	"image"
	"image/color"
	"math"
	"strings"

	"github.com/disintegration/imaging"
	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
)

// DefaultTemplate is the visible text used when Mark.Template is empty.
const DefaultTemplate = "{name} · {staff_id} · {time}"

// Visible mark look: angle of the tiled text, its colour and opacity.
const (
	visibleAngle   = 30 // degrees, counter-clockwise
	visibleOpacity = 0.30
)

var visibleInk = [3]float64{90, 90, 90}

// VisibleText renders the mark's template: {name}, {staff_id} and {time}
// (local time, "2006-01-02 15:04") are replaced.
func VisibleText(m Mark) string {
	t := m.Template
	if t == "" {
		t = DefaultTemplate
	}
	ts := ""
	if !m.Time.IsZero() {
		ts = m.Time.Local().Format("2006-01-02 15:04")
	}
	return strings.NewReplacer("{name}", m.Name, "{staff_id}", m.StaffID, "{time}", ts).Replace(t)
}

// textMask renders text, rotated by visibleAngle, as an alpha mask.
func textMask(text string, size float64) (*image.NRGBA, error) {
	face, err := newFace(size)
	if err != nil {
		return nil, err
	}
	defer face.Close()
	adv := font.MeasureString(face, text).Ceil()
	met := face.Metrics()
	pad := int(size / 2)
	w, h := adv+2*pad, (met.Ascent+met.Descent).Ceil()+2*pad
	mask := image.NewAlpha(image.Rect(0, 0, w, h))
	d := font.Drawer{Dst: mask, Src: image.Opaque, Face: face, Dot: fixed.P(pad, pad+met.Ascent.Ceil())}
	d.DrawString(text)
	// imaging works on colour images: carry the mask in the alpha channel.
	rgba := image.NewNRGBA(mask.Rect)
	for i, a := range mask.Pix {
		rgba.Pix[4*i+3] = a
	}
	return imaging.Rotate(rgba, visibleAngle, color.Transparent), nil
}

// drawVisible tiles the mark text diagonally over img, semi-transparent.
func drawVisible(img *image.NRGBA, text string) error {
	return drawVisibleWith(img, text, func(o int, al float64) {
		for c := 0; c < 3; c++ {
			img.Pix[o+c] = clamp8(float64(img.Pix[o+c])*(1-al) + visibleInk[c]*al)
		}
	})
}

// drawVisibleWith lays out the rotated text tiles over img and calls paint
// for every covered pixel offset with the ink's opacity there.
func drawVisibleWith(img *image.NRGBA, text string, paint func(o int, al float64)) error {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	size := math.Max(12, math.Min(72, float64(min(w, h))/28))
	tile, err := textMask(text, size)
	if err != nil {
		return err
	}
	tw, th := tile.Rect.Dx(), tile.Rect.Dy()
	stepX := tw + int(size*2)
	stepY := int(float64(th)*0.6) + int(size*3)
	for row, y := 0, -th/2; y < h; row, y = row+1, y+stepY {
		x0 := -tw / 2
		if row%2 == 1 {
			x0 += stepX / 2
		}
		for x := x0; x < w; x += stepX {
			blendMask(img, tile, x, y, paint)
		}
	}
	return nil
}

// blendMask paints through tile's alpha at (x0, y0).
func blendMask(img *image.NRGBA, tile *image.NRGBA, x0, y0 int, paint func(o int, al float64)) {
	tw, th := tile.Rect.Dx(), tile.Rect.Dy()
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for ty := max(0, -y0); ty < th && y0+ty < h; ty++ {
		for tx := max(0, -x0); tx < tw && x0+tx < w; tx++ {
			a := tile.Pix[ty*tile.Stride+4*tx+3]
			if a == 0 {
				continue
			}
			paint(img.PixOffset(x0+tx, y0+ty), visibleOpacity*float64(a)/255)
		}
	}
}
