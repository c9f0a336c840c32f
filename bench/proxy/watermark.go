package main

import (
	"bytes"
	"fmt"
	mrand "math/rand/v2"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/internal/fixture"
)

// watermarkTimes times in-flight watermarking through Sluice (the other modes have none): a file the
// default policy marks (a PDF or image to webmail) against a same-size file that passes unmarked.
func watermarkTimes(m *mode, reps int) {
	tr := m.transport()
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	jpg := fixture.JPEG(fixture.Photo(4000, 3000, 9), 92)
	var pages [][]string
	for i := range 20 {
		pages = append(pages, []string{fmt.Sprintf("Page %d", i+1), "Quarterly plan, internal", strings.Repeat("lorem ipsum ", 8)})
	}
	pdf := fixture.PDF(pages...)
	fmt.Printf("In-flight watermarking through Sluice, median of %d (multipart POST to mail.163.com; pass-through = same size, not a PDF/image)\n", reps)
	for _, tc := range []struct {
		name string
		data []byte
	}{{fmt.Sprintf("%.1f MB JPEG (12 MP)", float64(len(jpg))/(1<<20)), jpg}, {"20-page PDF", pdf}} {
		plain := make([]byte, len(tc.data))
		mrand.NewChaCha8([32]byte{3}).Read(plain)
		var marked, pass []time.Duration
		for range reps {
			marked = append(marked, post(c, tc.data))
			pass = append(pass, post(c, plain))
		}
		slices.Sort(marked)
		slices.Sort(pass)
		mk, p := marked[len(marked)/2], pass[len(pass)/2]
		fmt.Printf("  %-22s marked %s, pass-through %s, added %s (ratio %.1f×)\n", tc.name, mk.Round(time.Millisecond), p.Round(time.Millisecond), (mk - p).Round(time.Millisecond), mk.Seconds()/p.Seconds())
	}
}

// post uploads data as a multipart file and returns the round-trip time.
func post(c *http.Client, data []byte) time.Duration {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "f")
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", "https://mail.163.com/upload", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return timed(c, req)
}
