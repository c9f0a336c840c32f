package watermark

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/rand/v2"

	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
)

// genPhoto draws a photo-like image: smooth gradients, soft shapes, fine
// texture and sensor noise, so it has flat, busy and edge regions.
func genPhoto(w, h int, seed uint64) *image.NRGBA {
	rng := rand.New(rand.NewPCG(seed, 7))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	type blob struct{ x, y, r, cr, cg, cb, soft float64 }
	var blobs []blob
	for i := 0; i < 12; i++ {
		blobs = append(blobs, blob{rng.Float64() * float64(w), rng.Float64() * float64(h),
			(0.05 + 0.25*rng.Float64()) * float64(min(w, h)), rng.Float64()*200 - 100, rng.Float64()*200 - 100, rng.Float64()*200 - 100, 2 + 20*rng.Float64()})
	}
	c0 := [3]float64{40 + 170*rng.Float64(), 40 + 170*rng.Float64(), 40 + 170*rng.Float64()}
	gx, gy := rng.Float64()*120-60, rng.Float64()*120-60
	tf, ta := 0.05+0.3*rng.Float64(), 5+20*rng.Float64()
	tx0, ty0 := rng.Float64()*float64(w), rng.Float64()*float64(h)
	noise := 1 + 3*rng.Float64()
	for y := 0; y < h; y++ {
		fy := float64(y) / float64(h)
		for x := 0; x < w; x++ {
			fx := float64(x) / float64(w)
			c := [3]float64{c0[0] + gx*fx + gy*fy, c0[1] + gx*fy - gy*fx, c0[2] + (gx+gy)*(fx-fy)/2}
			for _, b := range blobs {
				d := math.Hypot(float64(x)-b.x, float64(y)-b.y)
				t := 1 / (1 + math.Exp((d-b.r)/b.soft))
				c[0] += b.cr * t
				c[1] += b.cg * t
				c[2] += b.cb * t
			}
			// Texture patch (foliage/fabric-like) around a random centre.
			if d := math.Hypot(float64(x)-tx0, float64(y)-ty0); d < float64(min(w, h))/3 {
				t := ta * math.Sin(float64(x)*tf+math.Sin(float64(y)*tf*1.3)*3) * math.Cos(float64(y)*tf*0.7)
				c[0] += t
				c[1] += t
				c[2] += t
			}
			o := img.PixOffset(x, y)
			for i := 0; i < 3; i++ {
				img.Pix[o+i] = clamp8(c[i] + rng.NormFloat64()*noise)
			}
			img.Pix[o+3] = 255
		}
	}
	return img
}

// genDocument draws a document screenshot: white page, dark text lines,
// a header band and a table grid.
func genDocument(w, h int, seed uint64) *image.NRGBA {
	rng := rand.New(rand.NewPCG(seed, 11))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	fill := func(x0, y0, x1, y1 int, c color.NRGBA) {
		for y := max(y0, 0); y < min(y1, h); y++ {
			for x := max(x0, 0); x < min(x1, w); x++ {
				img.SetNRGBA(x, y, c)
			}
		}
	}
	fill(0, 0, w, h, color.NRGBA{255, 255, 255, 255})
	fill(0, 0, w, h/12, color.NRGBA{uint8(30 + rng.IntN(60)), uint8(60 + rng.IntN(90)), uint8(120 + rng.IntN(100)), 255})
	lh := 14 + rng.IntN(10)
	margin := w / 12
	for y := h/12 + lh; y+lh < h-margin; y += lh {
		x := margin
		end := w - margin - rng.IntN(w/4)
		for x < end {
			gw := 3 + rng.IntN(lh/2)
			gh := lh/2 + rng.IntN(lh/3)
			// A glyph: a few strokes.
			for s := 0; s < 3; s++ {
				sx := x + rng.IntN(gw)
				fill(sx, y+lh-gh, sx+1+rng.IntN(2), y+lh-2, color.NRGBA{20, 20, 20, 255})
				sy := y + lh - gh + rng.IntN(gh)
				fill(x, sy, x+gw, sy+1, color.NRGBA{30, 30, 30, 255})
			}
			x += gw + 2
			if rng.IntN(6) == 0 {
				x += lh / 2
			}
		}
	}
	return img
}

// genTableScreenshot draws a screenshot of a customer list in a web CRM or
// spreadsheet: anti-aliased Chinese text from the embedded font, a grey
// header row, zebra stripes and grid lines, at a normal UI size (14 px).
func genTableScreenshot(w, h int, seed uint64) *image.NRGBA {
	rng := rand.New(rand.NewPCG(seed, 13))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)
	face, err := newFace(14)
	if err != nil {
		panic(err)
	}
	ink := image.NewUniform(color.NRGBA{0x33, 0x33, 0x33, 255})
	text := func(x, y int, s string, c image.Image) {
		d := font.Drawer{Dst: img, Src: c, Face: face, Dot: fixed.P(x, y)}
		d.DrawString(s)
	}
	fill := func(r image.Rectangle, c color.NRGBA) {
		draw.Draw(img, r.Intersect(img.Rect), image.NewUniform(c), image.Point{}, draw.Src)
	}
	surnames := []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾")
	given := []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红")
	cities := []string{"北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "南京", "苏州", "西安"}
	trades := []string{"科技有限公司", "贸易有限公司", "实业有限公司", "电子商务有限公司", "医疗器械有限公司"}
	text(24, 30, "客户名单 · 华东大区 · 2026年11月", image.NewUniform(color.NRGBA{0x11, 0x11, 0x11, 255}))
	cols := []int{24, 130, 270, 560, 660, 800}
	rowH, top := 28, 48
	fill(image.Rect(16, top, w-16, top+rowH), color.NRGBA{242, 242, 242, 255})
	for i, s := range []string{"姓名", "手机", "公司", "城市", "签约金额", "负责人"} {
		if cols[i] < w-40 {
			text(cols[i], top+19, s, ink)
		}
	}
	for r, y := 0, top+rowH; y+rowH < h-16; r, y = r+1, y+rowH {
		if r%2 == 1 {
			fill(image.Rect(16, y, w-16, y+rowH), color.NRGBA{250, 250, 250, 255})
		}
		fill(image.Rect(16, y, w-16, y+1), color.NRGBA{224, 224, 224, 255})
		name := string(surnames[rng.IntN(len(surnames))]) + string(given[rng.IntN(len(given))])
		if rng.IntN(2) == 0 {
			name += string(given[rng.IntN(len(given))])
		}
		city := cities[rng.IntN(len(cities))]
		cells := []string{
			name,
			fmt.Sprintf("1%d%d %04d %04d", 3+rng.IntN(7), rng.IntN(10), rng.IntN(10000), rng.IntN(10000)),
			city + string(surnames[rng.IntN(len(surnames))]) + string(given[rng.IntN(len(given))]) + trades[rng.IntN(len(trades))],
			city,
			fmt.Sprintf("￥%d,%03d", 1+rng.IntN(900), rng.IntN(1000)),
			string(surnames[rng.IntN(len(surnames))]) + string(given[rng.IntN(len(given))]),
		}
		for i, s := range cells {
			if cols[i] < w-40 {
				text(cols[i], y+19, s, ink)
			}
		}
	}
	for _, x := range cols[1:] {
		if x < w-16 {
			fill(image.Rect(x-8, top, x-7, h-16), color.NRGBA{224, 224, 224, 255})
		}
	}
	return img
}
