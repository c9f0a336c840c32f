package main

import (
	"bytes"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"mime/multipart"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// A sample is what one workload measured in one mode in one round.
type sample struct {
	value      float64         // the workload's figure, in its unit
	reqs       int             // requests in the timed part
	bytes      int64           // request body bytes in the timed part
	elapsed    time.Duration   // the timed part
	cpu        time.Duration   // proxy CPU (user+system) over the timed part
	rss        int64           // proxy peak RSS over the timed part
	rssStart   int64           // proxy RSS when it began (Go returns freed memory to the OS only slowly)
	rssSampled int64           // the highest VmRSS sampled
	foreign    float64         // cores the rest of the machine kept busy meanwhile (not the client, not this proxy)
	held       time.Duration   // a PUT: from sending it to the site receiving its headers
	each       []time.Duration // page loads: every request's own time
}

// A workload is one row of the table.
type workload struct {
	name, unit string
	lower      bool // smaller is better (a time); ratios are then inverted into speed ratios
	perGB      bool // CPU is shown per GB uploaded rather than per request
	rssRow     bool // also print a peak-RSS row for this workload
	heldRow    bool // also print how long the site waited for the request
	latency    bool // also report each request's time and what Sluice added to it (page loads)
	run        func(m *mode) sample
	// the targets: Sluice at least floor× the floor's speed and mitm× mitmproxy's; peak RSS under rssMB
	floor, mitm float64
	rssMB       int64
}

func workloads(cfg config) []workload {
	up := int64(cfg.uploadMB) << 20
	bulk := int64(cfg.bulkMB) << 20
	return []workload{
		{name: "GET keep-alive, 1 KB, c=1", unit: "req/s", floor: 0.85, mitm: 10, run: func(m *mode) sample { return gets(m, 1, cfg.getTime, false) }},
		{name: fmt.Sprintf("GET keep-alive, 1 KB, c=%d", cfg.conc), unit: "req/s", floor: 0.9, mitm: 10, run: func(m *mode) sample { return gets(m, cfg.conc, cfg.getTime, false) }},
		{name: fmt.Sprintf("new conn per GET, c=%d", cfg.conc), unit: "req/s", floor: 0.9, run: func(m *mode) sample { return gets(m, cfg.conc, cfg.getTime, true) }},
		{name: "page load, 0 ms sites", unit: "ms", lower: true, latency: true, run: func(m *mode) sample { return pages(m, cfg.pages, 0) }},
		{name: "page load, 20 ms sites", unit: "ms", lower: true, latency: true, run: func(m *mode) sample { return pages(m, cfg.pages, 20*time.Millisecond) }},
		{name: fmt.Sprintf("%d×%d MB uploads at once", cfg.bulkN, cfg.bulkMB), unit: "MB/s", perGB: true, rssRow: true, rssMB: 64,
			run: func(m *mode) sample { return bulkUploads(m, cfg.bulkN, bulk) }},
		{name: fmt.Sprintf("%d MB upload (PUT)", cfg.uploadMB), unit: "MB/s", perGB: true, heldRow: true, floor: 0.8, run: func(m *mode) sample { return bigUpload(m, up) }},
	}
}

// gets runs conc clients sending GETs for d; with fresh, each request has its own connection
// (Connection: close: a new CONNECT and TLS handshake every time).
func gets(m *mode, conc int, d time.Duration, fresh bool) sample {
	tr := m.transport()
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	parallel(conc, func(int) { // warm the pool (and, for fresh, the path)
		for range 3 {
			get(c, fresh)
		}
	})
	p := m.begin()
	var n atomic.Int64
	stop := time.Now().Add(d)
	parallel(conc, func(int) {
		for time.Now().Before(stop) {
			get(c, fresh)
			n.Add(1)
		}
	})
	s := p.end()
	s.reqs = int(n.Load())
	s.value = float64(s.reqs) / s.elapsed.Seconds()
	return s
}

func get(c *http.Client, fresh bool) {
	req, _ := http.NewRequest("GET", "https://mail.qq.com/cgi-bin/frame_html", nil)
	req.Close = fresh
	timed(c, req)
}

// pages loads the page n times after one warm-up load; the figure is the median page time.
func pages(m *mode, n int, rtt time.Duration) sample {
	tr := m.transport()
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	pageLoad(c, rtt)
	p := m.begin()
	var times, all []time.Duration
	for range n {
		t, each := pageLoad(c, rtt)
		times = append(times, t)
		all = append(all, each...)
	}
	s := p.end()
	slices.Sort(times)
	s.reqs, s.value, s.each = len(all), float64(times[len(times)/2].Microseconds())/1000, all
	return s
}

// bigUpload PUTs size random bytes to a webmail host (allowed by the default policy: not a document).
func bigUpload(m *mode, size int64) sample {
	tr := m.transport()
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	get(c, false)
	rng := mrand.NewChaCha8([32]byte{1})
	body := io.LimitReader(readerFunc(func(p []byte) (int, error) { rng.Read(p); return len(p), nil }), size)
	req, _ := http.NewRequest("PUT", "https://mail.163.com/upload/big.bin", body)
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/octet-stream")
	p := m.begin()
	sent := time.Now()
	timed(c, req)
	s := p.end()
	s.held = time.Unix(0, putSeen.Load()).Sub(sent)
	s.reqs, s.bytes = 1, size
	s.value = float64(size) / (1 << 20) / s.elapsed.Seconds()
	return s
}

type readerFunc func(p []byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

var (
	bulkOnce   sync.Once
	bulkBodies [][]byte
	bulkType   string
)

// bulkUploads posts n multipart files of size random bytes each, all at once, to a webmail host, each on
// its own connection; the figure is the aggregate rate.
func bulkUploads(m *mode, n int, size int64) sample {
	bulkOnce.Do(func() {
		for i := range n {
			data := make([]byte, size)
			mrand.NewChaCha8([32]byte{2, byte(i), byte(i >> 8)}).Read(data)
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			mw.SetBoundary("sluice-bench-boundary")
			fw, _ := mw.CreateFormFile("file", fmt.Sprintf("data-%d.bin", i))
			fw.Write(data)
			mw.Close()
			bulkBodies, bulkType = append(bulkBodies, buf.Bytes()), mw.FormDataContentType()
		}
	})
	tr := m.transport()
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	parallel(n, func(int) { get(c, false) }) // n connections up, as a mail page with n attachments would
	p := m.begin()
	var total atomic.Int64
	parallel(n, func(i int) {
		req, _ := http.NewRequest("POST", "https://mail.163.com/upload", bytes.NewReader(bulkBodies[i]))
		req.Header.Set("Content-Type", bulkType)
		timed(c, req)
		total.Add(int64(len(bulkBodies[i])))
	})
	s := p.end()
	s.reqs, s.bytes = n, total.Load()
	s.value = float64(s.bytes) / (1 << 20) / s.elapsed.Seconds()
	return s
}

// parallel runs f(0..n-1) in n goroutines and waits for them.
func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(i)
		}()
	}
	wg.Wait()
}

// timed sends req, drains the answer, requires 200 and returns how long it all took.
func timed(c *http.Client, req *http.Request) time.Duration {
	t := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		fatalf("%s %s: status %d, not 200", req.Method, req.URL, resp.StatusCode)
	}
	return time.Since(t)
}
