package proxy

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"os/user"
	"strings"
	"sync"
	"time"

	"github.com/sluice-dlp/sluice/store"
)

// authenticator identifies the person behind a proxy request (Proxy-Authorization: Basic).
type authenticator struct {
	db       *store.DB
	single   string // --user: every request is this user
	loopback bool
	mu       sync.Mutex
	cache    map[[32]byte]authEntry
}

type authEntry struct {
	user    *store.User
	expires time.Time
}

var errProxyAuth = errors.New("proxy authentication required")

func newAuthenticator(db *store.DB, single string, loopback bool) *authenticator {
	return &authenticator{db: db, single: single, loopback: loopback, cache: map[[32]byte]authEntry{}}
}

// identify returns the user of a proxy request or errProxyAuth.
func (a *authenticator) identify(r *http.Request) (*store.User, error) {
	h := r.Header.Get("Proxy-Authorization")
	if h == "" {
		switch {
		case a.single != "":
			return a.db.User(a.single)
		case a.loopback:
			return localUser(), nil
		}
		return nil, errProxyAuth
	}
	key := sha256.Sum256([]byte(h))
	a.mu.Lock()
	if e, ok := a.cache[key]; ok && time.Now().Before(e.expires) {
		a.mu.Unlock()
		return e.user, nil
	}
	a.mu.Unlock()
	scheme, payload, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Basic") {
		return nil, errProxyAuth
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(payload))
	if err != nil {
		return nil, errProxyAuth
	}
	name, pw, _ := strings.Cut(string(raw), ":")
	u, err := a.db.User(name)
	if err != nil || u.Disabled || !u.CheckPassword(pw) {
		return nil, errProxyAuth
	}
	a.mu.Lock()
	if len(a.cache) > 10000 {
		a.cache = map[[32]byte]authEntry{}
	}
	a.cache[key] = authEntry{user: u, expires: time.Now().Add(5 * time.Minute)}
	a.mu.Unlock()
	return u, nil
}

// localUser stands for the person at this machine when a loopback proxy runs without --user.
func localUser() *store.User {
	name := "local"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	return &store.User{Name: name, DisplayName: name, StaffID: "-", Roles: []string{store.RoleStaff}}
}

// proxyAuthRequired builds the 407 answer.
func proxyAuthRequired(r *http.Request) *http.Response {
	body := "Sluice：请使用公司账号登录代理 / Sluice: log in to the proxy with your company account\n"
	resp := textResponse(r, http.StatusProxyAuthRequired, "text/plain; charset=utf-8", body)
	resp.Header.Set("Proxy-Authenticate", `Basic realm="Sluice", charset="UTF-8"`)
	return resp
}

// forget drops cached credentials (after a password change).
func (a *authenticator) forget() {
	a.mu.Lock()
	a.cache = map[[32]byte]authEntry{}
	a.mu.Unlock()
}
