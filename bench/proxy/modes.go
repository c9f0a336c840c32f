package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sluice-dlp/sluice/internal/procstat"
)

// A mode is one way the client reaches the sites: directly, or through one of the proxies.
type mode struct {
	name  string
	pid   int      // the proxy process; 0 for direct
	proxy *url.URL // nil for direct
	roots *x509.CertPool
	dial  string // direct only: where every site is
	skip  string // why the mode is not run (mitmproxy not installed)
}

// transport is the one client every mode uses: the same settings, trusting only that mode's CA
// (the upstream's for direct), so a request that was not intercepted fails instead of passing unmeasured.
func (m *mode) transport() *http.Transport {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: m.roots}, MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second,
		DisableCompression: true, TLSHandshakeTimeout: 30 * time.Second}
	if m.proxy != nil {
		tr.Proxy = http.ProxyURL(m.proxy)
	} else {
		tr.DialContext = func(ctx context.Context, n, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, n, m.dial)
		}
	}
	return tr
}

// children are the processes started here; cleanup ends them (also on a fatal error or ^C).
var (
	childMu  sync.Mutex
	children []*exec.Cmd
	tmpDir   string
)

func cleanup() {
	childMu.Lock()
	defer childMu.Unlock()
	for _, c := range children {
		c.Process.Kill()
		c.Wait()
	}
	children = nil
	if tmpDir != "" {
		os.RemoveAll(tmpDir)
	}
}

func onInterrupt() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		cleanup()
		os.Exit(130)
	}()
}

