package front

import (
	"context"
	"fmt"
	"html"
	"io"
	"log"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/elazarl/goproxy"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/internal/metrics"
	"github.com/sluice-dlp/sluice/proxy/pipeline"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/proxy/upload"
	"github.com/sluice-dlp/sluice/store"
)

// Config is what the front needs.
type Config struct {
	Certs      *CertCache
	Auth       *Authenticator
	Policy     *policy.Policy
	Pipeline   *pipeline.Pipeline
	Transport  *http.Transport // to the real sites
	Dial       *Dialer
	ConsoleURL func() string
	Log        *slog.Logger
	Now        func() time.Time
	// Learn is shown the site's answers to upload requests that announce slices to come (tus creation).
	Learn func(req *http.Request, resp *http.Response)
	// Compat is told about a site that breaks under interception (its TLS fails: untrusted certificate,
	// client certificate demanded, protocol refused), so the admin can put it on the bypass list.
	Compat func(host string, err error)
	// Limits bound the intercepted connections (timeouts per phase, minimum body rate).
	Limits Limits
	// Metrics counts requests and upstream errors (nil: off).
	Metrics *metrics.Metrics
}

// Front is the proxy listener's handler: CONNECT decisions, interception and forwarding.
type Front struct {
	c      Config
	lim    Limits
	gp     *goproxy.ProxyHttpServer
	mu     sync.Mutex
	active map[*http.Server]struct{} // the servers of intercepted connections
	closed bool
}

// connState is carried in the context of an intercepted connection's requests: the CONNECT that
// opened it, whose credentials are checked again for every request (a revoked login, a role or a
// departing date changed meanwhile apply at once, not when the browser reconnects).
type connState struct {
	connect *http.Request
}

type flowKey struct{}
type connKey struct{}

// New wires goproxy with Sluice's CONNECT decision, certificates, pipeline and forwarding.
func New(c Config) *Front {
	if c.Now == nil {
		c.Now = time.Now
	}
	f := &Front{c: c, lim: c.Limits.WithDefaults(), active: map[*http.Server]struct{}{}}
	gp := goproxy.NewProxyHttpServer()
	gp.Tr = c.Transport
	gp.Logger = log.New(io.Discard, "", 0)
	gp.Verbose = false
	gp.AllowHTTP2 = false // HTTP/1.1 towards the browser on intercepted connections
	gp.NonproxyHandler = http.HandlerFunc(f.nonProxy)
	gp.OnRequest().DoFunc(f.handleRequest)
	f.gp = gp
	return f
}

// ServeHTTP serves the proxy port: CONNECTs here, plain proxy requests through goproxy.
func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		f.connect(w, r)
		return
	}
	f.gp.ServeHTTP(w, r)
}

// handleRequest runs requests with a body to watched destinations through the pipeline; everything
// else streams through. Either way the front forwards it (RoundTrip) and reports the outcome.
func (f *Front) handleRequest(req *http.Request, ctx *goproxy.ProxyCtx) (*http.Request, *http.Response) {
	var u *store.User
	if cs, ok := req.Context().Value(connKey{}).(*connState); ok {
		var err error
		if u, err = f.c.Auth.Identify(cs.connect); err != nil {
			resp := ProxyAuthRequired(req)
			resp.Header.Set("Connection", "close")
			return req, resp
		}
	} else {
		var err error
		if u, err = f.c.Auth.Identify(req); err != nil {
			resp := ProxyAuthRequired(req)
			resp.Header.Set("Connection", "close") // an unauthenticated client does not keep the connection
			return req, resp
		}
		// A plain proxy request names its own host; an intercepted one's host is the one its CONNECT
		// named (and refuseConnect checked), whatever its Host header says.
		if resp := f.refuseRequest(req, u); resp != nil {
			return req, resp
		}
	}
	ctx.RoundTripper = f
	req.Header.Del("Proxy-Authorization")
	dest := f.c.Policy.Catalog().Lookup(req.URL.Host, req.URL.Path)
	if !dest.Inspected() || !hasBody(req) && !upload.Bodiless(req) {
		return req, nil
	}
	f.c.Metrics.Request(string(dest.Category))
	fl := &pipeline.Flow{Ctx: req.Context(), Req: req, User: u, Dest: dest, Started: f.c.Now()}
	f.c.Pipeline.Run(fl)
	if fl.Response != nil {
		fl.Close()
		return req, fl.Response
	}
	return fl.Req.WithContext(context.WithValue(fl.Req.Context(), flowKey{}, fl)), nil
}

