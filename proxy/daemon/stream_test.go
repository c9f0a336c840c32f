package daemon

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/internal/procstat"
	"github.com/sluice-dlp/sluice/proxy/policy"
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

// TestGiBSlicedUploadHeldOnDisk sends 1 GiB as Google resumable chunks of 8 MiB: every chunk is held (on
// disk) until the last, the whole file is judged, then the chunks are replayed to the site. The site gets
// the file intact; RSS stays bounded (client, proxy and site share this process).
func TestGiBSlicedUploadHeldOnDisk(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("RSS is read from /proc")
	}
	const size, chunk = 1 << 30, 8 << 20
	var mu sync.Mutex
	got, siteSum := int64(0), sha256.New()
	site := &upstream{}
	serveUpstream(t, site, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var a, b, total int64
		fmt.Sscanf(r.Header.Get("Content-Range"), "bytes %d-%d/%d", &a, &b, &total)
		mu.Lock()
		defer mu.Unlock()
		if a != got {
			http.Error(w, "offset mismatch", 400)
			return
		}
		n, _ := io.Copy(siteSum, r.Body)
		got += n
		if got == total {
			w.WriteHeader(200)
			return
		}
		w.Header().Set("Range", fmt.Sprintf("bytes=0-%d", got-1))
		w.WriteHeader(308)
	}), "www.googleapis.com")
	env := startEnv(t, site, []string{"www.googleapis.com"}, func(c *Config) { c.MaxInspect = 2 << 30 })
	rule := env.d.Policy.Rules[policy.Netdisk]
	rule.OtherFile = policy.Allow
	env.d.Policy.Rules[policy.Netdisk] = rule
	runtime.GC()
	debug.FreeOSMemory()
	base := rssBytes()
	stop := make(chan struct{})
	peak := peakRSS(stop)

	sum := sha256.New()
	src := &randomReader{left: size, rng: rand.NewChaCha8([32]byte{9})}
	buf := make([]byte, chunk)
	session := "https://www.googleapis.com/upload/drive/v3/files?uploadType=resumable&upload_id=ADPycdsBigFile"
	start := time.Now()
	var status int
	for off := int64(0); off < size; off += chunk {
		io.ReadFull(src, buf)
		sum.Write(buf)
		req, _ := http.NewRequest("PUT", session, bytes.NewReader(buf))
		req.Header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", off, off+chunk-1, int64(size)))
		resp, err := env.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		status = resp.StatusCode
		if off+chunk < size && status != 308 {
			t.Fatalf("chunk at %d answered %d %s", off, status, data)
		}
	}
	close(stop)
	max := <-peak
	if status != 200 || got != size || hex.EncodeToString(siteSum.Sum(nil)) != hex.EncodeToString(sum.Sum(nil)) {
		t.Fatalf("final status %d; the site got %d bytes", status, got)
	}
	t.Logf("1 GiB in 128 chunks held and replayed in %s: baseline RSS %d MB, peak %d MB, growth %d MB (client, proxy and site in one process)",
		time.Since(start).Round(time.Second), base>>20, max>>20, (max-base)>>20)
	if max-base > 200<<20 {
		t.Fatalf("RSS grew by %d MB for a 1 GiB sliced upload: slices are being held in memory", (max-base)>>20)
	}
}

// TestConcurrentUploadsShareTheMemoryBudget sends 50 uploads of 2 MB at once: the bodies in memory never
// pass the budget (the rest spills to disk), and every upload arrives intact.
func TestConcurrentUploadsShareTheMemoryBudget(t *testing.T) {
	up := newUpstream(t, 0)
	env := startEnv(t, up, watched, func(c *Config) { c.BodyMemory = 16 << 20 })
	runtime.GC()
	base := rssBytes()
	stop := make(chan struct{})
	peak := peakRSS(stop)
	var maxUsed atomic.Int64
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if u := env.d.Bodies.Used(); u > maxUsed.Load() {
				maxUsed.Store(u)
			}
			time.Sleep(time.Millisecond)
		}
	}()
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data := bytes.Repeat([]byte(fmt.Sprintf("%02d", i)), 1<<20)
			buf, ct := multipartUpload(t, fmt.Sprintf("plan-%02d.bin", i), data)
			req, _ := http.NewRequest("POST", "https://mail.163.com/upload", buf)
			req.Header.Set("Content-Type", ct)
			if code, ref := env.send(t, req); code != 200 {
				t.Errorf("upload %d: %d %+v", i, code, ref)
			}
		}()
	}
	wg.Wait()
	close(stop)
	max := <-peak
	if n := len(up.requests()); n != 50 {
		t.Fatalf("%d uploads arrived", n)
	}
	if maxUsed.Load() > 16<<20 || maxUsed.Load() == 0 {
		t.Errorf("bodies held %d bytes in memory at most; budget 16 MiB", maxUsed.Load())
	}
	if u := env.d.Bodies.Used(); u != 0 {
		t.Errorf("%d bytes of the budget were not given back", u)
	}
	t.Logf("50 concurrent 2 MB uploads: bodies in memory at most %d MB (budget 16 MB); RSS growth %d MB (client, proxy and site in one process)",
		maxUsed.Load()>>20, (max-base)>>20)
}