// start runs a proxy process with its output in logFile, waits until it accepts connections on addr
// and caFile exists, and returns a mode trusting that CA.
func start(name, logFile, addr, caFile string, bin string, args ...string) *mode {
	cmd := exec.Command(bin, args...)
	logf, err := os.Create(logFile)
	check(err)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	check(cmd.Start())
	childMu.Lock()
	children = append(children, cmd)
	childMu.Unlock()
	exited := make(chan struct{})
	go func() { cmd.Process.Wait(); close(exited) }()
	for deadline := time.Now().Add(90 * time.Second); ; {
		select {
		case <-exited:
			fatalf("%s exited while starting; its log:\n%s", name, tail(logFile))
		default:
		}
		if time.Now().After(deadline) {
			fatalf("%s did not start within 90 s; its log:\n%s", name, tail(logFile))
		}
		if pem, err := os.ReadFile(caFile); err == nil && len(pem) > 0 {
			if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
				c.Close()
				roots := x509.NewCertPool()
				if !roots.AppendCertsFromPEM(pem) {
					fatalf("%s: no certificate in %s", name, caFile)
				}
				proxyPIDs = append(proxyPIDs, cmd.Process.Pid)
				return &mode{name: name, pid: cmd.Process.Pid, proxy: &url.URL{Scheme: "http", Host: addr}, roots: roots}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func tail(file string) string {
	b, _ := os.ReadFile(file)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// build compiles a package of this module into dir.
func build(root, pkg, out string) {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir, cmd.Stderr = root, os.Stderr
	check(cmd.Run())
}

func startSluice(root, tmp, upstreamCA string, resolve, extra []string) *mode {
	bin := filepath.Join(tmp, "sluice")
	build(root, "./cmd/sluice", bin)
	data, addr := filepath.Join(tmp, "sluice-data"), freeAddr()
	args := []string{"--data", data, "run", "--listen", addr, "--console", freeAddr(), "--upstream-ca", upstreamCA}
	for _, r := range resolve {
		args = append(args, "--resolve", r)
	}
	args = append(args, extra...)
	return start("Sluice", filepath.Join(tmp, "sluice.log"), addr, filepath.Join(data, "ca.pem"), bin, args...)
}

func startFloor(root, tmp, upstreamCA string, resolve []string) *mode {
	bin := filepath.Join(tmp, "floor")
	build(root, "./bench/floor", bin)
	dir, addr := filepath.Join(tmp, "floor-ca"), freeAddr()
	check(os.MkdirAll(dir, 0o700))
	args := []string{"-listen", addr, "-ca-dir", dir, "-upstream-ca", upstreamCA}
	for _, r := range resolve {
		args = append(args, "-resolve", r)
	}
	return start("floor", filepath.Join(tmp, "floor.log"), addr, filepath.Join(dir, "ca.pem"), bin, args...)
}

// mitmResolve is a mitmproxy addon doing what --resolve does for Sluice: dial the loopback upstream
// while the site's name stays the SNI and the name its certificate is checked against.
const mitmResolve = `# written by bench/proxy
RESOLVE = %s

def server_connect(data):
    to = RESOLVE.get("%%s:%%d" %% tuple(data.server.address))
    if to:
        data.server.address = to
`

// startMitm starts mitmdump where it is installed (the benchmark never installs it), quiet, with its
// own confdir (its CA appears there), trusting the upstream CA and connecting upstream lazily. Bodies
// above stream are streamed: mitmproxy buffers a body by appending to a bytes object, so a buffered
// 100 MB upload takes minutes (quadratic copying), which would measure that and nothing else.
func startMitm(bin, stream, tmp, upstreamCA string, resolve []string) *mode {
	if bin == "" {
		return &mode{name: "mitmproxy", skip: `mitmproxy not run (-mitmdump "")`}
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return &mode{name: "mitmproxy", skip: bin + " not found (Debian: apt-get install mitmproxy); mitmproxy columns skipped"}
	}
	var m []string
	for _, r := range resolve {
		from, to, _ := strings.Cut(r, "=")
		host, port, _ := net.SplitHostPort(to)
		p, _ := strconv.Atoi(port)
		m = append(m, fmt.Sprintf("%q: (%q, %d)", from, host, p))
	}
	conf := filepath.Join(tmp, "mitmproxy")
	check(os.MkdirAll(conf, 0o700))
	script := filepath.Join(conf, "resolve.py")
	check(os.WriteFile(script, fmt.Appendf(nil, mitmResolve, "{"+strings.Join(m, ", ")+"}"), 0o644))
	addr := freeAddr()
	host, port, _ := net.SplitHostPort(addr)
	args := []string{"-q", "--listen-host", host, "--listen-port", port, "--set", "confdir=" + conf, "--set", "ssl_verify_upstream_trusted_ca=" + upstreamCA,
		"--set", "connection_strategy=lazy", "-s", script}
	if stream != "" {
		args = append(args, "--set", "stream_large_bodies="+stream)
	}
	return start("mitmproxy", filepath.Join(tmp, "mitmproxy.log"), addr, filepath.Join(conf, "mitmproxy-ca-cert.pem"), path, args...)
}

// cpu returns the process's user+system CPU time so far, from /proc/PID/stat (clock ticks of 10 ms).
func cpu(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64) // field 14 of the man page; f[0] is field 3
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100
}

// machineBusy returns the CPU time all processes on the machine have used, from /proc/stat (every
// column but idle and iowait), and this process's own.
func machineBusy() (all, self time.Duration) {
	b, _ := os.ReadFile("/proc/stat")
	line, _, _ := strings.Cut(string(b), "\n")
	for i, f := range strings.Fields(line) {
		if v, err := strconv.ParseInt(f, 10, 64); err == nil && i != 4 && i != 5 {
			all += time.Duration(v) * time.Second / 100
		}
	}
	return all, cpu(os.Getpid())
}

// proxyPIDs are every proxy process; settle waits until all are quiet, settled is how long that took.
var (
	proxyPIDs []int
	settled   time.Duration
)

// settle waits (at most 3 s) until no proxy uses CPU any more, so that work a proxy finishes in the
// background after one sample is not charged to the next.
func settle() {
	sum := func() (t time.Duration) {
		for _, pid := range proxyPIDs {
			t += cpu(pid)
		}
		return t
	}
	t0 := time.Now()
	defer func() { settled += time.Since(t0) }()
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); {
		before := sum()
		time.Sleep(100 * time.Millisecond)
		if sum()-before <= 10*time.Millisecond {
			return
		}
	}
}

// probe measures the proxy process over the timed part of one workload: its CPU, its peak RSS (VmHWM,
// reset at the start through clear_refs, and VmRSS sampled every 20 ms as a cross-check), and the CPU
// the rest of the machine used meanwhile (other proxies' leftovers, other users of the machine).
type probe struct {
	pid         int
	cpu0        time.Duration
	all0, self0 time.Duration
	t0          time.Time
	stop        chan struct{}
	sampled     chan int64
	reset       bool
	rss0        int64
}

// begin starts the timed part of a workload (after its warm-up); end finishes it.
func (m *mode) begin() *probe {
	settle()
	p := &probe{pid: m.pid}
	if p.pid != 0 {
		p.rss0 = procstat.Bytes(p.pid, "VmRSS")
		p.reset = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p.pid), []byte("5"), 0) == nil
		p.stop, p.sampled = make(chan struct{}), make(chan int64, 1)
		go func() {
			var peak int64
			t := time.NewTicker(20 * time.Millisecond)
			defer t.Stop()
			for {
				peak = max(peak, procstat.Bytes(p.pid, "VmRSS"))
				select {
				case <-p.stop:
					p.sampled <- peak
					return
				case <-t.C:
				}
			}
		}()
		p.cpu0 = cpu(p.pid)
	}
	p.all0, p.self0 = machineBusy()
	p.t0 = time.Now()
	return p
}

func (p *probe) end() sample {
	s := sample{elapsed: time.Since(p.t0)}
	all, self := machineBusy()
	if p.pid != 0 {
		s.cpu = cpu(p.pid) - p.cpu0
		close(p.stop)
		s.rssSampled = <-p.sampled
		s.rss, s.rssStart = s.rssSampled, p.rss0
		if p.reset {
			s.rss = max(s.rss, procstat.Bytes(p.pid, "VmHWM"))
		}
	}
	s.foreign = max(0, (all-p.all0)-(self-p.self0)-s.cpu).Seconds() / s.elapsed.Seconds()
	return s
}
