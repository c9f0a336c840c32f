package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/elazarl/goproxy"
	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/proxy/review"
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
	MaxInspect      int64    // bodies above this get the "uninspectable" verdict
	NameConstraints bool     // restrict a newly created CA to the catalog's domains
	CertCacheSize   int
	AllowLoopbackWS bool // let loopback web pages use the extension WebSocket (tests)
	SecureCookies   bool // console served behind HTTPS
	Logger          *slog.Logger
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
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
}

// Daemon is a running Sluice: proxy listener, console listener, store, policy and pipeline.
type Daemon struct {
	cfg                Config
	paths              Paths
	log                *slog.Logger
	CA                 *CA
	Certs              *CertCache
	DB                 *store.DB
	Policy             *policy.Policy
	scanner            atomic.Pointer[inspect.Scanner]
	Marker             *watermark.Marker
	pipeline           *Pipeline
	gp                 *goproxy.ProxyHttpServer
	auth               *authenticator
	consoleMux         *http.ServeMux
	dial               *dialer
	proxyLn, consoleLn net.Listener
	servers            []*http.Server
	hooks              daemonHooks
	wg                 sync.WaitGroup
	closeOnce          sync.Once
	stop               chan struct{}
	reloadMu           sync.Mutex // serialises ReloadInspection: the last to run loads the freshest state
	// now is the daemon's clock (tests move it forward to expire grants).
	now func() time.Time
	// Review is the reviewer console and API; Hub the extension notify hub; Alerter the manager alerts.
	Review  *review.Server
	Hub     *review.Hub
	Alerter *review.Alerter
}

// daemonHooks connect the daemon to optional parts (review console, notify hub, alerts, watermarks).
type daemonHooks struct {
	notify   func(user string, n Notice)
	alert    func(a AlertInfo)
	closers  []func()
	minutely []func(now time.Time)
}

// New prepares a daemon: creates the data dir on first start, loads CA, policy and store.
func New(cfg Config) (*Daemon, error) {
	cfg.defaults()
	if !isLoopback(cfg.Listen) && cfg.User != "" {
		return nil, fmt.Errorf("sluice: --listen %s is reachable from the network, so every user must log in to the proxy; drop --user and add users with 'sluice users add NAME'", cfg.Listen)
	}
	if _, err := Init(cfg.DataDir, cfg.NameConstraints); err != nil {
		return nil, err
	}
	d := &Daemon{cfg: cfg, paths: PathsFor(cfg.DataDir), log: cfg.Logger, stop: make(chan struct{}), now: time.Now}
	var err error
	if d.Policy, err = policy.LoadFile(d.paths.Policy); err != nil {
		return nil, err
	}
	if d.CA, err = LoadOrCreateCA(cfg.DataDir, nil); err != nil {
		return nil, err
	}
	d.Certs = NewCertCache(d.CA, cfg.CertCacheSize)
	if d.DB, err = store.Open(d.paths.DB, d.paths.Blobs); err != nil {
		if errors.Is(err, store.ErrLocked) {
			return nil, fmt.Errorf("sluice: another sluice daemon already uses %s; stop it first or pick another --data dir", cfg.DataDir)
		}
		return nil, err
	}
	if !isLoopback(cfg.Listen) {
		users, _ := d.DB.Users()
		staff := 0
		for _, u := range users {
			if u.PasswordHash != "" && !u.Disabled && u.HasRole(store.RoleStaff) {
				staff++
			}
		}
		if staff == 0 {
			d.DB.Close()
			return nil, fmt.Errorf("sluice: --listen %s is reachable from the network, so staff must log in to the proxy, but no staff user has a password; add one with 'sluice users add NAME --password ...'", cfg.Listen)
		}
	}
	if cfg.User != "" {
		if _, err := d.DB.User(cfg.User); err != nil {
			d.DB.Close()
			return nil, fmt.Errorf("sluice: --user %s is not a known user; add it with 'sluice users add %s --display-name 张三 --staff-id A1024'", cfg.User, cfg.User)
		}
	}
	resolve, err := ParseResolve(cfg.Resolve)
	if err != nil {
		d.DB.Close()
		return nil, err
	}
	roots, err := LoadRoots(cfg.UpstreamCAs)
	if err != nil {
		d.DB.Close()
		return nil, err
	}
	d.dial = newDialer(resolve)
	if err := d.ReloadInspection(); err != nil {
		d.DB.Close()
		return nil, err
	}
	key, err := watermark.LoadOrCreateKey(d.paths.MarkKey)
	if err != nil {
		d.DB.Close()
		return nil, err
	}
	d.Marker = watermark.NewMarker(key)
	d.auth = newAuthenticator(d.DB, cfg.User, isLoopback(cfg.Listen))
	d.gp = d.newGoproxy(upstreamTransport(roots, d.dial))
	d.pipeline = d.defaultPipeline()
	if d.proxyLn, err = net.Listen("tcp", cfg.Listen); err != nil {
		d.DB.Close()
		return nil, fmt.Errorf("sluice: cannot listen on %s for the proxy: %w; choose another with --listen", cfg.Listen, err)
	}
	if d.consoleLn, err = net.Listen("tcp", cfg.Console); err != nil {
		d.proxyLn.Close()
		d.DB.Close()
		return nil, fmt.Errorf("sluice: cannot listen on %s for the console: %w; choose another with --console", cfg.Console, err)
	}
	d.consoleMux = http.NewServeMux()
	d.registerConsole(d.consoleMux)
	d.wireReview()
	return d, nil
}

