package watermark

import (
	"bytes"
	"compress/gzip"
	_ "embed" // the CJK font is compiled in
	"fmt"
	"io"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
)

// fontGz is WenQuanYi Micro Hei (Apache-2.0), face 0, subset to GBK, gzip-compressed (3 MB → 1.5 MB);
// see fonts/README.md.
//
//go:embed fonts/wqy-microhei-gbk.ttf.gz
var fontGz []byte

// fontTTF inflates the embedded font once, on first use.
var fontTTF = sync.OnceValues(func() ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(fontGz))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
})

var parsedFont = sync.OnceValues(func() (*opentype.Font, error) {
	ttf, err := fontTTF()
	if err != nil {
		return nil, fmt.Errorf("embedded watermark font is damaged: %w; rebuild it with watermark/fonts/build_font.sh", err)
	}
	f, err := opentype.Parse(ttf)
	if err != nil {
		return nil, fmt.Errorf("embedded watermark font does not parse: %w; rebuild it with watermark/fonts/build_font.sh", err)
	}
	return f, nil
})

// FontTTF returns the embedded CJK TrueType font (read-only) for callers
// that need to render mark text themselves.
func FontTTF() []byte {
	ttf, _ := fontTTF()
	return ttf
}

// newFace returns a face of the embedded font at size pixels.
func newFace(size float64) (font.Face, error) {
	f, err := parsedFont()
	if err != nil {
		return nil, err
	}
	return opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
}
