package daemon

import (
	"crypto/sha256"
	"encoding/hex"
	"github.com/sluice-dlp/sluice/internal/procstat"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"testing"
	"time"
)

// rssBytes reads the current resident set size of this process.
func rssBytes() int64 { return procstat.Bytes(0, "VmRSS") }

// peakRSS samples RSS until stop is closed and returns the highest value seen.
func peakRSS(stop <-chan struct{}) <-chan int64 {
	out := make(chan int64, 1)
	go func() {
		var peak int64
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if r := rssBytes(); r > peak {
				peak = r
			}
			select {
			case <-stop:
				out <- peak
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// randomReader yields n pseudo-random bytes without holding them.
type randomReader struct {
	left int64
	rng  *rand.ChaCha8
}

func (r *randomReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	r.rng.Read(p)
	r.left -= int64(len(p))
	return len(p), nil
}

// TestLargeUploadStreamsWithBoundedMemory sends 300 MB through the proxy to a watched webmail host
// (allowed: not sensitive, not a PDF/image) and checks it arrives intact while RSS stays bounded.
func TestLargeUploadStreamsWithBoundedMemory(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("RSS is read from /proc")
	}
	const size = 300 << 20
	up := newUpstream(t, 0)
	env := startEnv(t, up, watched, nil)
	runtime.GC()
	debug.FreeOSMemory()
	base := rssBytes()
	stop := make(chan struct{})
	peak := peakRSS(stop)

	h := sha256.New()
	var sent atomic.Int64
	body := io.TeeReader(&randomReader{left: size, rng: rand.NewChaCha8([32]byte{7})}, writerFunc(func(p []byte) (int, error) {
		sent.Add(int64(len(p)))
		return h.Write(p)
	}))
	req, _ := http.NewRequest("PUT", "https://mail.163.com/upload/big.bin", body)
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := env.client.Do(req)
	close(stop)
	max := <-peak
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	got := up.requests()
	if len(got) != 1 || got[0].Size != size || got[0].SHA256 != hex.EncodeToString(h.Sum(nil)) {
		t.Fatalf("upstream got %+v", got)
	}
	grew := max - base
	t.Logf("300 MB upload: baseline RSS %d MB, peak %d MB, growth %d MB (client, proxy and upstream in one process)", base>>20, max>>20, grew>>20)
	if grew > 150<<20 {
		t.Fatalf("RSS grew by %d MB while streaming 300 MB: the body is being buffered in memory", grew>>20)
	}
}
