// Command proxy benchmarks Sluice against a direct connection in one run: small HTTPS GETs through
// the intercepting proxy vs direct, and a 100 MB upload proxied vs direct, with the proxy's peak RSS.
//
//	go run ./bench/proxy [-gets 3000] [-upload-mb 100]
package main

import (
	"bytes"
	"mime/multipart"

	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"github.com/sluice-dlp/sluice/internal/fixture"
	"github.com/sluice-dlp/sluice/internal/procstat"
	"io"
	"log"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	gets := flag.Int("gets", 3000, "small GET requests per mode")
	conc := flag.Int("concurrency", 8, "parallel clients for the throughput run")
	uploadMB := flag.Int("upload-mb", 100, "size of the upload in MB")
	nPages := flag.Int("pages", 30, "page loads per mode")
	flag.Parse()
	tmp, err := os.MkdirTemp("", "sluice-bench-")
	check(err)
	defer os.RemoveAll(tmp)

	// loopback upstream standing in for mail.qq.com / mail.163.com
	cert := selfSigned(append([]string{"mail.qq.com", "mail.163.com"}, pageHosts...)...)
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/plain")
		if d, err := time.ParseDuration(r.URL.Query().Get("delay")); err == nil {
			time.Sleep(d) // the site's distance: network round trip plus its own time
		}
		if size, err := strconv.Atoi(r.URL.Query().Get("size")); err == nil {
			w.Write(bytes.Repeat([]byte("x"), size))
			return
		}
		fmt.Fprintf(w, "ok %d %s", n, strings.Repeat("x", 1024))
	}))
	up.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	up.StartTLS()
	defer up.Close()
	caFile := filepath.Join(tmp, "up.pem")
	check(os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o644))

	bin := filepath.Join(tmp, "sluice")
	build := exec.Command("go", "build", "-o", bin, "./cmd/sluice")
	build.Stderr = os.Stderr
	check(build.Run())
	data := filepath.Join(tmp, "data")
	proxyAddr, consoleAddr := freeAddr(), freeAddr()
	args := []string{"--data", data, "run", "--listen", proxyAddr, "--console", consoleAddr, "--upstream-ca", caFile}
	for _, h := range append([]string{"mail.qq.com", "mail.163.com"}, pageHosts...) {
		args = append(args, "--resolve", h+":443="+up.Listener.Addr().String())
	}
	cmd := exec.Command(bin, args...)
	logf, _ := os.Create(filepath.Join(tmp, "sluice.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	check(cmd.Start())
	defer cmd.Process.Kill()
	waitUp("http://" + consoleAddr + "/api/health")
	caPEM, err := os.ReadFile(filepath.Join(data, "ca.pem"))
	check(err)

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	roots.AddCert(cert.Leaf)
	direct := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64,
		DialContext: func(ctx context.Context, n, a string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, n, up.Listener.Addr().String())
		}}
	pu, _ := url.Parse("http://" + proxyAddr)
	proxied := &http.Transport{Proxy: http.ProxyURL(pu), TLSClientConfig: &tls.Config{RootCAs: roots}, MaxIdleConnsPerHost: 64}

	fmt.Printf("Sluice proxy benchmark — %s, %d cores\n\n", time.Now().Format("2006-01-02"), numCPU())
	// warm up (certificate issue, connection pools)
	latencies(direct, 50)
	latencies(proxied, 50)
	dl := latencies(direct, *gets)
	pl := latencies(proxied, *gets)
	dt := throughput(direct, *gets, *conc)
	pt := throughput(proxied, *gets, *conc)
	fmt.Printf("small HTTPS GET (1 KB body), %d requests each\n", *gets)
	fmt.Printf("  throughput (%d clients): direct %.0f req/s, proxied (MITM) %.0f req/s, ratio %.2f\n", *conc, dt, pt, pt/dt)
	fmt.Printf("  latency p50: direct %s, proxied %s, added %s\n", pct(dl, 50), pct(pl, 50), pct(pl, 50)-pct(dl, 50))
	fmt.Printf("  latency p99: direct %s, proxied %s, added %s\n\n", pct(dl, 99), pct(pl, 99), pct(pl, 99)-pct(dl, 99))

	for _, rtt := range []time.Duration{0, 20 * time.Millisecond} {
		dp, dr := pageLoads(direct, *nPages, rtt)
		pp, pr := pageLoads(proxied, *nPages, rtt)
		fmt.Printf("page load: 1 document + 60 resources from 6 sites, warm keep-alive, sites answer after %s, %d loads each\n", rtt, *nPages)
		fmt.Printf("  page time p50: direct %s, proxied %s, page-load ratio (direct/proxied) %.2f\n", pct(dp, 50), pct(pp, 50), pct(dp, 50).Seconds()/pct(pp, 50).Seconds())
		fmt.Printf("  per request p50: direct %s, proxied %s, added %s\n", pct(dr, 50), pct(pr, 50), pct(pr, 50)-pct(dr, 50))
		fmt.Printf("  per request p99: direct %s, proxied %s, added %s\n\n", pct(dr, 99), pct(pr, 99), pct(pr, 99)-pct(dr, 99))
	}

	size := int64(*uploadMB) << 20
	du := upload(direct, size)
	puT := upload(proxied, size)
	rss := vmHWM(cmd.Process.Pid)
	fmt.Printf("%d MB upload (raw PUT, allowed: inspected, spooled, forwarded)\n", *uploadMB)
	fmt.Printf("  direct %.0f MB/s, proxied %.0f MB/s, ratio %.2f\n", mbps(size, du), mbps(size, puT), du.Seconds()/puT.Seconds())
	fmt.Printf("  proxy peak RSS (VmHWM) after this: %d MB\n\n", rss>>20)

	// in-flight watermarking: a marked file vs a same-size file that passes through unmarked
	jpg := fixture.JPEG(fixture.Photo(4000, 3000, 9), 92)
	var pages [][]string
	for i := range 20 {
		pages = append(pages, []string{fmt.Sprintf("Page %d", i+1), "Quarterly plan, internal", strings.Repeat("lorem ipsum ", 8)})
	}
	pdf := fixture.PDF(pages...)
	fmt.Printf("in-flight watermarking (multipart POST to mail.163.com; pass-through = same size, not a PDF/image)\n")
	for _, tc := range []struct {
		name string
		data []byte
	}{{fmt.Sprintf("%.1f MB JPEG (12 MP)", float64(len(jpg))/(1<<20)), jpg}, {"20-page PDF", pdf}} {
		plain := make([]byte, len(tc.data))
		mrand.NewChaCha8([32]byte{3}).Read(plain)
		var marked, pass []time.Duration
		for range 5 {
			marked = append(marked, post(proxied, tc.data))
			pass = append(pass, post(proxied, plain))
		}
		slices.Sort(marked)
		slices.Sort(pass)
		m, p := marked[len(marked)/2], pass[len(pass)/2]
		fmt.Printf("  %-22s marked %s, pass-through %s, added %s (ratio %.1f×)\n", tc.name, m.Round(time.Millisecond), p.Round(time.Millisecond), (m - p).Round(time.Millisecond), m.Seconds()/p.Seconds())
	}
	fmt.Printf("  proxy peak RSS (VmHWM) over the whole run: %d MB\n", vmHWM(cmd.Process.Pid)>>20)
}

