package main

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// pageHosts are the six sites one page's resources come from (none in the catalog: category "other",
// intercepted like all browsing now is).
var pageHosts = []string{"www.example-news.com", "static.example-cdn.com", "img.example-cdn.com", "api.example-news.com",
	"fonts.example-fonts.com", "t.example-metrics.com"}

// pageLoad loads one page as a browser does over warm keep-alive connections: the document, then 60
// resources from six hosts, at most six at a time per host. It returns the page time and each request's time.
func pageLoad(c *http.Client, rtt time.Duration) (time.Duration, []time.Duration) {
	start := time.Now()
	var mu sync.Mutex
	var each []time.Duration
	fetch := func(host string, size int) {
		req, _ := http.NewRequest("GET", fmt.Sprintf("https://%s/r?size=%d&delay=%s", host, size, rtt), nil)
		t := time.Now()
		resp, err := c.Do(req)
		check(err)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		d := time.Since(t)
		mu.Lock()
		each = append(each, d)
		mu.Unlock()
	}
	fetch(pageHosts[0], 60<<10)
	var wg sync.WaitGroup
	for h, host := range pageHosts {
		slots := make(chan struct{}, 6) // a browser opens at most six connections per host
		for i := range 10 {
			wg.Add(1)
			slots <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-slots }()
				fetch(host, 2<<10+(h*10+i)*700) // 2 KB … 44 KB: scripts, styles, images, API calls
			}()
		}
	}
	wg.Wait()
	return time.Since(start), each
}

// pageLoads runs n page loads after one warm-up and returns the page times and all request times, sorted.
// rtt is how long the sites take to answer each request (0: loopback, the proxy's CPU cost alone).
func pageLoads(tr *http.Transport, n int, rtt time.Duration) (pages, reqs []time.Duration) {
	c := &http.Client{Transport: tr}
	pageLoad(c, rtt)
	for range n {
		p, each := pageLoad(c, rtt)
		pages = append(pages, p)
		reqs = append(reqs, each...)
	}
	slices.Sort(pages)
	slices.Sort(reqs)
	return pages, reqs
}
