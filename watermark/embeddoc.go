package watermark

import "image"

// Document screenshots (mostly white paper with dark text) carry the mark
// differently from photos. Their text blocks are busy, but the text's own
// projection onto the kernel is large and drowns the mark, so there it is
// partly cancelled at embedding time (improved spread spectrum); text blocks
// may carry a stronger pattern; a block with both paper and strokes keeps the
// paper unclipped; and no PSNR cap applies (the 42 dB target is for photos).
const (
	// docInterference is the share of the host projection cancelled.
	docInterference = 0.8
	// docMaxNorm bounds a document block's pattern norm (8 × RMS per pixel).
	docMaxNorm = 120
	// docStrengthMax replaces strengthMax on document-like images.
	docStrengthMax = 8
	// docWhiteShare is the share of near-white pixels that makes an image
	// document-like.
	docWhiteShare = 0.4
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

// hostProjection is the 2×-downsampled block's projection onto the kernel
// (the kernel has no DC, so the block mean does not matter).
func hostProjection(y2 *[64]float64, k *keyed) float64 {
	s := 0.0
	for i, v := range y2 {
		s += v * float64(k.kernel[i])
	}
	return s
}
