package watermark

import (
	"fmt"
	"image"
	"math"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disintegration/imaging"
)

// corpusImage is one generated test image.
type corpusImage struct {
	kind string // photo, document, table, white, small, large
	img  *image.NRGBA
}

// kinds are the corpus image kinds, in table column order.
var kinds = []string{"photo", "document", "table", "white", "small", "large"}

func robustnessCorpus(full bool) []corpusImage {
	var c []corpusImage
	nPhoto, nDoc, nTable, nWhite, nSmall, nLarge := 3, 1, 1, 1, 1, 1
	if full {
		nPhoto, nDoc, nTable, nWhite, nSmall, nLarge = 16, 6, 4, 3, 6, 2
	}
	// CI uses smaller photos; the full set uses ≥1000 px short sides so the
	// downscale target (defined for ≥1000 px originals) applies.
	pw, ph, lw, lh := 800, 640, 1400, 1100
	if full {
		pw, ph, lw, lh = 1280, 1024, 4000, 3000
	}
	for i := 0; i < nPhoto; i++ {
		w, h := pw+64*(i%4), ph+64*(i%3)
		c = append(c, corpusImage{"photo", genPhoto(w, h, uint64(100+i))})
	}
	for i := 0; i < nDoc; i++ {
		c = append(c, corpusImage{"document", genDocument(800, 1000, uint64(200+i))})
	}
	for i := 0; i < nTable; i++ {
		w, h := 1000+160*(i%2), 700+100*(i/2)
		c = append(c, corpusImage{"table", genTableScreenshot(w, h, uint64(600+i))})
	}
	for i := 0; i < nWhite; i++ {
		c = append(c, corpusImage{"white", genWhitePage(800, 1000, uint64(300+i))})
	}
	for i := 0; i < nSmall; i++ {
		c = append(c, corpusImage{"small", genPhoto(600, 512, uint64(400+i))})
	}
	for i := 0; i < nLarge; i++ {
		c = append(c, corpusImage{"large", genPhoto(lw, lh, uint64(500+i))})
	}
	// SLUICE_WM_KINDS=document,white limits the set while iterating.
	if ks := os.Getenv("SLUICE_WM_KINDS"); ks != "" {
		keep := c[:0]
		for _, x := range c {
			if strings.Contains(","+ks+",", ","+x.kind+",") {
				keep = append(keep, x)
			}
		}
		c = keep
	}
	return c
}

// attackResult accumulates one attack's outcome over the corpus.
type attackResult struct {
	exact, total    int
	photoOK, photoN int
	fp, unmarkedN   int
	wrongKeyFP      int
	byKind          map[string][2]int
}

