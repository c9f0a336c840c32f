package daemon

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/disintegration/imaging"
)

// smallPhotos are photographs Debian's lomiri-wallpapers-16.04 ships
// (scripts/test.sh installs it): a dark busy macro, a bridge at dusk, a
// mountain ridge and a glass of wine.
var smallPhotos = []string{
	"/usr/share/backgrounds/Dragonfly_by_Bolly.jpg",
	"/usr/share/backgrounds/Bridge_by_Sander_Klootwijk.jpg",
	"/usr/share/backgrounds/life_by_Aitzol_Berasategi.jpg",
	"/usr/share/backgrounds/Wine_by_Jakkub_Mede.jpg",
}

// TestSmallRealPhotosArriveTraceable sends real photos at the sizes chat
// thumbnails and pictures pasted into mails have (480 and 741 px on the
// long side) through the proxy to webmail, as the browser would, and
// traces what arrived: each names its sender in the archive, at its own
// pixel size, and none is recorded as a weak mark.
func TestSmallRealPhotosArriveTraceable(t *testing.T) {
	for _, p := range smallPhotos {
		if _, err := os.Stat(p); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is missing: apt-get install lomiri-wallpapers-16.04", p)
			}
			t.Skip("real photos: apt-get install lomiri-wallpapers-16.04")
		}
	}
	up := newUpstream(t, 64<<20)
	env := startEnv(t, up, watched, nil)
	for _, p := range smallPhotos {
		src, err := imaging.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, long := range []int{480, 741} {
			name := fmt.Sprintf("%s-%d.jpg", filepath.Base(p[:len(p)-4]), long)
			t.Run(name, func(t *testing.T) {
				img := imaging.Fit(src, long, long, imaging.Lanczos)
				var buf bytes.Buffer
				if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
					t.Fatal(err)
				}
				before := len(up.requests())
				req, _ := http.NewRequest("PUT", "https://mail.163.com/upload/"+name, bytes.NewReader(buf.Bytes()))
				req.Header.Set("Content-Type", "image/jpeg")
				resp, err := env.client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 200 || len(up.requests()) != before+1 {
					t.Fatalf("status %d, %d requests arrived", resp.StatusCode, len(up.requests())-before)
				}
				got := up.requests()[before].Body
				if bytes.Equal(got, buf.Bytes()) {
					t.Fatal("the photo left unmarked")
				}
				o := env.traced(t, got)
				if o.Path != "/upload/"+name || o.User != "zhangsan" || o.Weak {
					t.Fatalf("traced to %+v", o)
				}
				out, _, err := image.Decode(bytes.NewReader(got))
				if err != nil || out.Bounds().Size() != img.Bounds().Size() {
					t.Fatalf("marked photo: %v, size %v, want %v", err, out.Bounds().Size(), img.Bounds().Size())
				}
			})
		}
	}
}