// post uploads data as a multipart file and returns the round-trip time.
func post(tr *http.Transport, data []byte) time.Duration {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "f")
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", "https://mail.163.com/upload", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return timed(&http.Client{Transport: tr}, req)
}

// timed sends req, drains the answer, requires 200 and returns how long it all took.
func timed(c *http.Client, req *http.Request) time.Duration {
	t := time.Now()
	resp, err := c.Do(req)
	check(err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		log.Fatalf("%s %s: status %d", req.Method, req.URL, resp.StatusCode)
	}
	return time.Since(t)
}

func latencies(tr *http.Transport, n int) []time.Duration {
	c := &http.Client{Transport: tr}
	out := make([]time.Duration, 0, n)
	for range n {
		t := time.Now()
		get(c)
		out = append(out, time.Since(t))
	}
	slices.Sort(out)
	return out
}

func throughput(tr *http.Transport, n, conc int) float64 {
	c := &http.Client{Transport: tr}
	var wg sync.WaitGroup
	per := n / conc
	t := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range per {
				get(c)
			}
		}()
	}
	wg.Wait()
	return float64(per*conc) / time.Since(t).Seconds()
}

func get(c *http.Client) {
	req, _ := http.NewRequest("GET", "https://mail.qq.com/cgi-bin/frame_html", nil)
	timed(c, req)
}

func upload(tr *http.Transport, size int64) time.Duration {
	c := &http.Client{Transport: tr}
	rng := mrand.NewChaCha8([32]byte{1})
	body := io.LimitReader(readerFunc(func(p []byte) (int, error) { rng.Read(p); return len(p), nil }), size)
	req, _ := http.NewRequest("PUT", "https://mail.163.com/upload/big.bin", body)
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/octet-stream")
	return timed(c, req)
}

type readerFunc func(p []byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func pct(d []time.Duration, p int) time.Duration {
	return d[min(len(d)-1, len(d)*p/100)].Round(time.Microsecond)
}

func mbps(size int64, d time.Duration) float64 { return float64(size) / (1 << 20) / d.Seconds() }

func vmHWM(pid int) int64 { return procstat.Bytes(pid, "VmHWM") }

func waitUp(u string) {
	for range 100 {
		if resp, err := http.Get(u); err == nil {
			var h map[string]any
			json.NewDecoder(resp.Body).Decode(&h)
			resp.Body.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	log.Fatal("sluice did not start; see its log")
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	defer l.Close()
	return l.Addr().String()
}

func selfSigned(names ...string) tls.Certificate {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	check(err)
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

func numCPU() int {
	out, _ := exec.Command("nproc").Output()
	n, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	return n
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
