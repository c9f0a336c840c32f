package watermark

import (
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/disintegration/imaging"
)

// The false-positive bound on real pictures: the issue asks for 0 false
// traces in ≥ 2,000 unmarked real images and ≥ 1,000 wrong-key decodes.
// This only decodes (no marking of the unmarked set), so it may use every
// picture on the machine, held-out ones included: nothing is tuned on it.

// fpSources are every wallpaper and sample picture Debian installed here.
var fpSources = []string{
	"/usr/share/backgrounds/*.jpg", "/usr/share/backgrounds/*.png",
	"/usr/share/backgrounds/mate/*/*.jpg", "/usr/share/backgrounds/mate/*/*.png",
	"/usr/share/backgrounds/gnome/*.webp", "/usr/share/backgrounds/gnome/*.jpg", "/usr/share/backgrounds/gnome/*.png",
	"/usr/share/wallpapers/*/contents/images/*",
	"/usr/lib/python3/dist-packages/skimage/data/*.png", "/usr/lib/python3/dist-packages/skimage/data/*.jpg",
}

// fpFiles lists the distinct raster picture files of fpSources (one per
// Plasma wallpaper directory, its largest: the others are the same
// picture resized, or SVG).
func fpFiles() []string {
	seen := map[string]bool{}
	var out []string
	for _, g := range fpSources {
		m, _ := filepath.Glob(g)
		sort.Strings(m)
		best := map[string]string{} // Plasma directory → its largest picture
		var dirs []string
		for _, f := range m {
			switch strings.ToLower(filepath.Ext(f)) {
			case ".jpg", ".jpeg", ".png", ".webp":
			default:
				continue
			}
			if !strings.HasPrefix(f, "/usr/share/wallpapers/") {
				out = appendNew(out, seen, f)
				continue
			}
			d := filepath.Dir(f)
			if b, ok := best[d]; !ok {
				dirs = append(dirs, d)
				best[d] = f
			} else if pixelsInName(f) > pixelsInName(b) {
				best[d] = f
			}
		}
		for _, d := range dirs {
			out = appendNew(out, seen, best[d])
		}
	}
	return out
}

// appendNew appends f unless the file it resolves to is already listed.
func appendNew(out []string, seen map[string]bool, f string) []string {
	r, err := filepath.EvalSymlinks(f)
	if err != nil || seen[r] {
		return out
	}
	seen[r] = true
	return append(out, f)
}

// pixelsInName is W×H of a Plasma picture named WxH.ext (0 otherwise).
func pixelsInName(f string) int {
	var w, h int
	if _, err := fmt.Sscanf(filepath.Base(f), "%dx%d", &w, &h); err != nil {
		return 0
	}
	return w * h
}

// fpVariants are what an unmarked picture goes through before someone
// traces it: as it is, a chat recompression, a mirrored crop, a turn.
var fpVariants = []struct {
	name string
	f    func(image.Image) image.Image
}{
	{"as is", func(i image.Image) image.Image { return i }},
	{"70 % + JPEG 60", chain(scaleBy(0.7), jpegQ(60))},
	{"mirror + crop 60 %", chain(func(i image.Image) image.Image { return imaging.FlipH(i) }, cropFrac(0.1, 0.15, 0.9, 0.85))},
	{"rotate 90° + JPEG 85", chain(func(i image.Image) image.Image { return imaging.Rotate90(i) }, jpegQ(85))},
}

