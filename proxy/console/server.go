// Package console is Sluice's HTTP surface on the console address: the reviewer pages, the JSON API
// (approvals, archive, admin jobs), the PAC file, the CA download page and the extension's WebSocket.
// Every job is a thin adapter over the operations layer (internal/ops), bound to the caller.
package console

import (
	"context"
	"embed"
	"github.com/sluice-dlp/sluice/internal/authguard"
	"github.com/sluice-dlp/sluice/proxy/risk"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/internal/ops"
	"github.com/sluice-dlp/sluice/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config wires the console to the jobs, the store, the extension hub and what the daemon tells browsers.
type Config struct {
	Ops           *ops.Local   // the jobs; the console binds them to each caller
	DB            *store.DB    // users, tokens and kept files (previews)
	Hub           http.Handler // the extension WebSocket, mounted at /ws (nil: none)
	Site          Site         // PAC, CA and health
	BaseURL       string       // e.g. http://127.0.0.1:8081, used in links sent to people
	Logger        *slog.Logger
	SecureCookies bool   // set the Secure flag on the session cookie (console served over HTTPS)
	MaxUses       int    // default number of sends a grant allows; 1 when zero
	SpoolDir      string // where large uploaded files wait (the data dir's spool/)
	// Risk ranks users by early-warning score (nil: no Risk page).
	Risk func() []risk.Standing
}

// Server is the console: pages, API, PAC, CA page and /ws.
type Server struct {
	c         Config
	sessions  *sessions
	limiter   *limiter
	pairFails *authguard.Window // wrong pairing codes per client address
	pages     map[string]*template.Template
	handler   http.Handler
	previews  *previewCache
	docs      *docPreviews
}

// NewServer builds the console.
func NewServer(c Config) *Server {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.MaxUses <= 0 {
		c.MaxUses = 1
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	s := &Server{c: c, sessions: newSessions(c.DB), limiter: newLimiter(), pages: parsePages(), previews: newPreviewCache(), docs: newDocPreviews(scannerFor(c)),
		pairFails: authguard.NewWindow(pairingMaxFails, 5*time.Minute, maxGuardKeys)}
	mux := http.NewServeMux()
	s.routes(mux)
	s.handler = http.NewCrossOriginProtection().Handler(securityHeaders(mux))
	return s
}

// ServeHTTP serves every console route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) routes(mux *http.ServeMux) {
	s.siteRoutes(mux)
	s.rolloutRoutes(mux)
	mux.HandleFunc("GET /login", s.login)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.logout)
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	if s.c.Hub != nil {
		mux.Handle("GET /ws", s.c.Hub)
	}

	mux.HandleFunc("GET /{$}", s.page(s.home))
	mux.HandleFunc("GET /queue", s.page(s.queuePage))
	mux.HandleFunc("GET /mine", s.page(s.minePage))
	mux.HandleFunc("GET /history", s.page(s.historyPage))
	mux.HandleFunc("GET /archive", s.page(s.archivePage))
	mux.HandleFunc("GET /audit", s.page(s.auditPage))
	mux.HandleFunc("GET /request/new", s.page(s.newRequestPage))
	mux.HandleFunc("POST /request/new", s.page(s.newRequestPost))
	mux.HandleFunc("GET /request/{id}", s.page(s.requestPage))
	mux.HandleFunc("POST /request/{id}/{action}", s.page(s.requestAction))
	mux.HandleFunc("GET /request/{id}/preview/{n}", s.page(s.previewImage))
	mux.HandleFunc("GET /event/{id}/preview/{n}", s.page(s.previewImage))

	s.apiRoutes(mux)
	s.adminRoutes(mux)
	mux.HandleFunc("/api/", s.api(func(w http.ResponseWriter, r *http.Request, _ *ops.Local) {
		api.WriteError(w, r, l10n.Errorf(l10n.NotFound, "没有这个 API：%s %s", "no such API route: %s %s", r.Method, r.URL.Path))
	}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if s.authUser(r) == nil {
			s.toLogin(w, r)
			return
		}
		http.NotFound(w, r)
	})
}

// securityHeaders sets headers every console answer carries.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; frame-ancestors 'none'")
		h.ServeHTTP(w, r)
	})
}

type userHandler func(http.ResponseWriter, *http.Request, *store.User)

// page wraps a console page: unauthenticated callers are sent to the login page.
func (s *Server) page(h userHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u := s.authUser(r)
		if u == nil {
			s.toLogin(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		h(w, r, u)
	}
}

func (s *Server) toLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, pageLang(nil, r).T("unauthorized"), http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
}

// opsHandler is an API route: it gets the jobs bound to the caller, and the request's context carries its language.
type opsHandler func(http.ResponseWriter, *http.Request, *ops.Local)

// api wraps an API route: unauthenticated callers get 401 JSON; the rest get the jobs as themselves.
func (s *Server) api(h opsHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u := s.authUser(r)
		if u == nil && r.Header.Get("Authorization") != "" {
			api.WriteError(w, r, l10n.New(l10n.Unauthorized, "令牌无效、已被吊销，或其用户已停用；请换一个有效令牌（命令行：--token 或 SLUICE_TOKEN；新建：sluice users token NAME）",
				"the token is not valid, was revoked, or its user is disabled; use a valid one (CLI: --token or SLUICE_TOKEN; a new one: sluice users token NAME)"))
			return
		}
		if u == nil {
			api.WriteError(w, r, l10n.New(l10n.Unauthorized, "请先登录，或使用 'Authorization: Bearer <令牌>'（sluice users token NAME）",
				"sign in, or use 'Authorization: Bearer <token>' (sluice users token NAME)"))
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		h(w, r.WithContext(l10n.WithLang(r.Context(), api.Lang(r))), s.c.Ops.As(u))
	}
}

// as returns the jobs bound to a page's user, and a context in the page's language.
func (s *Server) as(w http.ResponseWriter, r *http.Request, u *store.User) (*ops.Local, context.Context) {
	return s.c.Ops.As(u), l10n.WithLang(r.Context(), l10n.Lang(pageLang(w, r)))
}
