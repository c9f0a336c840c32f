// Package daemon is a running Sluice: it wires the MITM front, the pipeline, the console and the
// notify hub to one store, policy and CA, serves the proxy and console listeners, and does the
// housekeeping (approval expiry, archive retention).
package daemon

import (
	"context"
	"crypto/x509"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/internal/marking"
	"github.com/sluice-dlp/sluice/internal/metrics"
	"github.com/sluice-dlp/sluice/internal/ops"
	"github.com/sluice-dlp/sluice/proxy/console"
	"github.com/sluice-dlp/sluice/proxy/front"
	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/proxy/notify"
	"github.com/sluice-dlp/sluice/proxy/pipeline"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/proxy/risk"
	"github.com/sluice-dlp/sluice/proxy/upload"
	"github.com/sluice-dlp/sluice/store"
	"github.com/sluice-dlp/sluice/watermark"
)

// Config is everything `sluice run` can set.
type Config struct {
	DataDir         string
	Listen          string   // proxy address, default 127.0.0.1:8080
	Console         string   // console/API/PAC address, default 127.0.0.1:8081
	PublicConsole   string   // console URL shown to users (default http://<Console>)
	UpstreamCAs     []string // extra trusted roots for upstream TLS
	Resolve         []string // HOST:PORT=ADDR:PORT overrides
	User            string   // single-user local proxy: attribute all traffic to this user
	SpoolThreshold  int64    // bytes kept in memory per body before spilling to disk
	MaxInspect      int64    // bodies (and files sent in slices) above this get the "uninspectable" verdict
	MaxHeld         int64    // slices of unfinished files held at once, in bytes (default 2 GiB)
	BodyMemory      int64    // bytes all request bodies in flight may hold in memory together (default 32 MiB)
	UpstreamHTTP2   bool     // speak HTTP/2 to sites that offer it (default HTTP/1.1: measured faster through the proxy)
	NameConstraints bool     // restrict a newly created CA to the catalog's domains
	CertCacheSize   int
	AllowLoopbackWS bool // let loopback web pages use the extension WebSocket (tests)
	SecureCookies   bool // console served behind HTTPS
	// Limits bound every connection on both listeners: timeouts per phase, minimum body rate, connection caps.
	Limits front.Limits
	Logger *slog.Logger
	Audit  AuditConfig // audit key, chain-head witness, archive quotas (witness.go)
	// PACProxies are the proxies the PAC names, in order (several nodes: a browser tries the next when one is down); default this node.
	PACProxies []string
}