// Paths returns the data dir layout.
func (d *Daemon) Paths() Paths { return d.paths }

// ConsoleMux is the console listener's mux, for parts (review console, hub) that mount handlers.
func (d *Daemon) ConsoleMux() *http.ServeMux { return d.consoleMux }

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
	proxySrv := &http.Server{Handler: d.gp, ReadHeaderTimeout: 30 * time.Second, ErrorLog: slogAdapter(d.log)}
	consoleSrv := &http.Server{Handler: d.consoleHandler(), ReadHeaderTimeout: 30 * time.Second, ErrorLog: slogAdapter(d.log)}
	d.servers = []*http.Server{proxySrv, consoleSrv}
	for srv, ln := range map[*http.Server]net.Listener{proxySrv: d.proxyLn, consoleSrv: d.consoleLn} {
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
		for _, c := range d.hooks.closers {
			c()
		}
		d.stopHousekeeping()
		os.Remove(filepath.Join(d.cfg.DataDir, "daemon.addr"))
		d.wg.Wait()
		err = d.DB.Close()
	})
	return err
}

// Scanner returns the current inspection engine (replaced when the customer list or fingerprints change).
func (d *Daemon) Scanner() *inspect.Scanner { return d.scanner.Load() }

// ReloadInspection rebuilds the scanner from the policy and the store's customer list and fingerprints;
// call it after importing customers or adding fingerprints through the daemon.
func (d *Daemon) ReloadInspection() error {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	opts, err := d.inspectOptions()
	if err != nil {
		return err
	}
	d.scanner.Store(inspect.NewScanner(opts))
	return nil
}

// inspectOptions builds the daemon's scanner options and logs what it loaded.
func (d *Daemon) inspectOptions() (inspect.Options, error) {
	o, err := InspectOptions(d.Policy, d.DB)
	if err != nil {
		return o, err
	}
	d.log.Info("inspection ready", "customer_list_values", o.Detect.Customers.Len(),
		"fingerprints", o.Detect.Fingerprints.Len(), "keywords", len(o.Detect.Keywords))
	return o, nil
}

// InspectOptions builds scanner options from the policy and the store's customer list and
// fingerprints, for the daemon and for `sluice scan` alike.
func InspectOptions(p *policy.Policy, db *store.DB) (inspect.Options, error) {
	customers, err := db.LoadCustomerIndex()
	if err != nil {
		return inspect.Options{}, fmt.Errorf("sluice: cannot load the customer list: %w", err)
	}
	prints, err := db.LoadFingerprintIndex()
	if err != nil {
		return inspect.Options{}, fmt.Errorf("sluice: cannot load file fingerprints: %w", err)
	}
	return inspect.Options{Limits: p.Inspect.Limits(),
		Detect: inspect.DetectOptions{Keywords: p.Inspect.Keywords, Customers: customers, Fingerprints: prints}}, nil
}