// TestRobustness runs the attack table over generated images. The default
// (CI) set is small; SLUICE_WM_FULL=1 runs the full set for the README.
func TestRobustness(t *testing.T) {
	full := os.Getenv("SLUICE_WM_FULL") == "1"
	if testing.Short() && !full {
		t.Skip("robustness harness skipped in -short mode")
	}
	key := []byte("robustness-key-0123456789abcdef!")
	m := NewMarker(key)
	wrong := NewMarker([]byte("another-key-0123456789abcdef!!!!"))
	corpus := robustnessCorpus(full)
	marked := make([]*image.NRGBA, len(corpus))
	ids := make([]uint64, len(corpus))
	psnrByKind := map[string][]float64{}
	for i, c := range corpus {
		ids[i] = uint64(0xA1B2C3D4E5) + uint64(i)*7919
		marked[i] = imaging.Clone(c.img)
		signs := m.k.tileSigns(ids[i])
		embedHidden(marked[i], m.k, &signs)
		psnrByKind[c.kind] = append(psnrByKind[c.kind], psnr(c.img, marked[i]))
	}
	results := make([]attackResult, len(allAttacks))
	var mu sync.Mutex
	type job struct{ a, i int }
	jobs := make(chan job)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				at, c := allAttacks[j.a], corpus[j.i]
				got := m.DecodeImage(at.fn(marked[j.i]))
				ok := got.Found && got.MarkID == ids[j.i]
				var fp, wfp bool
				// Unmarked originals under the same attack must never decode;
				// in the CI set only every third image is checked to save time.
				checkFP := full || j.i%3 == 0
				if checkFP {
					fp = m.DecodeImage(at.fn(c.img)).Found
				}
				if (full && j.a%2 == 0) || j.a%4 == 0 {
					wfp = wrong.DecodeImage(at.fn(marked[j.i])).Found
				}
				mu.Lock()
				r := &results[j.a]
				if r.byKind == nil {
					r.byKind = map[string][2]int{}
				}
				k := r.byKind[c.kind]
				k[1]++
				r.total++
				if ok {
					r.exact++
					k[0]++
				}
				r.byKind[c.kind] = k
				if checkFP {
					r.unmarkedN++
					if fp {
						r.fp++
					}
				}
				if wfp {
					r.wrongKeyFP++
				}
				mu.Unlock()
			}
		}()
	}
	for a := range allAttacks {
		for i := range corpus {
			jobs <- job{a, i}
		}
	}
	close(jobs)
	wg.Wait()

	var sb strings.Builder
	fmt.Fprintf(&sb, "\nimages: %d (%s); %s; elapsed %v\n", len(corpus), kindCounts(corpus), runtime.Version(), time.Since(start).Round(time.Second))
	for _, k := range kinds {
		if v := psnrByKind[k]; len(v) > 0 {
			fmt.Fprintf(&sb, "PSNR %-8s min %.1f dB, mean %.1f dB\n", k, minf(v), meanf(v))
		}
	}
	fmt.Fprintf(&sb, "| attack | exact payload | %s | FP unmarked | FP wrong key |\n|---|---|%s---|---|\n", strings.Join(kinds, " | "), strings.Repeat("---|", len(kinds)))
	for a, at := range allAttacks {
		r := results[a]
		cell := func(k string) string {
			v, ok := r.byKind[k]
			if !ok {
				return "–"
			}
			return fmt.Sprintf("%d/%d", v[0], v[1])
		}
		var cells []string
		for _, k := range kinds {
			cells = append(cells, cell(k))
		}
		fmt.Fprintf(&sb, "| %s | %.0f%% (%d/%d) | %s | %d/%d | %d |\n", at.name, 100*float64(r.exact)/float64(r.total), r.exact, r.total,
			strings.Join(cells, " | "), r.fp, r.unmarkedN, r.wrongKeyFP)
	}
	t.Log(sb.String())

	// Regression thresholds: slightly under the targets, applied to
	// the images the targets are defined on.
	for _, k := range []string{"photo", "small", "large"} {
		// Photos up to 640 px carry two layers at the 40.2 dB floor, on
		// purpose (README: Strength); the others ≥ 42.
		want := 41.5
		if k == "small" {
			want = 40
		}
		for _, v := range psnrByKind[k] {
			if v < want {
				t.Errorf("PSNR on a %s photo %.1f dB, regression threshold %.1f", k, v, want)
			}
		}
	}
	for a, at := range allAttacks {
		r := results[a]
		if r.fp > 0 || r.wrongKeyFP > 0 {
			t.Errorf("%s: %d false positives on unmarked images, %d with the wrong key", at.name, r.fp, r.wrongKeyFP)
		}
		for _, th := range attackThresholds(at.name) {
			ok, n := 0, 0
			for _, k := range th.kinds {
				ok += r.byKind[k][0]
				n += r.byKind[k][1]
			}
			if n > 0 && float64(ok)/float64(n) < th.want {
				t.Errorf("%s: exact payload on %v %d/%d, regression threshold %.0f%%", at.name, th.kinds, ok, n, 100*th.want)
			}
		}
	}
}

