package console

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sluice-dlp/sluice/store"
)

// Session and login-limit settings.
const (
	sessionCookie   = "sluice_session"
	sessionTTL      = 12 * time.Hour
	maxSessions     = 10000
	loginWindow     = 5 * time.Minute
	loginMaxFails   = 5
	maxLimiterKeys  = 20000
	maxLoginBodyLen = 4096
)

// sessions keeps console logins in memory; a daemon restart signs everybody out.
type sessions struct {
	mu sync.Mutex
	m  map[string]session
}

type session struct {
	user    string
	expires time.Time
}

func newSessions() *sessions { return &sessions{m: map[string]session{}} }

// create starts a session for user and returns its random id.
func (s *sessions) create(user string, now time.Time) string {
	var b [32]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= maxSessions {
		for k, v := range s.m {
			if now.After(v.expires) || len(s.m) >= maxSessions {
				delete(s.m, k)
			}
		}
	}
	s.m[id] = session{user: user, expires: now.Add(sessionTTL)}
	return id
}

// lookup returns the user of a live session.
func (s *sessions) lookup(id string, now time.Time) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[id]
	if !ok {
		return "", false
	}
	if now.After(v.expires) {
		delete(s.m, id)
		return "", false
	}
	return v.user, true
}

func (s *sessions) drop(id string) {
	s.mu.Lock()
	delete(s.m, id)
	s.mu.Unlock()
}

// limiter counts failed logins per key (IP, user) in a sliding window.
type limiter struct {
	mu    sync.Mutex
	fails map[string][]time.Time
}

func newLimiter() *limiter { return &limiter{fails: map[string][]time.Time{}} }

func (l *limiter) recent(key string, now time.Time) []time.Time {
	var keep []time.Time
	for _, t := range l.fails[key] {
		if now.Sub(t) < loginWindow {
			keep = append(keep, t)
		}
	}
	if len(keep) == 0 {
		delete(l.fails, key)
	} else {
		l.fails[key] = keep
	}
	return keep
}

// blocked reports whether any of keys has too many recent failures.
func (l *limiter) blocked(now time.Time, keys ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		if len(l.recent(k, now)) >= loginMaxFails {
			return true
		}
	}
	return false
}

// fail records one failure for each key.
func (l *limiter) fail(now time.Time, keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fails) > maxLimiterKeys {
		for k := range l.fails {
			l.recent(k, now)
		}
		if len(l.fails) > maxLimiterKeys { // a flood from very many addresses: stay bounded
			clear(l.fails)
		}
	}
	for _, k := range keys {
		l.fails[k] = append(l.recent(k, now), now)
	}
}

// clear forgets the failures of key (after a successful login).
func (l *limiter) clear(key string) {
	l.mu.Lock()
	delete(l.fails, key)
	l.mu.Unlock()
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

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
	ipKey, userKey := "ip:"+clientIP(r), "user:"+name
	p := &page{Lang: lang, Title: lang.T("login"), Next: next, Username: name}
	if s.limiter.blocked(now, ipKey, userKey) {
		p.Error, p.status = lang.T("login_limited"), http.StatusTooManyRequests
		s.render(w, r, "login", p)
		return
	}
	u, err := s.c.DB.User(name)
	if err != nil || u.Disabled || !u.CheckPassword(r.PostFormValue("password")) {
		s.limiter.fail(now, ipKey, userKey)
		s.c.Logger.Warn("console login failed", "user", name, "ip", clientIP(r))
		p.Error, p.status = lang.T("login_failed"), http.StatusUnauthorized
		s.render(w, r, "login", p)
		return
	}
	s.limiter.clear(userKey)
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

// safeNext keeps post-login redirects on this site.
func safeNext(n string) string {
	if n == "" || !strings.HasPrefix(n, "/") || strings.HasPrefix(n, "//") || strings.Contains(n, `\`) {
		return "/"
	}
	return n
}
