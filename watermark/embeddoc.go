package watermark

import (
	"image"
	"math"
)

// Document screenshots (mostly white paper with dark text) carry the mark on
// the paper. Text strokes are a host the pattern cannot beat at any
// invisible strength, so the detector reads documents through the paper
// pixels only (see maskedField); the embedder therefore gives every block
// that holds paper the same faint pattern and darkens all of them by one
// common shift, so the paper shows no block-to-block tint.
const (
	// docStrength is the pattern RMS (luma units) on document paper.
	docStrength = 1.3
	// docWhiteShare is the share of near-white pixels that makes an image
	// document-like.
	docWhiteShare = 0.4
	// paperLevel is the channel minimum from which a pixel counts as paper.
	paperLevel = 200
)

// documentLike reports whether most of img is white paper: at least
// docWhiteShare of a pixel sample has every colour channel ≥ 235.
func documentLike(img *image.NRGBA) bool {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	white, n := 0, 0
	for y := 0; y < h; y += 4 {
		o := img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y+y)
		row := img.Pix[o : o+4*w]
		for x := 0; x < w; x += 4 {
			p := row[4*x : 4*x+3]
			if min(p[0], p[1], p[2]) >= 235 {
				white++
			}
			n++
		}
	}
	return n > 0 && float64(white) >= docWhiteShare*float64(n)
}

// paperShift is the common darkening of paper blocks: the largest value the
// kernel reaches at amplitude strength, so no paper pixel clips at 255.
func paperShift(k *keyed, strength float64) float64 {
	m := 0.0
	for _, v := range k.kernel {
		m = math.Max(m, math.Abs(float64(v)))
	}
	return -math.Ceil(strength * 8 * m)
}

// hasPaper reports whether the 16×16 block at (x0, y0) holds a paper pixel.
func hasPaper(img *image.NRGBA, x0, y0 int) bool {
	for yy := 0; yy < 16; yy++ {
		o := img.PixOffset(x0, y0+yy)
		row := img.Pix[o : o+64 : o+64]
		for xx := 0; xx < 16; xx++ {
			if min(row[4*xx], row[4*xx+1], row[4*xx+2]) >= paperLevel {
				return true
			}
		}
	}
	return false
}
