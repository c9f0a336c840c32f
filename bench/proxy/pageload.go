package main

import (
	"fmt"
	"net/http"
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
		d := timed(c, req)
		mu.Lock()
		each = append(each, d)
		mu.Unlock()
	}
	fetch(pageHosts[0], 60<<10)
	parallel(len(pageHosts), func(h int) { // every host at once, as a browser does
		slots := make(chan struct{}, 6) // a browser opens at most six connections per host
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Add(1)
			slots <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-slots }()
				fetch(pageHosts[h], 2<<10+(h*10+i)*700) // 2 KB … 44 KB: scripts, styles, images, API calls
			}()
		}
		wg.Wait()
	})
	return time.Since(start), each
}
