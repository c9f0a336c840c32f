package watermark

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/disintegration/imaging"
	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
)

// realTools are the programs a leaker uses, as Debian installs them.
type realTools struct {
	convert, cwebp, pngquant string
	dir                      string
	n                        atomic.Int64
}

// needRealTools finds ImageMagick, cwebp and pngquant; missing ones skip
// the test (and fail it in CI, where scripts/test.sh installs them).
func needRealTools(t *testing.T) *realTools {
	t.Helper()
	find := func(names ...string) string {
		for _, n := range names {
			if p, err := exec.LookPath(n); err == nil {
				return p
			}
		}
		msg := fmt.Sprintf("%s is not installed (Debian: imagemagick, webp, pngquant)", names[0])
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
		return ""
	}
	// Debian's ImageMagick 6 binary by its own name: a plain "convert" in
	// PATH may be another program.
	return &realTools{convert: find("convert-im6.q16", "magick"), cwebp: find("cwebp"), pngquant: find("pngquant"), dir: t.TempDir()}
}

// file writes data to a fresh temporary file with extension ext.
func (r *realTools) file(data []byte, ext string) string {
	p := filepath.Join(r.dir, fmt.Sprintf("f%d.%s", r.n.Add(1), ext))
	if err := os.WriteFile(p, data, 0o600); err != nil {
		panic(err)
	}
	return p
}

// run runs a tool on data and returns the file it wrote (ext), removing both.
func (r *realTools) run(data []byte, inExt, outExt string, cmd func(in, out string) []string) ([]byte, error) {
	in, out := r.file(data, inExt), filepath.Join(r.dir, fmt.Sprintf("o%d.%s", r.n.Add(1), outExt))
	defer os.Remove(in)
	defer os.Remove(out)
	args := cmd(in, out)
	if b, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s: %v: %s", filepath.Base(args[0]), err, b)
	}
	return os.ReadFile(out)
}

// im runs ImageMagick: convert IN ARGS… OUT.
func (r *realTools) im(outExt string, args ...string) func([]byte) ([]byte, error) {
	return func(data []byte) ([]byte, error) {
		return r.run(data, extOf(data), outExt, func(in, out string) []string {
			return append(append([]string{r.convert, in}, args...), out)
		})
	}
}

func extOf(data []byte) string {
	if t := sniff(data); t != "" {
		return t
	}
	return "bin"
}

// realAttack is one thing a leaker does to a picture. Chromium attacks
// (zoom > 0) are batched by the runner; the others run a tool or Go code.
type realAttack struct {
	name  string
	group string // target group: recompress, screenshot, geometry, crop+rotate, filter
	fn    func([]byte) ([]byte, error)
	zoom  float64
}

// realAttacks returns the attack set of issue 13 with the real tools.
func realAttacks(r *realTools) []realAttack {
	jpg := func(q int) []string { return []string{"-quality", fmt.Sprint(q)} }
	return []realAttack{
		{name: "WeChat: fit 1080 px, JPEG 85", group: "recompress", fn: r.im("jpg", "-resize", "1080x1080>", "-sampling-factor", "4:2:0", "-quality", "85")},
		{name: "fit 1280 px, JPEG 80 4:2:0", group: "recompress", fn: r.im("jpg", "-resize", "1280x1280>", "-sampling-factor", "4:2:0", "-quality", "80")},
		{name: "WebP q75 (cwebp)", group: "recompress", fn: func(d []byte) ([]byte, error) {
			png, err := r.im("png")(d)
			if err != nil {
				return nil, err
			}
			return r.run(png, "png", "webp", func(in, out string) []string { return []string{r.cwebp, "-quiet", "-q", "75", in, "-o", out} })
		}},
		{name: "pngquant 256 colours", group: "recompress", fn: func(d []byte) ([]byte, error) {
			png, err := r.im("png")(d)
			if err != nil {
				return nil, err
			}
			return r.run(png, "png", "png", func(in, out string) []string { return []string{r.pngquant, "--force", "--output", out, "256", in} })
		}},
		{name: "ImageMagick -strip -resize 70% -quality 60", group: "recompress", fn: r.im("jpg", "-strip", "-resize", "70%", "-quality", "60")},
		{name: "Chromium screenshot at 67 %", group: "screenshot", zoom: 0.67},
		{name: "Chromium screenshot at 100 %", group: "screenshot", zoom: 1},
		{name: "Chromium screenshot at 150 %", group: "screenshot", zoom: 1.5},
		{name: "caption bar added", group: "geometry", fn: goAttack(captionBar)},
		{name: "pasted into a 1920×1080 slide", group: "geometry", fn: goAttack(pasteIntoSlide)},
		{name: "mirror (-flop)", group: "geometry", fn: r.im("jpg", append([]string{"-flop"}, jpg(90)...)...)},
		{name: "rotate 90°", group: "geometry", fn: r.im("jpg", append([]string{"-rotate", "90"}, jpg(90)...)...)},
		{name: "rotate 5°", group: "geometry", fn: r.im("jpg", append([]string{"-background", "white", "-rotate", "5"}, jpg(90)...)...)},
		{name: "perspective skew 3°", group: "geometry", fn: func(d []byte) ([]byte, error) {
			w, h := dims(d)
			s := float64(h) * math.Tan(3*math.Pi/180)
			pts := fmt.Sprintf("0,0 %.1f,0  %d,0 %.1f,0  0,%d 0,%d  %d,%d %d,%d", s, w-1, float64(w-1)-s, h-1, h-1, w-1, h-1, w-1, h-1)
			return r.im("jpg", append([]string{"-virtual-pixel", "white", "-distort", "Perspective", pts}, jpg(90)...)...)(d)
		}},
		{name: "blur 1 px", group: "filter", fn: r.im("jpg", append([]string{"-blur", "0x1"}, jpg(90)...)...)},
		{name: "gamma 0.8", group: "filter", fn: r.im("jpg", append([]string{"-gamma", "0.8"}, jpg(90)...)...)},
		{name: "gamma 1.2", group: "filter", fn: r.im("jpg", append([]string{"-gamma", "1.2"}, jpg(90)...)...)},
		{name: "noise σ 5", group: "filter", fn: goAttack(gaussNoise(5))},
		{name: "crop to 25 % of the area", group: "crop+rotate", fn: r.im("jpg", append([]string{"-gravity", "center", "-crop", "50%x50%+0+0", "+repage"}, jpg(85)...)...)},
		{name: "crop 50 % + rotate 2°", group: "crop+rotate", fn: r.im("jpg", append([]string{"-gravity", "center", "-crop", "71%x71%+20+10", "+repage", "-background", "white", "-rotate", "2"}, jpg(85)...)...)},
		{name: "crop 25 % + rotate 5°", group: "crop+rotate", fn: r.im("jpg", append([]string{"-gravity", "center", "-crop", "50%x50%+0+0", "+repage", "-background", "white", "-rotate", "-5"}, jpg(85)...)...)},
	}
}