func (c *Config) defaults() {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	if c.Console == "" {
		c.Console = "127.0.0.1:8081"
	}
	if c.SpoolThreshold <= 0 {
		c.SpoolThreshold = 8 << 20
	}
	if c.MaxInspect <= 0 {
		c.MaxInspect = 512 << 20
	}
	if c.BodyMemory <= 0 {
		c.BodyMemory = 32 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
}

// Daemon is a running Sluice: proxy listener, console listener, store, policy and pipeline.
type Daemon struct {
	cfg      Config
	paths    Paths
	log      *slog.Logger
	CA       *front.CA
	Certs    *front.CertCache
	DB       *store.DB
	Policy   *policy.Policy
	Marker   *watermark.Marker
	Ops      *ops.Local // the jobs, as the console and tests use them
	Pipeline *pipeline.Pipeline
	Sessions *upload.Sessions // files sent in slices, held until whole
	Bodies   *upload.Budget   // memory shared by request bodies in flight
	Metrics  *metrics.Metrics // Prometheus counters, latencies and gauges (/metrics)
	Risk     *risk.Engine     // early warning of unusual activity
	riskFeed riskFeed         // what of the audit log the engine has had (risk_follow.go)
	ocr      *inspect.OCREngine
	front    *front.Front
	Hub      *notify.Hub
	Alerter  *notify.Alerter
	Console  *console.Server

	scanner            atomic.Pointer[inspect.Scanner]
	reloadMu           sync.Mutex // serialises ReloadInspection: the last to run loads the freshest state
	auth               *front.Authenticator
	proxyLn, consoleLn net.Listener
	servers            []*http.Server
	wg                 sync.WaitGroup
	closeOnce          sync.Once
	stop               chan struct{}
	clock              atomic.Pointer[func() time.Time]
	compatMu           sync.Mutex
	compatSeen         map[string]time.Time // host → when its last compatibility problem was recorded
	warnings           []console.Warning    // set-up problems to fix, logged at start and shown by the console
}

// Validate checks the settings that need no files: the addresses, --user against a network listener,
// the PAC's proxies. sluice run calls it before anything is created; New calls it again.
func (c Config) Validate() error {
	c.defaults()
	for _, a := range [][2]string{{"--listen", c.Listen}, {"--console", c.Console}} {
		if _, port, err := net.SplitHostPort(a[1]); err != nil || port == "" {
			return l10n.Errorf(l10n.Invalid, "%s %q 不是 主机:端口 形式的地址；例如 127.0.0.1:8080，或 :8080 监听所有地址",
				"%s %q is not a HOST:PORT address; e.g. 127.0.0.1:8080, or :8080 for every address", a[0], a[1])
		}
	}
	if !front.IsLoopback(c.Listen) && c.User != "" {
		return l10n.Errorf(l10n.Invalid, "--listen %s 可从网络访问，每个用户都必须登录代理；请去掉 --user，并用 'sluice users add NAME' 添加用户",
			"--listen %s is reachable from the network, so every user must log in to the proxy; drop --user and add users with 'sluice users add NAME'", c.Listen)
	}
	return checkPACProxies(c.PACProxies)
}

// New prepares a daemon: creates the data dir on first start, loads CA, policy and store, binds both listeners.
func New(cfg Config) (d *Daemon, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.defaults()
	loopback := front.IsLoopback(cfg.Listen)
	if _, err := InitKeyed(cfg.DataDir, cfg.NameConstraints, cfg.Audit); err != nil {
		return nil, err
	}
	d = &Daemon{cfg: cfg, paths: PathsFor(cfg.DataDir), log: cfg.Logger, stop: make(chan struct{})}
	now := time.Now
	d.clock.Store(&now)
	if d.Policy, err = policy.LoadFile(d.paths.Policy); err != nil {
		return nil, err
	}
	if d.CA, err = front.LoadOrCreateCA(cfg.DataDir, nil); err != nil {
		return nil, err
	}
	d.Certs = front.NewCertCache(d.CA, cfg.CertCacheSize)
	if d.DB, err = cfg.Audit.OpenStore(d.paths); err != nil {
		if errors.Is(err, store.ErrLocked) {
			return nil, l10n.Errorf(l10n.Locked, "另一个 sluice 守护进程正在使用 %s；请先停止它，或换一个 --data 目录",
				"another sluice daemon already uses %s; stop it first or pick another --data dir", cfg.DataDir)
		}
		return nil, err
	}
	db := d.DB
	defer func() {
		if err != nil {
			db.Close()
		}
	}()
	if err := refuseLegacy(d.DB); err != nil {
		return nil, err
	}
	if err := d.checkIdentity(loopback); err != nil {
		return nil, err
	}
	if w := identityWarning(loopback, cfg.User); w != nil {
		d.warnings = append(d.warnings, *w)
	}
	resolve, err := front.ParseResolve(cfg.Resolve)
	if err != nil {
		return nil, err
	}
	roots, err := front.LoadRoots(cfg.UpstreamCAs)
	if err != nil {
		return nil, err
	}
	key, err := marking.LoadKey(d.paths.MarkKey, d.DB)
	if err != nil {
		return nil, err
	}
	d.Marker = watermark.NewMarker(key)
	d.startOCR()
	if err := d.ReloadInspection(); err != nil {
		return nil, err
	}
	if err := d.startRisk(); err != nil {
		return nil, err
	}
	if d.proxyLn, err = net.Listen("tcp", cfg.Listen); err != nil {
		return nil, l10n.Wrap(err, l10n.Unavailable, "无法在 %s 上监听代理端口；请用 --listen 换一个", "cannot listen on %s for the proxy; choose another with --listen", cfg.Listen)
	}
	if d.consoleLn, err = net.Listen("tcp", cfg.Console); err != nil {
		d.proxyLn.Close()
		return nil, l10n.Wrap(err, l10n.Unavailable, "无法在 %s 上监听控制台端口；请用 --console 换一个", "cannot listen on %s for the console; choose another with --console", cfg.Console)
	}
	d.wire(roots, resolve, loopback)
	return d, nil
}

// checkIdentity refuses set-ups where traffic could not be attributed to a person.
func (d *Daemon) checkIdentity(loopback bool) error {
	if !loopback {
		users, _ := d.DB.Users()
		staff := 0
		for _, u := range users {
			if u.PasswordHash != "" && !u.Disabled && u.HasRole(store.RoleStaff) {
				staff++
			}
		}
		if staff == 0 {
			return l10n.Errorf(l10n.Invalid, "--listen %s 可从网络访问，员工必须登录代理，但还没有设置了密码的员工；请用 'sluice users add NAME --password ...' 添加",
				"--listen %s is reachable from the network, so staff must log in to the proxy, but no staff user has a password; add one with 'sluice users add NAME --password ...'", d.cfg.Listen)
		}
	}
	if d.cfg.User != "" {
		if _, err := d.DB.User(d.cfg.User); err != nil {
			return l10n.Errorf(l10n.Invalid, "--user %[1]s 不是已知用户；请用 'sluice users add %[1]s --display-name 张三 --staff-id A1024' 添加",
				"--user %[1]s is not a known user; add it with 'sluice users add %[1]s --display-name 张三 --staff-id A1024'", d.cfg.User)
		}
	}
	return nil
}

// wire builds the hub, alerts, jobs, pipeline, front and console on the bound listeners.
func (d *Daemon) wire(roots *x509.CertPool, resolve map[string]string, loopback bool) {
	d.Alerter = notify.NewAlerter(d.Policy.Alerts, d.log)
	d.Hub = notify.NewHub(d.DB, d.Policy.ExtensionOrigins, d.cfg.AllowLoopbackWS)
	d.auth = front.NewAuthenticator(d.DB, d.cfg.User, loopback)
	d.Ops = &ops.Local{DB: d.DB, Policy: d.Policy, Marker: d.Marker, Scanner: d.Scanner, BaseURL: d.ConsoleURL(),
		Notifier: d, InspectionChanged: d.inspectionChanged, CredentialsChanged: d.credentialsChanged, Now: d.now}
	d.Bodies = upload.NewBudget(d.cfg.BodyMemory)
	d.Metrics = metrics.New()
	d.Sessions = upload.NewSessions(upload.SessionOptions{Dir: d.paths.Spool, MaxFile: d.cfg.MaxInspect, MaxHeld: d.cfg.MaxHeld, Now: d.now})
	d.Pipeline = pipeline.New(&pipeline.Deps{Scanner: d.Scanner, Policy: d.Policy, DB: d.DB, Marker: d.Marker, Notifier: d,
		Now: d.now, ConsoleURL: d.ConsoleURL, Log: d.log, Sessions: d.Sessions, Metrics: d.Metrics, Observe: d.observe, Recent: d.recent, Work: make(chan struct{}, 2*runtime.GOMAXPROCS(0)),
		Body: upload.Options{Dir: d.paths.Spool, SpoolThreshold: d.cfg.SpoolThreshold, MaxInspect: d.cfg.MaxInspect, Budget: d.Bodies}})
	dial := front.NewDialer(resolve)
	if !loopback { // a shared proxy: web ports on other hosts only (front/connect_guard.go)
		dial.Guard(front.NewConnectGuard(front.GuardConfig{Ports: d.Policy.Ports(), Resolve: resolve,
			Listen: []string{d.proxyLn.Addr().String(), d.consoleLn.Addr().String()}, Record: d.DB.AppendEvent, Log: d.log}))
	}
	lim := d.cfg.Limits.WithDefaults()
	lim.Refused = d.Metrics.Refused
	d.front = front.New(front.Config{Certs: d.Certs, Auth: d.auth, Policy: d.Policy, Pipeline: d.Pipeline, Limits: lim,
		Transport: front.Transport(roots, dial, d.cfg.UpstreamHTTP2), Dial: dial, ConsoleURL: d.ConsoleURL, Log: d.log, Now: d.now, Compat: d.compat, Learn: d.Sessions.Learn, Metrics: d.Metrics})
	d.Console = console.NewServer(console.Config{Ops: d.Ops, DB: d.DB, Hub: d.Hub, BaseURL: d.ConsoleURL(), Logger: d.log,
		SecureCookies: d.cfg.SecureCookies, SpoolDir: d.paths.Spool, Risk: func() []risk.Standing { return d.Risk.Ranking(d.now()) },
		Site: console.Site{CA: d.CA.Cert, CAPEM: d.CA.CertPEM, ProxyAddr: d.ProxyAddr,
			PAC:      func(addr string) []byte { return d.Policy.Catalog().PAC(d.pacProxies(addr), d.Policy.PAC.Fallback) },
			Health:   func() map[string]any { return map[string]any{"certs_cached": d.Certs.Len()} },
			Warnings: d.Warnings}})
	consoleLim := lim
	consoleLim.MaxConns, consoleLim.MaxConnsPerIP = max(lim.MaxConns/4, 32), 0
	consoleLim = consoleLim.WithDefaults()
	d.servers = []*http.Server{lim.Server(d.front), consoleLim.Server(d.consoleHandler())}
	d.proxyLn, d.consoleLn = lim.Listener(d.proxyLn), consoleLim.Listener(d.consoleLn)
	for _, s := range d.servers {
		s.ErrorLog = front.ErrorLog(d.log)
	}
	d.gauges(d.Metrics)
	d.startCluster()
}

// compat records, at most once an hour per host, that a site broke under interception, with the fix.
func (d *Daemon) compat(host string, err error) {
	now := d.now()
	d.compatMu.Lock()
	if d.compatSeen == nil {
		d.compatSeen = map[string]time.Time{}
	}
	last, seen := d.compatSeen[host]
	if seen && now.Sub(last) < time.Hour {
		d.compatMu.Unlock()
		return
	}
	d.compatSeen[host] = now
	d.compatMu.Unlock()
	zh, en := front.CompatReason(host, err)
	d.log.Warn("site breaks under interception; consider the bypass list", "host", host, "err", err)
	if aerr := d.DB.AppendEvent(&store.Event{Action: "compat.tls", User: "sluice", Host: host, Category: string(d.Policy.Catalog().Lookup(host, "").Category),
		Reasons: []string{zh}, Extra: map[string]string{"error": err.Error(), "fix": en}}); aerr != nil {
		d.log.Error("cannot audit a compatibility problem", "err", aerr)
	}
}

// Notify sends a notice to a user's browser extension.
func (d *Daemon) Notify(user string, n api.Notice) { d.Hub.Notify(user, n) }

// Alert sends a manager alert with a link to the console.
func (d *Daemon) Alert(a api.Alert) {
	if a.ConsoleURL == "" {
		a.ConsoleURL = d.ConsoleURL()
	}
	d.Alerter.Send(a)
}

// Paths returns the data dir layout.
func (d *Daemon) Paths() Paths { return d.paths }

// ConsoleURL is the console base URL users see (form links, PAC address).
func (d *Daemon) ConsoleURL() string {
	if d.cfg.PublicConsole != "" {
		return d.cfg.PublicConsole
	}
	if d.consoleLn != nil {
		return "http://" + d.consoleLn.Addr().String()
	}
	return "http://" + d.cfg.Console
}

// Start serves both listeners (bound by New) in the background.
func (d *Daemon) Start() error {
	d.startAudit()
	d.followRisk()
	for i, ln := range []net.Listener{d.proxyLn, d.consoleLn} {
		srv := d.servers[i]
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				d.log.Error("server stopped", "addr", ln.Addr().String(), "err", err)
			}
		}()
	}
	d.wg.Add(1)
	go d.housekeeping()
	os.WriteFile(filepath.Join(d.cfg.DataDir, "daemon.addr"), []byte(d.ConsoleURL()+"\n"), 0o600)
	d.log.Info("sluice running", "proxy", d.proxyLn.Addr().String(), "console", d.ConsoleURL(), "pac", d.ConsoleURL()+"/proxy.pac", "data", d.cfg.DataDir)
	for _, w := range d.warnings {
		d.log.Warn(w.EN, "code", w.Code)
	}
	return nil
}

