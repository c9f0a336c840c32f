package watermark

import (
	_ "embed" // the CJK font is compiled in
	"fmt"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
)

// fontTTF is WenQuanYi Micro Hei (Apache-2.0), face 0, subset to GBK; see fonts/README.md.
//
//go:embed fonts/wqy-microhei-gbk.ttf
var fontTTF []byte

var parsedFont = sync.OnceValues(func() (*opentype.Font, error) {
	f, err := opentype.Parse(fontTTF)
	if err != nil {
		return nil, fmt.Errorf("sluice: embedded watermark font does not parse: %w; rebuild it with watermark/fonts/build_font.sh", err)
	}
	return f, nil
})

// FontTTF returns the embedded CJK TrueType font (read-only) for callers
// that need to render mark text themselves.
func FontTTF() []byte { return fontTTF }

// newFace returns a face of the embedded font at size pixels.
func newFace(size float64) (font.Face, error) {
	f, err := parsedFont()
	if err != nil {
		return nil, err
	}
	return opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
}
