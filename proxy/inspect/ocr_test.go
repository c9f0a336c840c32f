package inspect

import (
	"math"
	"strings"
	"testing"
)

func TestOCRLines(t *testing.T) {
	tsv := "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n" +
		"5\t1\t1\t1\t1\t1\t10\t5\t40\t16\t91\t杭州\n" +
		"5\t1\t1\t1\t1\t2\t52\t5\t60\t16\t90\t磊物流有限公司\n" + // 2 px gap between Han: joined
		"5\t1\t1\t1\t1\t3\t200\t5\t30\t16\t88\t刘娜\n" + // wide gap: a column
		"5\t1\t1\t1\t1\t4\t240\t5\t50\t16\t95\t147\n" + // 10 px gap: a space
		"5\t1\t1\t1\t1\t5\t296\t5\t40\t16\t95\t9202\n" +
		"4\t1\t1\t1\t2\t0\t10\t30\t300\t16\t-1\t\n" +
		"5\t1\t1\t1\t2\t1\t10\t30\t60\t16\t80\tbuyer@x.cn\n" +
		"5\t1\t1\t1\t2\t2\tx\t30\t60\t16\t80\tbroken\n"
	got := ocrLines(parseTSV([]byte(tsv)))
	want := []string{"杭州磊物流有限公司\t刘娜 147 9202", "buyer@x.cn"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("lines %q, want %q", got, want)
	}
}

// textPlane draws rows of dark "glyphs" (small filled squares with a hole) on a light background.
func textPlane(w, h, glyph int, bg, ink uint8, angle float64) *plane {
	p := newPlane(w, h)
	for i := range p.pix {
		p.pix[i] = bg
	}
	sin, cos := math.Sin(angle), math.Cos(angle)
	for row := 2 * glyph; row < h-2*glyph; row += 2 * glyph {
		for col := glyph; col < w-2*glyph; col += glyph + glyph/3 {
			for y := 0; y < glyph; y++ {
				for x := 0; x < glyph; x++ {
					if x > glyph/3 && x < 2*glyph/3 && y > glyph/3 && y < 2*glyph/3 {
						continue
					}
					fx, fy := float64(col+x), float64(row+y)
					rx, ry := int(fx*cos-fy*sin), int(fx*sin+fy*cos)
					if rx >= 0 && ry >= 0 && rx < w && ry < h {
						p.pix[ry*w+rx] = ink
					}
				}
			}
		}
	}
	return p
}

func TestNormalizeThemes(t *testing.T) {
	for _, c := range []struct {
		name    string
		bg, ink uint8
	}{{"light", 250, 30}, {"dark", 30, 228}, {"dark muted", 30, 158}} {
		n := normalize(textPlane(400, 200, 12, c.bg, c.ink, 0))
		if v := n.at(2, 2); v < 240 {
			t.Errorf("%s: background %d, want white", c.name, v)
		}
		if v := n.at(12, 24); v > 80 {
			t.Errorf("%s: ink %d, want dark", c.name, v)
		}
	}
}

func TestAnalyseAndBands(t *testing.T) {
	p := normalize(textPlane(1200, 800, 14, 255, 0, 0))
	l := analyse(p)
	if !l.textLike() || l.glyphH < 12 || l.glyphH > 16 || l.angle != 0 {
		t.Errorf("text layout %+v", l)
	}
	bs := bands(p, 2, 100)
	if len(bs) != 2 || bs[0][0] != 0 || bs[1][1] != 800 || bs[0][1] != bs[1][0] {
		t.Fatalf("bands %v", bs)
	}
	for x := 0; x < p.w; x++ {
		if p.at(x, bs[0][1]) < inkLevel {
			t.Fatalf("band cut at row %d goes through ink", bs[0][1])
		}
	}
	tilted := analyse(normalize(textPlane(1200, 800, 14, 255, 0, 2*math.Pi/180)))
	if deg := tilted.angle * 180 / math.Pi; math.Abs(deg-2) > 0.5 {
		t.Errorf("skew %.2f°, want 2°", deg)
	}
	blank := newPlane(800, 600)
	for i := range blank.pix {
		blank.pix[i] = uint8(i * 7 % 256) // noise, no glyph rows
	}
	if l := analyse(normalize(blank)); l.textLike() {
		t.Errorf("noise looks like text: %+v", l)
	}
}
