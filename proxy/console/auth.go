package console

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/internal/authguard"
	"github.com/sluice-dlp/sluice/store"
)

// Session settings (the login limits are in limiter.go).
const (
	sessionCookie   = "sluice_session"
	sessionTTL      = 12 * time.Hour
	maxLoginBodyLen = 4096
)

// sessions keeps console logins in the store (only a hash of each id), so a restart or another node
// sharing the store keeps reviewers signed in.
type sessions struct{ db *store.DB }

func newSessions(db *store.DB) *sessions { return &sessions{db: db} }

// create starts a session for user and returns its random id ("" when the store refused it).
func (s *sessions) create(user string, now time.Time) string {
	var b [32]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	if s.db.PutSession(id, user, now.Add(sessionTTL)) != nil {
		return ""
	}
	return id
}

// lookup returns the user of a live session.
func (s *sessions) lookup(id string, now time.Time) (string, bool) {
	user, err := s.db.SessionUser(id, now)
	return user, err == nil && user != ""
}

func (s *sessions) drop(id string) { s.db.DropSession(id) }

// authUser returns the caller: API token (Authorization: Bearer) first, then the session cookie.
func (s *Server) authUser(r *http.Request) *store.User {
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return nil
		}
		u, err := s.c.DB.UserByToken(strings.TrimSpace(tok))
		if err != nil {
			return nil
		}
		return u
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	name, ok := s.sessions.lookup(c.Value, time.Now())
	if !ok {
		return nil
	}
	u, err := s.c.DB.User(name)
	if err != nil || u.Disabled {
		return nil
	}
	return u
}

// loginPage shows the login form (GET) or checks the password (POST).
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(w, r)
	if r.Method == http.MethodGet {
		s.render(w, r, "login", &page{Lang: lang, Title: lang.T("login"), Next: safeNext(r.URL.Query().Get("next"))})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginBodyLen)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	name := strings.TrimSpace(r.PostFormValue("username"))
	next := safeNext(r.PostFormValue("next"))
	now := time.Now()
	addr := authguard.AddrKey(r.RemoteAddr)
	p := &page{Lang: lang, Title: lang.T("login"), Next: next, Username: name}
	try := s.limiter.begin(name, addr, now)
	if try.limited {
		s.c.Logger.Warn("console login refused: too many failures", "user", name, "ip", addr, "per_account", try.limitPair)
		p.Error, p.status = lang.T("login_limited"), http.StatusTooManyRequests
		if try.limitPair {
			p.Error = lang.T("login_limited_pair")
		}
		w.Header().Set("Retry-After", strconv.Itoa(int(try.retryAfter/time.Second)+1))
		s.render(w, r, "login", p)
		return
	}
	if err := try.wait(r.Context()); err != nil {
		return // the client went away while held
	}
	u, err := s.c.DB.User(name)
	if !authguard.Verify(u, err, r.PostFormValue("password")) {
		s.c.Logger.Warn("console login failed", "user", name, "ip", addr, "held", try.delay)
		p.Error, p.status = lang.T("login_failed"), http.StatusUnauthorized
		s.render(w, r, "login", p)
		return
	}
	now = time.Now()
	try.succeeded(now)
	id := s.sessions.create(u.Name, now)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.c.SecureCookies, MaxAge: int(sessionTTL / time.Second)})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout ends the session.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.sessions.drop(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.c.SecureCookies})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