// RoundTrip forwards a request to its site on a pooled connection (whatever Connection header the
// browser sent), reports the outcome of a judged upload to the pipeline, and turns an unreachable site
// into a 502 page instead of an empty reply.
func (f *Front) RoundTrip(req *http.Request, _ *goproxy.ProxyCtx) (*http.Response, error) {
	fl, _ := req.Context().Value(flowKey{}).(*pipeline.Flow)
	req.Close = false
	var resp *http.Response
	err := f.replay(req, fl)
	if err == nil {
		resp, err = f.c.Transport.RoundTrip(req)
	}
	if fl != nil {
		f.c.Pipeline.Finish(fl, resp, err)
	}
	if err == nil && f.c.Learn != nil && req.Header.Get("Tus-Resumable") != "" {
		f.c.Learn(req, resp)
	}
	if err != nil {
		f.c.Metrics.UpstreamError(string(f.c.Policy.Catalog().Lookup(req.URL.Host, "").Category))
		f.c.Log.Warn("upstream unreachable", "host", req.URL.Host, "method", req.Method, "err", err)
		if f.c.Compat != nil && TLSFailure(err) {
			f.c.Compat(req.URL.Hostname(), err)
		}
		return gatewayError(req, err), nil
	}
	return resp, nil
}

// replay sends the held slices of a file this request completes, in order, before the request itself, and
// puts the site's own values (ETags, session ids) in place of those Sluice answered with.
func (f *Front) replay(req *http.Request, fl *pipeline.Flow) error {
	if fl == nil || fl.Replay == nil || fl.Replay.Len() == 0 {
		return nil
	}
	for i, h := range fl.Replay.Requests {
		resp, err := f.c.Transport.RoundTrip(fl.Replay.Request(req.Context(), h))
		if err != nil {
			return l10n.Wrap(err, l10n.Unavailable, "发送第 %d 个暂存分片时失败", "sending held slice %d failed", i+1)
		}
		fl.Replay.Learn(h, resp)
		resp.Body.Close()
		if resp.StatusCode >= 400 {
			return l10n.Errorf(l10n.Unavailable, "网站拒绝了第 %d 个暂存分片（%s）", "the site refused held slice %d (%s)", i+1, resp.Status)
		}
	}
	nb, err := fl.Replay.Fix(req, fl.Forward)
	if err != nil {
		return err
	}
	if nb != nil {
		req.Body, req.ContentLength = readCloser{nb.Reader(), req.Body}, nb.Size()
		req.Header.Set("Content-Length", strconv.FormatInt(nb.Size(), 10))
	}
	return nil
}

// readCloser reads one body and closes another (the flow's, which releases its spools).
type readCloser struct {
	io.Reader
	io.Closer
}

// hasBody reports whether a request may carry an upload: any method but CONNECT with a non-empty body.
func hasBody(r *http.Request) bool {
	return r.Method != http.MethodConnect && r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody
}

// gatewayError is the answer when the site cannot be reached: a page for navigations, text otherwise.
func gatewayError(req *http.Request, err error) *http.Response {
	lang := pipeline.LangOf(req)
	msg := lang.Pick(fmt.Sprintf("Sluice 无法连接 %s：%s。请稍后重试；如持续出现，请联系管理员。", req.URL.Host, l10n.Text(err, lang)),
		fmt.Sprintf("Sluice cannot reach %s: %s. Try again later; if it persists, contact your administrator.", req.URL.Host, l10n.Text(err, lang)))
	if pipeline.WantsHTML(req) {
		page := "<!doctype html><html><head><meta charset=\"utf-8\"><title>502</title></head><body><h1>502</h1><p>" +
			html.EscapeString(msg) + "</p></body></html>"
		return pipeline.TextResponse(req, http.StatusBadGateway, "text/html; charset=utf-8", page)
	}
	return pipeline.TextResponse(req, http.StatusBadGateway, "text/plain; charset=utf-8", msg+"\n")
}

// nonProxy answers requests sent to the proxy port as if it were a web server.
func (f *Front) nonProxy(w http.ResponseWriter, r *http.Request) {
	pac := f.c.ConsoleURL() + "/proxy.pac"
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	io.WriteString(w, "这是 Sluice 代理端口，请在浏览器中配置代理或使用 PAC 文件："+pac+"\n"+
		"This is the Sluice proxy port; configure it as your browser's proxy or use "+pac+"\n")
}

// ErrorLog adapts slog for http.Server's error log.
func ErrorLog(l *slog.Logger) *log.Logger {
	return slog.NewLogLogger(l.Handler(), slog.LevelWarn)
}
