package watermark

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // decode GIF suspects
	"image/jpeg"
	"image/png"

	_ "golang.org/x/image/bmp"  // decode BMP suspects
	_ "golang.org/x/image/tiff" // decode TIFF suspects
	_ "golang.org/x/image/webp" // decode WebP suspects
)

// MaxPixels bounds the images Stamp and Decode will decode (width×height),
// checked from the header before any pixel is decoded.
var MaxPixels = 64 << 20

// ErrTooLarge means the image header declares more than MaxPixels pixels.
var ErrTooLarge = errors.New("image too large to watermark or decode")

// sniff returns the short type of data from its magic bytes.
func sniff(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("%PDF-")) || bytes.Contains(data[:min(len(data), 1024)], []byte("%PDF-")):
		return "pdf"
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		return "jpeg"
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(data, []byte("GIF87a")) || bytes.HasPrefix(data, []byte("GIF89a")):
		return "gif"
	case len(data) >= 12 && bytes.Equal(data[:4], []byte("RIFF")) && bytes.Equal(data[8:12], []byte("WEBP")):
		return "webp"
	case bytes.HasPrefix(data, []byte("BM")):
		return "bmp"
	case bytes.HasPrefix(data, []byte("II*\x00")) || bytes.HasPrefix(data, []byte("MM\x00*")):
		return "tiff"
	case isoBrand(data) != "":
		return isoBrand(data)
	}
	return ""
}

// decodeImage decodes data after checking its declared size.
func decodeImage(data []byte) (image.Image, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxPixels/max(cfg.Height, 1) {
		return nil, fmt.Errorf("%w: %d×%d pixels, limit %d", ErrTooLarge, cfg.Width, cfg.Height, MaxPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return img, nil
}

// stdLumaQuant is the IJG luminance table in zig-zag order (as stored in DQT).
var stdLumaQuant = [64]int{
	16, 11, 12, 14, 12, 10, 16, 14, 13, 14, 18, 17, 16, 19, 24, 40,
	26, 24, 22, 22, 24, 49, 35, 37, 29, 40, 58, 51, 61, 60, 57, 51,
	56, 55, 64, 72, 92, 78, 64, 68, 87, 69, 55, 56, 80, 109, 81, 87,
	95, 98, 103, 104, 103, 62, 77, 113, 121, 112, 100, 120, 92, 101, 103, 99,
}

// jpegQuality estimates the IJG quality (1..100) of a JPEG from its first
// luminance quantisation table; 0 if none was found.
func jpegQuality(data []byte) int {
	var table []int
	for i := 2; i+4 <= len(data) && table == nil; {
		if data[i] != 0xFF {
			return 0
		}
		marker := data[i+1]
		if marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01 {
			i += 2
			continue
		}
		n := int(data[i+2])<<8 | int(data[i+3])
		if n < 2 || i+2+n > len(data) || marker == 0xDA {
			return 0
		}
		if marker == 0xDB {
			seg := data[i+4 : i+2+n]
			for len(seg) > 0 {
				pq, tq := seg[0]>>4, seg[0]&15
				size := 64 * (1 + int(pq))
				if len(seg) < 1+size {
					break
				}
				if tq == 0 {
					table = make([]int, 64)
					for k := 0; k < 64; k++ {
						if pq == 0 {
							table[k] = int(seg[1+k])
						} else {
							table[k] = int(seg[1+2*k])<<8 | int(seg[2+2*k])
						}
					}
					break
				}
				seg = seg[1+size:]
			}
		}
		i += 2 + n
	}
	if table == nil {
		return 0
	}
	best, bestErr := 0, 1<<62
	for q := 1; q <= 100; q++ {
		scale := 200 - 2*q
		if q < 50 {
			scale = 5000 / q
		}
		e := 0
		for k, t := range stdLumaQuant {
			v := min(max((t*scale+50)/100, 1), 255)
			d := v - table[k]
			e += d * d
		}
		if e < bestErr {
			best, bestErr = q, e
		}
	}
	return best
}

// encodeLike encodes img as typ ("jpeg" at quality q, or "png").
func encodeLike(img image.Image, typ string, q int) ([]byte, error) {
	var buf bytes.Buffer
	var err error
	switch typ {
	case "jpeg":
		// JPEG has no alpha: an opaque NRGBA is bit-identical to RGBA,
		// which the encoder converts much faster.
		if n, ok := img.(*image.NRGBA); ok && n.Opaque() {
			img = &image.RGBA{Pix: n.Pix, Stride: n.Stride, Rect: n.Rect}
		}
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: q})
	case "png":
		err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img)
	default:
		return nil, ErrUnsupported
	}
	if err != nil {
		return nil, fmt.Errorf("cannot encode marked %s: %w", typ, err)
	}
	return buf.Bytes(), nil
}