// threshold is a CI regression threshold for some image kinds.
type threshold struct {
	want  float64
	kinds []string
}

// attackThresholds returns the CI thresholds for an attack.
func attackThresholds(name string) []threshold {
	photos := []string{"photo", "large", "small"}
	// Paper (documents, tables, white pages) must survive everything but
	// brightening or contrast that pushes the paper into saturation, which
	// erases any mark that is not visible.
	paper := threshold{0.9, []string{"document", "table", "white"}}
	switch {
	case name == "brightness +20", name == "contrast 1.2":
		return []threshold{{0.9, photos}}
	case strings.HasPrefix(name, "JPEG q30"):
		return []threshold{{0.6, photos}, paper}
	case strings.HasPrefix(name, "rotate"):
		return []threshold{{0.8, photos}, paper}
	case strings.HasPrefix(name, "downscale"), strings.HasPrefix(name, "scale"):
		return []threshold{{0.9, photos}, paper}
	}
	return []threshold{{0.95, photos}, paper}
}

func genWhitePage(w, h int, seed uint64) *image.NRGBA {
	img := genDocument(w, h, seed)
	// Keep only a title block and a few lines: mostly white.
	for y := h / 5; y < h; y++ {
		for x := 0; x < w; x++ {
			if y > h/3 || x > w/2 {
				o := img.PixOffset(x, y)
				img.Pix[o], img.Pix[o+1], img.Pix[o+2] = 255, 255, 255
			}
		}
	}
	return img
}

func kindCounts(c []corpusImage) string {
	n := map[string]int{}
	var order []string
	for _, x := range c {
		if n[x.kind] == 0 {
			order = append(order, x.kind)
		}
		n[x.kind]++
	}
	var parts []string
	for _, k := range order {
		parts = append(parts, fmt.Sprintf("%d %s", n[k], k))
	}
	return strings.Join(parts, ", ")
}

func minf(v []float64) float64 {
	m := math.Inf(1)
	for _, x := range v {
		m = math.Min(m, x)
	}
	return m
}

func meanf(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// psnr compares the colour channels of two same-size images.
func psnr(a, b *image.NRGBA) float64 {
	se, n := 0.0, 0
	for i := range a.Pix {
		if i%4 == 3 {
			continue
		}
		d := float64(a.Pix[i]) - float64(b.Pix[i])
		se += d * d
		n++
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/(se/float64(n)))
}

// TestFalsePositives decodes many unmarked images of every kind (plus the
// marked ones under a wrong key in TestRobustness): none may be found. CI
// runs 40; SLUICE_WM_FULL=1 runs 1000.
func TestFalsePositives(t *testing.T) {
	n := 40
	if os.Getenv("SLUICE_WM_FULL") == "1" {
		n = 1000
	}
	m := NewMarker([]byte("robustness-key-0123456789abcdef!"))
	rsNearMisses.Store(0)
	var found, done int
	var mu sync.Mutex
	idx := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range idx {
				var img image.Image
				switch i % 5 {
				case 0, 1:
					img = genPhoto(512+16*(i%7), 512+16*(i%5), uint64(10000+i))
				case 2:
					img = genDocument(560, 720, uint64(10000+i))
				case 3:
					img = genTableScreenshot(640+16*(i%9), 480+16*(i%7), uint64(10000+i))
				default:
					img = jpegQ(60)(genPhoto(640, 480, uint64(10000+i)))
				}
				r := m.DecodeImage(img)
				mu.Lock()
				done++
				if r.Found {
					found++
					t.Errorf("unmarked image %d: false positive %+v", i, r)
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n; i++ {
		idx <- i
	}
	close(idx)
	wg.Wait()
	t.Logf("false positives: %d of %d unmarked images; %d code words passed Reed-Solomon and failed only the 16-bit keyed check (expected false traces ≈ %.1e per image)",
		found, done, rsNearMisses.Load(), float64(rsNearMisses.Load())/65536/float64(max(done, 1)))
}
