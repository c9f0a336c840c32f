package watermark

import (
	"fmt"
	"image"
	"sync"
	"testing"
	"time"

	"github.com/disintegration/imaging"
)

func TestEnlarge2(t *testing.T) {
	p := enlarge2(plane{w: 3, h: 2, v: []float32{1, 2, 3, 4, 5, 6}})
	if p.w != 6 || p.h != 4 {
		t.Fatalf("enlarged plane is %d×%d, want 6×4", p.w, p.h)
	}
	for y := 0; y < 4; y++ {
		for x := 0; x < 6; x++ {
			if want := float32((y/2)*3 + x/2 + 1); p.v[y*6+x] != want {
				t.Fatalf("sample (%d,%d) = %v, want %v", x, y, p.v[y*6+x], want)
			}
		}
	}
	// Level -1 reads the centre of level 0 at half the window, enlarged.
	img := image.NewGray(image.Rect(0, 0, 10, 10))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	l := lumaLevel(img, -1, 8)
	if l.w != 8 || l.h != 8 {
		t.Fatalf("level -1 window is %d×%d, want 8×8", l.w, l.h)
	}
	if l.v[0] != 33 || l.v[1] != 33 || l.v[2] != 34 || l.v[8] != 33 || l.v[16] != 43 {
		t.Fatalf("level -1 starts %v %v %v / %v / %v, want 33 33 34 / 33 / 43", l.v[0], l.v[1], l.v[2], l.v[8], l.v[16])
	}
}

// TestFineLayer marks real photos at 480 and 640 px with StampFile and
// reads each layer on its own level: the coarse one at level 0 and the
// fine one at level -1 must each name the mark. A centre crop to a quarter
// of the area (JPEG 85) must then trace in at least half the cases, more
// than the coarse layer alone reads.
func TestFineLayer(t *testing.T) {
	files := ciPhotos(t)
	files = files[:min(len(files), 6)]
	m := NewMarker([]byte("fine-layer-key-0123456789abcdef!"))
	sizes := []int{480, 640}
	var mu sync.Mutex
	fine, coarse, n := 0, 0, 0
	parallel(len(files)*len(sizes), func(i int) {
		src, err := loadPicture(files[i/len(sizes)])
		if err != nil {
			t.Error(err)
			return
		}
		img := fitLong(src, sizes[i%len(sizes)])
		name := fmt.Sprintf("%s at %dx%d", files[i/len(sizes)], img.Rect.Dx(), img.Rect.Dy())
		if !fineLayer(img.Rect.Dx(), img.Rect.Dy()) {
			t.Errorf("%s: no fine layer", name)
			return
		}
		id := uint64(0xF1E0000000 + i)
		r, err := m.StampFile(encodeTestJPEG(t, img, 90), Mark{ID: id, Name: "张三", StaffID: "A1024", Time: time.Now()})
		if err != nil {
			t.Error(err)
			return
		}
		out, err := decodeImage(r.Out)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range []int{0, -1} {
			if c, ok := m.k.searchPicture(out, search{levels: []int{l}}); !ok || c.id != id {
				t.Errorf("%s: the layer at level %d does not read as marked", name, l)
			}
		}
		b := out.Bounds()
		crop := jpegQ(85)(imaging.CropCenter(out, b.Dx()/2, b.Dy()/2))
		cf, okF := m.k.decodePicture(crop)
		cc, okC := m.k.searchPicture(crop, search{levels: []int{0}, lattice: latticeFrames, perturb: true, views: true})
		mu.Lock()
		defer mu.Unlock()
		n++
		if okF && cf.id == id {
			fine++
		}
		if okC && cc.id == id {
			coarse++
		}
	})
	t.Logf("quarter crops traced: %d of %d (coarse layer alone: %d)", fine, n, coarse)
	if 2*fine < n || fine <= coarse {
		t.Errorf("quarter crops traced: %d of %d, coarse layer alone %d; want ≥ half and more than the coarse layer", fine, n, coarse)
	}
}
