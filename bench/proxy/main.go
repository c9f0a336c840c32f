// Command proxy benchmarks Sluice against its floor in one run. The same Go client reaches a loopback
// TLS upstream (named as real services) four ways: directly; through bench/floor, a minimal intercepting
// relay (the least any intercepting proxy in Go can cost); through Sluice; and through mitmproxy where
// mitmdump is installed. Each proxy is a child process, so its CPU and RSS are read from /proc alike.
// Modes run interleaved, workload by workload, in every round; the table gives medians over the rounds,
// same-round ratios and the targets of issue #18.
//
//	go run ./bench/proxy [-rounds 5] [-get-time 3s] [-upload-mb 100] [-bulk 50] [-quick] [-only REGEXP] ...
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sluice-dlp/sluice/internal/procstat"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, " ") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

type config struct {
	rounds, conc, pages, uploadMB, bulkN, bulkMB, wmReps int
	getTime                                              time.Duration
	mitmdump, mitmStream                                 string
}

func main() {
	var cfg config
	flag.IntVar(&cfg.rounds, "rounds", 5, "rounds; every mode runs every workload once per round")
	flag.DurationVar(&cfg.getTime, "get-time", 3*time.Second, "how long each GET workload runs per mode and round")
	flag.IntVar(&cfg.conc, "conc", 8, "parallel clients for the concurrent GET workloads")
	flag.IntVar(&cfg.pages, "pages", 10, "page loads per mode and round (each at 0 and at 20 ms site latency)")
	flag.IntVar(&cfg.uploadMB, "upload-mb", 100, "size of the single upload, MB")
	flag.IntVar(&cfg.bulkN, "bulk", 50, "uploads sent at once in the concurrent-upload workload")
	flag.IntVar(&cfg.bulkMB, "bulk-mb", 2, "size of each concurrent upload, MB")
	flag.IntVar(&cfg.wmReps, "watermark-reps", 3, "in-flight watermark timings through Sluice (0: skip)")
	flag.StringVar(&cfg.mitmdump, "mitmdump", "mitmdump", `mitmdump to run as a baseline where installed ("": skip)`)
	flag.StringVar(&cfg.mitmStream, "mitm-stream", "1m", `mitmproxy's stream_large_bodies: bodies above it are streamed, smaller ones buffered ("": buffer all, its default, quadratic in the body size)`)
	var sluiceFlags list
	flag.Var(&sluiceFlags, "sluice-flag", "extra flag for 'sluice run', e.g. -sluice-flag=--spool-threshold=1048576 (repeatable)")
	only := flag.String("only", "", "run only the workloads whose names match this regular expression")
	quick := flag.Bool("quick", false, "smoke run of about a minute: short GET runs, fewer pages, smaller uploads (flags given still win)")
	flag.Parse()
	if *quick {
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for name, v := range map[string]string{"rounds": "3", "get-time": "300ms", "pages": "2", "upload-mb": "10", "bulk": "10", "watermark-reps": "0"} {
			if !set[name] {
				flag.Set(name, v)
			}
		}
	}
	if cfg.rounds < 1 || cfg.conc < 1 || cfg.pages < 1 || cfg.bulkN < 1 {
		fatalf("rounds, conc, pages and bulk must be at least 1")
	}
	onInterrupt()
	defer cleanup()
	tmp, err := os.MkdirTemp("", "sluice-bench-")
	check(err)
	tmpDir = tmp // cleanup removes it
	root := moduleRoot()
	setup := time.Now()

	// the upstream: one loopback TLS server standing in for every site, with its own CA
	hosts := append([]string{"mail.qq.com", "mail.163.com"}, pageHosts...)
	upCA, upCert := upstreamPKI(hosts)
	up := httptest.NewUnstartedServer(http.HandlerFunc(site))
	up.TLS = &tls.Config{Certificates: []tls.Certificate{upCert}}
	up.Config.ErrorLog = log.New(io.Discard, "", 0)
	up.StartTLS()
	defer up.Close()
	caFile := filepath.Join(tmp, "upstream-ca.pem")
	check(os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: upCA.Raw}), 0o644))
	var resolve []string
	for _, h := range hosts {
		resolve = append(resolve, h+":443="+up.Listener.Addr().String())
	}
	upRoots := x509.NewCertPool()
	upRoots.AddCert(upCA)

	var modes [nModes]*mode
	modes[direct] = &mode{name: "direct", roots: upRoots, dial: up.Listener.Addr().String()}
	modes[floor] = startFloor(root, tmp, caFile, resolve)
	modes[sluice] = startSluice(root, tmp, caFile, resolve, sluiceFlags)
	modes[mitm] = startMitm(cfg.mitmdump, cfg.mitmStream, tmp, caFile, resolve)
	var names [nModes]string
	for i, m := range modes {
		names[i] = m.name
	}

	fmt.Printf("Sluice proxy benchmark — %s, %d cores (GOMAXPROCS %d), %s, %d rounds, load average %s\n", time.Now().Format("2006-01-02 15:04"), numCPU(), runtime.GOMAXPROCS(0), runtime.Version(), cfg.rounds, loadavg())
	if len(sluiceFlags) > 0 {
		fmt.Printf("sluice run with extra flags: %s\n", sluiceFlags.String())
	}
	fmt.Printf("client and upstream in this process; proxies are child processes: floor pid %d, Sluice pid %d", modes[floor].pid, modes[sluice].pid)
	if m := modes[mitm]; m.skip != "" {
		fmt.Printf("\nNOTE: %s\n", m.skip)
	} else {
		fmt.Printf(", mitmproxy (%s) pid %d\n", mitmVersion(cfg.mitmdump), m.pid)
	}
	idle := map[string]int64{}
	for _, m := range modes[floor:] {
		if m.skip == "" { // issue each site's leaf before anything is timed
			tr := m.transport()
			c := &http.Client{Transport: tr}
			for _, h := range hosts {
				req, _ := http.NewRequest("GET", "https://"+h+"/warm", nil)
				timed(c, req)
			}
			tr.CloseIdleConnections()
			idle[m.name] = procstat.Bytes(m.pid, "VmRSS")
		}
	}
	fmt.Printf("setup (build, start, warm-up) %s; proxy RSS after start and one request per site: floor %d MB, Sluice %d MB",
		time.Since(setup).Round(100*time.Millisecond), idle["floor"]>>20, idle["Sluice"]>>20)
	if v, ok := idle["mitmproxy"]; ok {
		fmt.Printf(", mitmproxy %d MB", v>>20)
	}
	fmt.Print("\n\n")

	var ws []workload
	re, err := regexp.Compile(*only)
	check(err)
	for _, w := range workloads(cfg) {
		if re.MatchString(w.name) {
			ws = append(ws, w)
		}
	}
	if len(ws) == 0 {
		fatalf("-only %q matches no workload", *only)
	}
	res := make(results, len(ws))
	for i := range res {
		res[i] = make([][nModes]*sample, cfg.rounds)
	}
	begin := time.Now()
	var foreign []float64
	for round := range cfg.rounds {
		for wi, w := range ws {
			var line []string
			for k := range nModes { // rotate the order round by round
				mi := (k + round) % nModes
				m := modes[mi]
				if m.skip != "" {
					continue
				}
				s := w.run(m)
				res[wi][round][mi] = &s
			}
			var others []string
			for mi, s := range res[wi][round] {
				if s != nil {
					line = append(line, fmt.Sprintf("%s %s", names[mi], fmtVal(s.value, w.unit)))
					others = append(others, fmt.Sprintf("%.1f", s.foreign))
					foreign = append(foreign, s.foreign)
				}
			}
			fmt.Printf("round %d/%d  %-30s %s %s  (other load, cores: %s)\n", round+1, cfg.rounds, w.name, strings.Join(line, ", "), w.unit, strings.Join(others, " "))
			if w.rssRow {
				var rss []string
				for mi, s := range res[wi][round] {
					if s != nil && mi != direct {
						rss = append(rss, fmt.Sprintf("%s %d → %d", names[mi], s.rssStart>>20, s.rss>>20))
					}
				}
				fmt.Printf("             %-30s proxy RSS MB, start → peak: %s\n", "", strings.Join(rss, ", "))
			}
		}
	}
	fmt.Printf("\nmeasured in %s (%s of it waiting for the proxies to go quiet); the rest of the machine kept %.2f cores busy meanwhile (median over samples, max %.2f; load average now %s)\n",
		time.Since(begin).Round(time.Second), settled.Round(time.Second), median(foreign), slices.Max(foreign), loadavg())
	if median(foreign) > 0.2 {
		fmt.Printf("WARNING: other processes shared the machine; figures are noisier than on an idle machine, ratios of the same round less so\n")
	}
	fmt.Println()

	fmt.Printf("Medians over %d rounds. Ratios are same-round speed ratios, median over the rounds (higher = Sluice faster;\n", cfg.rounds)
	fmt.Printf("for page times, other's time ÷ Sluice's), except the RSS row (Sluice's MB ÷ the other's). CPU = the proxy\n")
	fmt.Printf("process's user+system time (/proc/PID/stat, 10 ms ticks) over the timed part, per request, or per GB uploaded.\n\n")
	res.table(os.Stdout, ws, names)
	fmt.Println()
	res.spread(os.Stdout, ws)
	fmt.Println()
	res.rssTable(os.Stdout, ws, names)
	fmt.Println()
	res.latencyTable(os.Stdout, ws, names)
	fmt.Printf("whole-run peak RSS (VmHWM since the last reset): floor %d MB, Sluice %d MB", procstat.Bytes(modes[floor].pid, "VmHWM")>>20, procstat.Bytes(modes[sluice].pid, "VmHWM")>>20)
	if m := modes[mitm]; m.skip == "" {
		fmt.Printf(", mitmproxy %d MB", procstat.Bytes(m.pid, "VmHWM")>>20)
	}
	fmt.Print("\n\n")
	if cfg.wmReps > 0 {
		watermarkTimes(modes[sluice], cfg.wmReps)
	}
}

