package front

import (
	"crypto/sha256"
	"encoding/base64"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/proxy/pipeline"
	"net/http"
	"os/user"
	"strings"
	"sync"
	"time"

	"github.com/sluice-dlp/sluice/store"
)

// Authenticator identifies the person behind a proxy request (Proxy-Authorization: Basic).
type Authenticator struct {
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

var errProxyAuth = l10n.New(l10n.Unauthorized, "代理需要登录", "proxy authentication required")

// NewAuthenticator identifies users from db; single names the one user of a --user proxy, and loopback
// lets a local proxy without credentials stand for the OS account.
func NewAuthenticator(db *store.DB, single string, loopback bool) *Authenticator {
	return &Authenticator{db: db, single: single, loopback: loopback, cache: map[[32]byte]authEntry{}}
}

// Identify returns the user of a proxy request, or an error when it must log in.
func (a *Authenticator) Identify(r *http.Request) (*store.User, error) {
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

// ProxyAuthRequired builds the 407 answer.
func ProxyAuthRequired(r *http.Request) *http.Response {
	body := "Sluice：请使用公司账号登录代理 / Sluice: log in to the proxy with your company account\n"
	resp := pipeline.TextResponse(r, http.StatusProxyAuthRequired, "text/plain; charset=utf-8", body)
	resp.Header.Set("Proxy-Authenticate", `Basic realm="Sluice", charset="UTF-8"`)
	return resp
}

// Forget drops cached credentials (after a password, role or token change).
func (a *Authenticator) Forget() {
	a.mu.Lock()
	a.cache = map[[32]byte]authEntry{}
	a.mu.Unlock()
}