// TestRealFalsePositives decodes every unmarked real picture on the
// machine at six sizes under four variants with the marking key, and
// marked copies with another key: nothing may trace. SLUICE_WM_FP=1 (or
// SLUICE_WM_FULL=1) runs it; it takes about half an hour on 2 cores.
func TestRealFalsePositives(t *testing.T) {
	if os.Getenv("SLUICE_WM_FP") != "1" && os.Getenv("SLUICE_WM_FULL") != "1" {
		t.Skip("real-picture false-positive run: SLUICE_WM_FP=1")
	}
	files := fpFiles()
	if len(files) < 100 {
		t.Skipf("only %d pictures installed; the run wants the wallpaper packages of scripts/test.sh and gnome-backgrounds, plasma-workspace-wallpapers, mate-backgrounds, ukui-wallpapers", len(files))
	}
	start := time.Now()
	key := NewMarker([]byte("real-fp-key-0123456789abcdef!!!!"))
	other := NewMarker([]byte("another-key-0123456789abcdef!!!!"))
	rsNearMisses.Store(0)
	var unmarked, wrong, fp, wrongFP, own, ownN, asIs, asIsN atomic.Int64
	sizes := append([]int{0}, realSizes...) // 0: own size, capped at origCap
	parallel(len(files)*len(sizes), func(i int) {
		f, n := files[i/len(sizes)], sizes[i%len(sizes)]
		src, err := loadPicture(f)
		if errors.Is(err, ErrCorrupt) {
			return // scikit-image ships a deliberately truncated JPEG
		}
		if err != nil {
			t.Errorf("%s: %v", f, err)
			return
		}
		long := max(src.Rect.Dx(), src.Rect.Dy())
		switch {
		case n == 0 && long > origCap:
			src = fitLong(src, origCap)
		case n != 0 && n >= long:
			return
		case n != 0:
			src = fitLong(src, n)
		}
		img := jpegQ(90)(src)
		for _, v := range fpVariants {
			unmarked.Add(1)
			if r := key.DecodeImage(v.f(img)); r.Found {
				fp.Add(1)
				t.Errorf("unmarked %s at %d px, %s: traced %+v", filepath.Base(f), n, v.name, r)
			}
		}
		// Wrong key: a marked copy at 640, 800 and 1080 px, decoded with
		// another key under every variant (the right key is counted too,
		// so the wrong-key decodes are known to be of readable marks).
		if n != 640 && n != 800 && n != 1080 {
			return
		}
		marked := imaging.Clone(src)
		id := uint64(0x7E57000000 + i)
		if err := key.StampImage(marked, Mark{ID: id, Name: "张三", StaffID: "A1024", Time: start}); err != nil {
			t.Error(err)
			return
		}
		mi := jpegQ(90)(marked)
		for _, v := range fpVariants {
			a := v.f(mi)
			wrong.Add(1)
			if r := other.DecodeImage(a); r.Found {
				wrongFP.Add(1)
				t.Errorf("marked %s at %d px, %s: another key traced %+v", filepath.Base(f), n, v.name, r)
			}
			ownN.Add(1)
			r := key.DecodeImage(a)
			if r.Found && r.MarkID == id {
				own.Add(1)
			}
			if v.name == "as is" {
				asIsN.Add(1)
				if r.Found && r.MarkID == id {
					asIs.Add(1)
				}
			}
		}
	})
	t.Logf("%d pictures; unmarked decodes: %d, false traces %d; wrong-key decodes: %d, false traces %d (the right key read %d of those %d); %d code words passed Reed-Solomon and failed only the 16-bit keyed check (expected false traces ≈ %.1e); %s",
		len(files), unmarked.Load(), fp.Load(), wrong.Load(), wrongFP.Load(), own.Load(), ownN.Load(),
		rsNearMisses.Load(), float64(rsNearMisses.Load())/65536, time.Since(start).Round(time.Second))
	// The wrong-key decodes are of marks the right key reads.
	if asIs.Load() < asIsN.Load()*9/10 {
		t.Errorf("the right key read only %d of %d marked copies as they are", asIs.Load(), asIsN.Load())
	}
	if unmarked.Load() < 2000 || wrong.Load() < 1000 {
		t.Errorf("too few decodes for the bound: %d unmarked (want ≥ 2000), %d wrong-key (want ≥ 1000)", unmarked.Load(), wrong.Load())
	}
}
