package watermark

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSmallPhotosAsMarked stamps every photo of the CI package at the
// small sizes chat thumbnails and pasted pictures have (480 and 640 px on
// the long side, all ≥ 256 px on the short one) with StampFile, as the
// proxy does, and traces the file blind: each must name its mark, and
// StampFile must not call a mark that traces weak. The 300-px copies
// (under 256 px on the short side) are reported, not required.
func TestSmallPhotosAsMarked(t *testing.T) {
	files := ciPhotos(t)
	m := NewMarker([]byte("small-photo-key-0123456789abcdef"))
	sizes := []int{300, 480, 640}
	var mu sync.Mutex
	ok := map[int]int{}
	var failed []string
	parallel(len(files)*len(sizes), func(i int) {
		f, n := files[i/len(sizes)], sizes[i%len(sizes)]
		src, err := loadPicture(f)
		if err != nil {
			t.Error(err)
			return
		}
		img := fitLong(src, n)
		id := uint64(0x51A11000000 + i)
		r, err := m.StampFile(encodeTestJPEG(t, img, 90), Mark{ID: id, Name: "张三", StaffID: "A1024", Time: time.Date(2026, 12, 1, 9, 30, 0, 0, time.Local)})
		if err != nil {
			t.Errorf("%s at %d px: %v", f, n, err)
			return
		}
		got, err := m.Decode(r.Out)
		traced := err == nil && got.Found && got.MarkID == id
		big := img.Rect.Dx() >= 256 && img.Rect.Dy() >= 256
		mu.Lock()
		defer mu.Unlock()
		if traced {
			ok[n]++
		} else {
			failed = append(failed, fmt.Sprintf("%s@%d (%dx%d)", strings.TrimSuffix(f[strings.LastIndex(f, "/")+1:], ".jpg"), n, img.Rect.Dx(), img.Rect.Dy()))
		}
		if big && !traced {
			t.Errorf("%s at %dx%d: marked, but trace finds %+v", f, img.Rect.Dx(), img.Rect.Dy(), got)
		}
		if traced && r.Weak {
			t.Errorf("%s at %d px: traces, but StampFile called it weak", f, n)
		}
	})
	t.Logf("%d photos traced as marked: 300 px %d, 480 px %d, 640 px %d; not traced: %v", len(files), ok[300], ok[480], ok[640], failed)
}
