package console

import (
	"crypto/sha256"
	"crypto/x509"
	"embed"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"strings"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
)

//go:embed pages/*.html
var pageFS embed.FS

var sitePages = template.Must(template.ParseFS(pageFS, "pages/*.html"))

// Site is what the console tells browsers and monitoring about the proxy: its CA, its PAC file, its health.
type Site struct {
	CA        *x509.Certificate
	CAPEM     []byte
	ProxyAddr func() string                 // the bound proxy address
	PAC       func(proxyAddr string) []byte // the PAC script routing browsers to proxyAddr
	Health    func() map[string]any         // extra fields of /api/health
	Warnings  func() []Warning              // what the operator should fix: in /api/health and on admins' pages
}

// Warning is something about the set-up an operator should fix, in both languages.
type Warning struct {
	Code string // stable, for monitoring: e.g. identity_os_account
	ZH   string
	EN   string
}

// warnings returns the site's warnings in lang.
func (s *Server) warnings(lang l10n.Lang) []map[string]string {
	if s.c.Site.Warnings == nil {
		return nil
	}
	var out []map[string]string
	for _, w := range s.c.Site.Warnings() {
		out = append(out, map[string]string{"code": w.Code, "message": lang.Pick(w.ZH, w.EN)})
	}
	return out
}

// Fingerprint returns the SHA-256 fingerprint of a certificate as browsers show it.
func Fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

func (s *Server) siteRoutes(mux *http.ServeMux) {
	site := s.c.Site
	if site.CA == nil || site.ProxyAddr == nil || site.PAC == nil {
		return // a console without a proxy (tests of the pages alone)
	}
	mux.HandleFunc("GET /proxy.pac", s.servePAC)
	mux.HandleFunc("GET /ca", s.serveCAPage)
	mux.HandleFunc("GET /ca.pem", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-pem-file")
		w.Header().Set("Content-Disposition", `attachment; filename="sluice-ca.pem"`)
		w.Write(site.CAPEM)
	})
	mux.HandleFunc("GET /ca.crt", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-x509-ca-cert")
		w.Header().Set("Content-Disposition", `attachment; filename="sluice-ca.crt"`)
		w.Write(site.CA.Raw)
	})
	mux.HandleFunc("GET /api/health", func(w http.ResponseWriter, r *http.Request) {
		out := map[string]any{"ok": true, "proxy": site.ProxyAddr(), "console": s.c.BaseURL, "ca_fingerprint": Fingerprint(site.CA)}
		if site.Health != nil {
			for k, v := range site.Health() {
				out[k] = v
			}
		}
		if ws := s.warnings(api.Lang(r)); len(ws) > 0 {
			out["warnings"] = ws
		}
		api.WriteJSON(w, http.StatusOK, out)
	})
}

// proxyAddrFor is the proxy address a browser asking r should use: the bound one, or, when the proxy
// listens on every interface, the host the browser reached the console by.
func (s *Server) proxyAddrFor(r *http.Request) string {
	addr := s.c.Site.ProxyAddr()
	if host, port, err := net.SplitHostPort(addr); err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			reqHost, _, err := net.SplitHostPort(r.Host)
			if err != nil {
				reqHost = r.Host
			}
			addr = net.JoinHostPort(reqHost, port)
		}
	}
	return addr
}

func (s *Server) servePAC(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-ns-proxy-autoconfig")
	w.Write(s.c.Site.PAC(s.proxyAddrFor(r)))
}

func (s *Server) serveCAPage(w http.ResponseWriter, r *http.Request) {
	ca := s.c.Site.CA
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := sitePages.ExecuteTemplate(w, "ca.html", map[string]any{"EN": api.Lang(r) == "en",
		"Fingerprint": Fingerprint(ca), "Subject": ca.Subject.CommonName, "NotAfter": ca.NotAfter.Format("2006-01-02"),
		"PAC": s.c.BaseURL + "/proxy.pac", "Proxy": s.proxyAddrFor(r)}); err != nil {
		s.c.Logger.Error("CA page failed", "err", err)
	}
}