// putSeen is when the site last received a PUT's headers (UnixNano): how long a proxy held the upload.
var putSeen atomic.Int64

// site is every upstream: it reads the body, waits ?delay (the site's distance), answers ?size bytes or 1 KB.
func site(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPut {
		putSeen.Store(time.Now().UnixNano())
	}
	n, _ := io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "text/plain")
	if d, err := time.ParseDuration(r.URL.Query().Get("delay")); err == nil {
		time.Sleep(d)
	}
	if size, err := strconv.Atoi(r.URL.Query().Get("size")); err == nil {
		w.Header().Set("Content-Length", strconv.Itoa(size))
		w.Write(make([]byte, size))
		return
	}
	fmt.Fprintf(w, "ok %d %s", n, strings.Repeat("x", 1024))
}

// upstreamPKI makes the upstream's own CA and a leaf naming every site.
func upstreamPKI(names []string) (*x509.Certificate, tls.Certificate) {
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench upstream CA"}, IsCA: true, BasicConstraintsValid: true,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	check(err)
	ca, _ := x509.ParseCertificate(der)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err = x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	check(err)
	leaf, _ := x509.ParseCertificate(der)
	return ca, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// moduleRoot is the directory of this module's go.mod, so the benchmark runs from any directory in it.
func moduleRoot() string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	check(err)
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		fatalf("run the benchmark inside the Sluice module")
	}
	return filepath.Dir(gomod)
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func mitmVersion(bin string) string {
	out, _ := exec.Command(bin, "--version").Output()
	first, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(first)
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	defer l.Close()
	return l.Addr().String()
}

func numCPU() int {
	out, _ := exec.Command("nproc").Output()
	n, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	return n
}

func check(err error) {
	if err != nil {
		fatalf("%v", err)
	}
}

// fatalf ends the child processes before exiting.
func fatalf(format string, args ...any) {
	cleanup()
	log.Fatalf(format, args...)
}
