package front

import (
	"context"
	"errors"
	"html"
	"net"
	"net/http"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/proxy/pipeline"
	"github.com/sluice-dlp/sluice/store"
)

// refuseConnect answers a CONNECT that a shared proxy will not open with a 403 and an audit event; nil lets it go ahead.
func (f *Front) refuseConnect(host string, u *store.User, r *http.Request) *http.Response {
	g := f.c.Dial.guard
	if g == nil {
		return nil
	}
	if _, _, err := net.SplitHostPort(host); err != nil {
		host = net.JoinHostPort(host, "80") // goproxy tunnels a CONNECT without a port to port 80
	}
	re := g.early(r.Context(), host)
	if re == nil {
		return nil
	}
	g.audit(u, r, re)
	return refusal(r, re, false)
}

// refuseRequest answers a request (plain HTTP, or inside an intercepted connection, whose Host may differ
// from its CONNECT's) that a shared proxy will not send with a 403 and an audit event; nil lets it go ahead.
func (f *Front) refuseRequest(req *http.Request, u *store.User) *http.Response {
	g := f.c.Dial.guard
	if g == nil {
		return nil
	}
	port := req.URL.Port()
	if port == "" {
		port = "80"
		if req.URL.Scheme == "https" {
			port = "443"
		}
	}
	re := g.early(req.Context(), net.JoinHostPort(req.URL.Hostname(), port))
	if re == nil {
		return nil
	}
	g.audit(u, req, re)
	return refusal(req, re, true)
}

// early checks hostport before any connection is made, remembering the answer for guardCacheTTL; a name
// that does not resolve is left to the dial (a 502, as for any unreachable site).
func (g *ConnectGuard) early(ctx context.Context, hostport string) *RefusedError {
	now := time.Now()
	g.mu.Lock()
	a, ok := g.checked[hostport]
	g.mu.Unlock()
	if !ok || now.After(a.expires) {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := g.check(cctx, hostport)
		cancel()
		var re *RefusedError
		if err != nil && !errors.As(err, &re) {
			return nil
		}
		a = guardAnswer{err: err, expires: now.Add(guardCacheTTL)}
		g.mu.Lock()
		if len(g.checked) >= maxGuardEntries {
			clear(g.checked)
		}
		g.checked[hostport] = a
		g.mu.Unlock()
	}
	var re *RefusedError
	if errors.As(a.err, &re) {
		return re
	}
	return nil
}

// audit logs a refusal and records it in the audit log, once per user, host:port and reason every auditEvery.
func (g *ConnectGuard) audit(u *store.User, r *http.Request, re *RefusedError) {
	key := u.Name + "\x00" + re.HostPort + "\x00" + re.Reason
	now := time.Now()
	g.mu.Lock()
	last, seen := g.audited[key]
	if !seen || now.Sub(last) >= auditEvery {
		if len(g.audited) >= maxGuardEntries {
			clear(g.audited)
		}
		g.audited[key] = now
	}
	g.mu.Unlock()
	if seen && now.Sub(last) < auditEvery {
		return
	}
	g.log.Warn("shared proxy refused a connection", "user", u.Name, "to", re.HostPort, "reason", re.Reason, "address", re.Addr, "client", r.RemoteAddr)
	if g.record == nil {
		return
	}
	host, _, _ := net.SplitHostPort(re.HostPort)
	e := &store.Event{Action: "proxy.refused", User: u.Name, Host: host, Method: r.Method, Verdict: "block",
		Reasons: []string{re.msg.In(l10n.ZH)},
		Extra:   map[string]string{"to": re.HostPort, "reason": re.Reason, "address": re.Addr, "client": r.RemoteAddr, "message_en": re.msg.In(l10n.EN)}}
	if err := g.record(e); err != nil {
		g.log.Error("cannot audit a refused connection", "err", err)
	}
}

// refusal is the 403 a refused connection gets: a page for a navigation (page set), else text, in both languages.
func refusal(r *http.Request, re *RefusedError, page bool) *http.Response {
	lang := pipeline.LangOf(r)
	other := l10n.EN
	if lang == l10n.EN {
		other = l10n.ZH
	}
	first, second := re.msg.In(lang), re.msg.In(other)
	var resp *http.Response
	if page && pipeline.WantsHTML(r) {
		body := "<!doctype html><html><head><meta charset=\"utf-8\"><title>403</title></head><body><h1>403</h1><p>" +
			html.EscapeString(first) + "</p><p>" + html.EscapeString(second) + "</p></body></html>"
		resp = pipeline.TextResponse(r, http.StatusForbidden, "text/html; charset=utf-8", body)
	} else {
		resp = pipeline.TextResponse(r, http.StatusForbidden, "text/plain; charset=utf-8", "Sluice: "+first+"\n"+"Sluice: "+second+"\n")
	}
	resp.Header.Set("X-Sluice-Refused", re.Reason)
	return resp
}
