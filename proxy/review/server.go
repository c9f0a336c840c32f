package review

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config wires the console to the store, the notify hub and the alert channels.
type Config struct {
	DB            *store.DB
	Hub           *Hub
	Alerter       *Alerter
	BaseURL       string // e.g. http://127.0.0.1:8081, used in links sent to people
	Logger        *slog.Logger
	SecureCookies bool // set the Secure flag on the session cookie (console served over HTTPS)
	MaxUses       int  // default number of sends a grant allows; 1 when zero
}

// Server is the reviewer console, the JSON API and the /ws endpoint.
type Server struct {
	c        Config
	sessions *sessions
	limiter  *limiter
	pages    map[string]*template.Template
	handler  http.Handler
	previews *previewCache
}

// NewServer builds the console; mount it with Register.
func NewServer(c Config) *Server {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.MaxUses <= 0 {
		c.MaxUses = 1
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	s := &Server{c: c, sessions: newSessions(), limiter: newLimiter(), pages: parsePages(), previews: newPreviewCache()}
	mux := http.NewServeMux()
	s.routes(mux)
	s.handler = http.NewCrossOriginProtection().Handler(securityHeaders(mux))
	return s
}

// Register mounts the console pages, /login, /logout, /request/..., /api/... (except the daemon's
// /api/admin/ and /api/health), /ws and /static/ on mux, behind cross-origin (CSRF) protection.
func (s *Server) Register(mux *http.ServeMux) {
	for _, p := range []string{"/", "/login", "/logout", "/request/", "/api/", "/ws", "/static/"} {
		mux.Handle(p, s.handler)
	}
}

// ServeHTTP serves the console directly (used by tests and single-purpose servers).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) routes(mux *http.ServeMux) {
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

	mux.HandleFunc("GET /api/me", s.api(s.apiMe))
	mux.HandleFunc("GET /api/events/{id}", s.api(s.apiEvent))
	mux.HandleFunc("POST /api/requests", s.api(s.apiFile))
	mux.HandleFunc("GET /api/requests", s.api(s.apiList))
	mux.HandleFunc("GET /api/queue", s.api(s.apiQueue))
	mux.HandleFunc("GET /api/requests/{id}", s.api(s.apiShow))
	mux.HandleFunc("POST /api/requests/{id}/{action}", s.api(s.apiAct))
	mux.HandleFunc("GET /api/archive", s.api(s.apiArchive))
	mux.HandleFunc("/api/", s.api(func(w http.ResponseWriter, r *http.Request, u *store.User) {
		apiError(w, r, http.StatusNotFound, "not_found", "no such API route: "+r.Method+" "+r.URL.Path)
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
		http.Error(w, "sluice: sign in first", http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
}

// api wraps an API route: unauthenticated callers get 401 JSON.
func (s *Server) api(h userHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u := s.authUser(r)
		if u == nil {
			apiError(w, r, http.StatusUnauthorized, "unauthorized", "use 'Authorization: Bearer <token>' (sluice users token NAME) or sign in")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		h(w, r, u)
	}
}

// ExpireSweep marks undecided requests past their deadline as expired and tells their requesters.
func (s *Server) ExpireSweep(now time.Time) {
	rs, err := s.c.DB.ExpireRequests(now)
	if err != nil {
		s.c.Logger.Error("sluice: approval expiry sweep failed", "err", err)
		return
	}
	for _, r := range rs {
		s.notifyRequester(r, "expired")
	}
}

// notifyRequester sends a status notice about r to its requester's extension.
func (s *Server) notifyRequester(r *store.Request, typ string) {
	if s.c.Hub == nil {
		return
	}
	s.c.Hub.Notify(r.Requester, Notice{Type: typ, EventID: r.EventID, RequestID: r.ID, Destination: r.Host,
		Files: fileNames(r.Files), FormURL: s.c.BaseURL + "/request/" + r.ID})
}

func fileNames(fs []store.FileRecord) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.Name)
	}
	return out
}

// Visibility rules shared by pages and API.

func isReviewer(u *store.User) bool {
	return u.HasRole(store.RoleReviewer) || u.HasRole(store.RoleAdmin)
}
func isAdmin(u *store.User) bool { return u.HasRole(store.RoleAdmin) }
func canInvestigate(u *store.User) bool {
	return u.HasRole(store.RoleAdmin) || u.HasRole(store.RoleInvestigator)
}

// canSeeRequest: the requester, the designated lead and head, anyone who acted, admins, investigators.
func canSeeRequest(u *store.User, r *store.Request) bool {
	if u.Name == r.Requester || canInvestigate(u) {
		return true
	}
	if isReviewer(u) && (u.Name == r.Lead || u.Name == r.Head) {
		return true
	}
	for _, st := range r.History {
		if st.Actor == u.Name {
			return true
		}
	}
	return false
}

// canSeeEvent: own events; reviewers, admins and investigators see any.
func canSeeEvent(u *store.User, e *store.Event) bool {
	return e.User == u.Name || isReviewer(u) || canInvestigate(u)
}
