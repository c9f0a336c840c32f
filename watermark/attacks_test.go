package watermark

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"

	"github.com/disintegration/imaging"
)

// attack is one transformation a leaker might apply to a marked image.
type attack struct {
	name string
	fn   func(image.Image) image.Image
}

func jpegQ(q int) func(image.Image) image.Image {
	return func(img image.Image) image.Image {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
			panic(err)
		}
		out, err := jpeg.Decode(&buf)
		if err != nil {
			panic(err)
		}
		return out
	}
}

func pngRT(img image.Image) image.Image {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}
	out, err := png.Decode(&buf)
	if err != nil {
		panic(err)
	}
	return out
}

func scaleBy(f float64) func(image.Image) image.Image {
	return func(img image.Image) image.Image {
		b := img.Bounds()
		filter := imaging.Linear
		if f > 1 {
			filter = imaging.CatmullRom
		}
		return imaging.Resize(img, int(float64(b.Dx())*f+0.5), int(float64(b.Dy())*f+0.5), filter)
	}
}

// cropFrac removes the given fractions from the left, top, right and bottom.
func cropFrac(l, t, r, btm float64) func(image.Image) image.Image {
	return func(img image.Image) image.Image {
		b := img.Bounds()
		w, h := float64(b.Dx()), float64(b.Dy())
		return imaging.Crop(img, image.Rect(int(l*w), int(t*h), int((1-r)*w), int((1-btm)*h)))
	}
}

func rotate(deg float64) func(image.Image) image.Image {
	return func(img image.Image) image.Image { return imaging.Rotate(img, deg, color.White) }
}

func pixelMap(f func(v float64) float64) func(image.Image) image.Image {
	return func(img image.Image) image.Image {
		n := imaging.Clone(img)
		for i := range n.Pix {
			if i%4 != 3 {
				n.Pix[i] = clamp8(f(float64(n.Pix[i])))
			}
		}
		return n
	}
}

func chain(fs ...func(image.Image) image.Image) func(image.Image) image.Image {
	return func(img image.Image) image.Image {
		for _, f := range fs {
			img = f(img)
		}
		return img
	}
}

func grayscale(img image.Image) image.Image { return imaging.Grayscale(img) }

// allAttacks is the attack list of the robustness harness (issue 5).
var allAttacks = []attack{
	{"none (PNG)", pngRT},
	{"JPEG q90", jpegQ(90)},
	{"JPEG q75", jpegQ(75)},
	{"JPEG q50", jpegQ(50)},
	{"JPEG q30", jpegQ(30)},
	{"downscale 75%", scaleBy(0.75)},
	{"downscale 50%", scaleBy(0.5)},
	{"upscale 125%", scaleBy(1.25)},
	{"upscale 150%", scaleBy(1.5)},
	{"crop 10% left +JPEG70", chain(cropFrac(0.1, 0, 0, 0), jpegQ(70))},
	{"crop 20% top +JPEG70", chain(cropFrac(0, 0.2, 0, 0), jpegQ(70))},
	{"crop 20% right +JPEG70", chain(cropFrac(0, 0, 0.2, 0), jpegQ(70))},
	{"crop 10% bottom +JPEG70", chain(cropFrac(0, 0, 0, 0.1), jpegQ(70))},
	{"crop centre 10% each side +JPEG70", chain(cropFrac(0.1, 0.1, 0.1, 0.1), jpegQ(70))},
	{"crop centre 20% each side +JPEG70", chain(cropFrac(0.2, 0.2, 0.2, 0.2), jpegQ(70))},
	{"rotate +1°", chain(rotate(1), jpegQ(90))},
	{"rotate -1°", chain(rotate(-1), jpegQ(90))},
	{"rotate +2°", chain(rotate(2), jpegQ(90))},
	{"rotate -2°", chain(rotate(-2), jpegQ(90))},
	{"brightness +20", pixelMap(func(v float64) float64 { return v + 20 })},
	{"brightness -20", pixelMap(func(v float64) float64 { return v - 20 })},
	{"contrast 0.8", pixelMap(func(v float64) float64 { return (v-128)*0.8 + 128 })},
	{"contrast 1.2", pixelMap(func(v float64) float64 { return (v-128)*1.2 + 128 })},
	{"grayscale", grayscale},
	{"PNG→JPEG80→PNG", chain(pngRT, jpegQ(80), pngRT)},
	{"crop 15% + scale 80% + JPEG75", chain(cropFrac(0.15, 0.15, 0.15, 0.15), scaleBy(0.8), jpegQ(75))},
	{"scale 50% + JPEG75", chain(scaleBy(0.5), jpegQ(75))},
}