func dims(data []byte) (int, int) {
	img, err := decodeImage(data)
	if err != nil {
		return 1, 1
	}
	return img.Bounds().Dx(), img.Bounds().Dy()
}

// goAttack wraps an image transformation done in Go; the result is saved
// as PNG (what a paint program or slide export writes).
func goAttack(f func(*image.NRGBA) *image.NRGBA) func([]byte) ([]byte, error) {
	return func(d []byte) ([]byte, error) {
		img, err := decodeImage(d)
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		err = png.Encode(&b, f(imaging.Clone(img)))
		return b.Bytes(), err
	}
}

// captionBar adds a white bar with a line of text above the picture, as a
// chat app or a meme tool does.
func captionBar(img *image.NRGBA) *image.NRGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	bar := max(24, h/8)
	out := imaging.New(w, h+bar, color.White)
	out = imaging.Paste(out, img, image.Pt(0, bar))
	face, err := newFace(float64(bar) * 0.5)
	if err == nil {
		d := font.Drawer{Dst: out, Src: image.Black, Face: face, Dot: fixed.P(bar/3, bar*2/3)}
		d.DrawString("客户资料 · 请查收")
	}
	return out
}

// pasteIntoSlide places the picture, scaled to about half the slide's
// width, off-centre on a white 1920×1080 slide with a title.
func pasteIntoSlide(img *image.NRGBA) *image.NRGBA {
	slide := imaging.New(1920, 1080, color.White)
	pic := imaging.Fit(img, 960, 760, imaging.Lanczos)
	slide = imaging.Paste(slide, pic, image.Pt(820, 230))
	if face, err := newFace(56); err == nil {
		d := font.Drawer{Dst: slide, Src: image.Black, Face: face, Dot: fixed.P(120, 140)}
		d.DrawString("第三季度重点客户")
	}
	return slide
}

// gaussNoise adds Gaussian noise of standard deviation sigma per channel.
func gaussNoise(sigma float64) func(*image.NRGBA) *image.NRGBA {
	return func(img *image.NRGBA) *image.NRGBA {
		rng := rand.New(rand.NewPCG(uint64(img.Rect.Dx()), uint64(img.Rect.Dy())))
		for i := range img.Pix {
			if i%4 != 3 {
				img.Pix[i] = clamp8(float64(img.Pix[i]) + rng.NormFloat64()*sigma)
			}
		}
		return img
	}
}

// zoomJob prepares a Chromium screenshot of data shown at its natural
// size in a page, at the given zoom (device scale factor).
func (r *realTools) zoomJob(data []byte, zoom float64) shotJob {
	w, h := dims(data)
	src := r.file(data, extOf(data))
	page := r.file([]byte(fmt.Sprintf(`<html><body style="margin:10px;background:#fff"><img src="file://%s" style="width:%dpx;height:%dpx"></body></html>`, src, w, h)), "html")
	return shotJob{URL: "file://" + page, Width: w + 20, Height: h + 20, Scale: zoom, Selector: "img",
		Out: strings.TrimSuffix(page, ".html") + ".png"}
}