// ProxyAddr is the bound proxy address.
func (d *Daemon) ProxyAddr() string { return d.proxyLn.Addr().String() }

// ConsoleAddr is the bound console address.
func (d *Daemon) ConsoleAddr() string { return d.consoleLn.Addr().String() }

// Close stops listeners and closes the store.
func (d *Daemon) Close() error {
	var err error
	d.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, s := range d.servers {
			s.Shutdown(ctx)
		}
		d.front.Close()
		d.ocr.Close()
		d.Alerter.Close()
		close(d.stop)
		os.Remove(filepath.Join(d.cfg.DataDir, "daemon.addr"))
		d.wg.Wait()
		err = d.DB.Close()
	})
	return err
}

// Scanner returns the current inspection engine (replaced when the customer list or fingerprints change).
func (d *Daemon) Scanner() *inspect.Scanner { return d.scanner.Load() }

// ReloadInspection rebuilds the scanner from the policy and the store's customer list and fingerprints.
func (d *Daemon) ReloadInspection() error {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	opts, err := ops.ScannerOptions(d.Policy, d.DB)
	if err != nil {
		return err
	}
	opts.OCR.Engine = d.ocr
	opts.Limits.SpillDir = d.paths.Spool
	d.scanner.Store(inspect.NewScanner(opts))
	d.log.Info("inspection ready", "customer_list_values", opts.Detect.Customers.Len(),
		"fingerprints", opts.Detect.Fingerprints.Len(), "keywords", len(opts.Detect.Keywords))
	return nil
}

// SetClock replaces the daemon's clock (tests move it forward to expire grants).
func (d *Daemon) SetClock(now func() time.Time) { d.clock.Store(&now) }

func (d *Daemon) now() time.Time { return (*d.clock.Load())() }
