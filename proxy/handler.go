package proxy

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/elazarl/goproxy"
	"github.com/sluice-dlp/sluice/store"
)

// connState is carried in goproxy's per-connection UserData: who is on this connection.
type connState struct {
	user *store.User
}

func (d *Daemon) newGoproxy(tr *http.Transport) *goproxy.ProxyHttpServer {
	gp := goproxy.NewProxyHttpServer()
	gp.Tr = tr
	gp.ConnectDial = func(network, addr string) (net.Conn, error) {
		return d.dial.DialContext(context.Background(), network, addr)
	}
	gp.Logger = log.New(io.Discard, "", 0)
	gp.Verbose = false
	gp.AllowHTTP2 = false // HTTP/1.1 towards the browser on intercepted connections
	gp.NonproxyHandler = http.HandlerFunc(d.nonProxy)
	gp.OnRequest().HandleConnectFunc(d.handleConnect)
	gp.OnRequest().DoFunc(d.handleRequest)
	return gp
}

// handleConnect authenticates the CONNECT and decides: intercept watched hosts, tunnel the rest.
func (d *Daemon) handleConnect(host string, ctx *goproxy.ProxyCtx) (*goproxy.ConnectAction, string) {
	u, err := d.auth.identify(ctx.Req)
	if err != nil {
		ctx.Resp = proxyAuthRequired(ctx.Req)
		return &goproxy.ConnectAction{Action: goproxy.ConnectReject}, host
	}
	ctx.UserData = &connState{user: u}
	if d.Policy.Catalog().Intercept(host) {
		return &goproxy.ConnectAction{Action: goproxy.ConnectMitm, TLSConfig: d.tlsConfig}, host
	}
	return &goproxy.ConnectAction{Action: goproxy.ConnectAccept}, host
}

// tlsConfig is our replacement for goproxy's TLSConfigFromCA: random keys, bounded cache.
func (d *Daemon) tlsConfig(host string, _ *goproxy.ProxyCtx) (*tls.Config, error) {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	return d.Certs.TLSConfigFor(h), nil
}

// handleRequest runs uploads to watched destinations through the pipeline; everything else streams through.
func (d *Daemon) handleRequest(req *http.Request, ctx *goproxy.ProxyCtx) (*http.Request, *http.Response) {
	var u *store.User
	if cs, ok := ctx.UserData.(*connState); ok {
		u = cs.user
	} else {
		var err error
		if u, err = d.auth.identify(req); err != nil {
			return req, proxyAuthRequired(req)
		}
	}
	req.Header.Del("Proxy-Authorization")
	dest := d.Policy.Catalog().Lookup(req.URL.Host, req.URL.Path)
	if !dest.Watched() || !hasBody(req) {
		return req, nil
	}
	f := &Flow{Ctx: req.Context(), Req: req, User: u, Dest: dest, Started: time.Now()}
	d.pipeline.Run(f)
	if f.Response != nil {
		f.close()
		return req, f.Response
	}
	return req, nil
}

// hasBody reports whether a request may carry an upload.
func hasBody(r *http.Request) bool {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		return r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody
	}
	return false
}

// nonProxy answers requests sent to the proxy port as if it were a web server.
func (d *Daemon) nonProxy(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	io.WriteString(w, "这是 Sluice 代理端口，请在浏览器中配置代理或使用 PAC 文件："+d.ConsoleURL()+"/proxy.pac\n"+
		"This is the Sluice proxy port; configure it as your browser's proxy or use "+d.ConsoleURL()+"/proxy.pac\n")
}

func slogAdapter(l *slog.Logger) *log.Logger {
	return slog.NewLogLogger(l.Handler(), slog.LevelWarn)
}

// textResponse builds a complete response with a fixed body.
func textResponse(r *http.Request, status int, contentType, body string) *http.Response {
	resp := &http.Response{
		StatusCode:    status,
		Status:        http.StatusText(status),
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       r,
	}
	resp.Header.Set("Content-Type", contentType)
	resp.Header.Set("Cache-Control", "no-store")
	resp.Header.Set("X-Sluice", "1")
	return resp
}
