package front

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"os/user"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/sluice-dlp/sluice/internal/authguard"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/proxy/pipeline"
	"github.com/sluice-dlp/sluice/store"
)

// What a flood of wrong proxy credentials can cost. A password is checked with bcrypt only for credentials
// that are neither cached as right nor as wrong, at most addrMaxFails times per client address (IPv6: per
// /64) in addrFailWindow, and by at most half the CPUs at once; everything else gets its 407 without bcrypt.
const (
	okCacheTTL     = 5 * time.Minute // right credentials are not checked again for this long
	failCacheTTL   = 5 * time.Minute // the same wrong credentials are refused without a check for this long
	maxAuthCache   = 10000           // entries in each cache
	addrFailWindow = time.Minute
	addrMaxFails   = 10          // passwords checked and found wrong per client address per window
	slotWait       = time.Second // how long a check waits for a free bcrypt slot before answering 407
)

// Authenticator identifies the person behind a proxy request (Proxy-Authorization: Basic).
type Authenticator struct {
	db       *store.DB
	single   string // --user: every request is this user
	loopback bool
	mu       sync.Mutex
	ok       map[[32]byte]authEntry  // right credentials → user
	failed   map[[32]byte]time.Time  // wrong credentials → until when they are refused unchecked
	inflight map[[32]byte]*authCheck // credentials being checked now: later copies wait for the answer
	addrs    *authguard.Window       // checked wrong passwords per client address
	slots    chan struct{}           // bcrypt comparisons running at once
	gen      uint64                  // bumped by Forget: a check that started before it caches nothing
	one      authEntry               // the --user user, read again every few seconds (and after Forget)
}

type authEntry struct {
	user    *store.User
	expires time.Time
}

type authCheck struct {
	done chan struct{}
	user *store.User
	err  error
}

var (
	errProxyAuth      = l10n.New(l10n.Unauthorized, "代理需要登录", "proxy authentication required")
	errProxyThrottled = l10n.New(l10n.Unauthorized, "此地址代理登录失败次数过多，请 1 分钟后再试", "too many failed proxy logins from this address; try again in a minute")
	errProxyBusy      = l10n.New(l10n.Unauthorized, "代理登录检查繁忙，请稍后再试", "proxy logins are being checked at capacity; try again shortly")
)

// NewAuthenticator identifies users from db; single names the one user of a --user proxy, and loopback
// lets a local proxy without credentials stand for the OS account.
func NewAuthenticator(db *store.DB, single string, loopback bool) *Authenticator {
	go authguard.Warm()
	return &Authenticator{db: db, single: single, loopback: loopback,
		ok: map[[32]byte]authEntry{}, failed: map[[32]byte]time.Time{}, inflight: map[[32]byte]*authCheck{},
		addrs: authguard.NewWindow(addrMaxFails, addrFailWindow, maxAuthCache),
		slots: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2))}
}

// Identify returns the user of a proxy request, or an error when it must log in.
func (a *Authenticator) Identify(r *http.Request) (*store.User, error) {
	h := r.Header.Get("Proxy-Authorization")
	if h == "" {
		switch {
		case a.single != "":
			return a.singleUser()
		case a.loopback:
			return localUser(), nil
		}
		return nil, errProxyAuth
	}
	key := sha256.Sum256([]byte(h))
	now := time.Now()
	a.mu.Lock()
	if e, ok := a.ok[key]; ok && now.Before(e.expires) {
		a.mu.Unlock()
		return e.user, nil
	}
	if until, ok := a.failed[key]; ok && now.Before(until) {
		a.mu.Unlock()
		return nil, errProxyAuth
	}
	if c, ok := a.inflight[key]; ok {
		a.mu.Unlock()
		<-c.done
		return c.user, c.err
	}
	c := &authCheck{done: make(chan struct{})}
	a.inflight[key] = c
	a.mu.Unlock()
	c.user, c.err = a.check(r, h, key, now)
	a.mu.Lock()
	delete(a.inflight, key)
	a.mu.Unlock()
	close(c.done)
	return c.user, c.err
}

// check decodes Basic credentials and, if this address may still try, checks the password with bcrypt.
func (a *Authenticator) check(r *http.Request, h string, key [32]byte, now time.Time) (*store.User, error) {
	scheme, payload, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Basic") {
		return nil, errProxyAuth
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(payload))
	if err != nil {
		return nil, errProxyAuth
	}
	name, pw, _ := strings.Cut(string(raw), ":")
	addr := authguard.AddrKey(r.RemoteAddr)
	a.mu.Lock()
	gen := a.gen
	a.mu.Unlock()
	if !a.addrs.Take(addr, now) { // counted in advance: parallel guesses cannot overrun the limit
		return nil, errProxyThrottled
	}
	if !a.acquire(r.Context()) {
		a.addrs.Give(addr)
		return nil, errProxyBusy
	}
	u, err := a.db.User(name)
	ok := authguard.Verify(u, err, pw)
	<-a.slots
	if ok {
		a.addrs.Give(addr)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.gen != gen: // credentials changed meanwhile: answer, but remember nothing
	case ok:
		a.ok = bounded(a.ok, func(e authEntry) bool { return now.After(e.expires) })
		a.ok[key] = authEntry{user: u, expires: now.Add(okCacheTTL)}
	default:
		a.failed = bounded(a.failed, func(t time.Time) bool { return now.After(t) })
		a.failed[key] = now.Add(failCacheTTL)
	}
	if !ok {
		return nil, errProxyAuth
	}
	return u, nil
}

// acquire waits up to slotWait for one of the bcrypt slots.
func (a *Authenticator) acquire(ctx context.Context) bool {
	select {
	case a.slots <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(slotWait)
	defer t.Stop()
	select {
	case a.slots <- struct{}{}:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	return false
}

// bounded makes room in a full cache: expired entries go first, then arbitrary ones.
func bounded[V any](m map[[32]byte]V, expired func(V) bool) map[[32]byte]V {
	if len(m) < maxAuthCache {
		return m
	}
	for k, v := range m {
		if expired(v) || len(m) > maxAuthCache*7/8 {
			delete(m, k)
		}
	}
	return m
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
	body := "Sluice：请使用公司账号登录代理（同一地址 1 分钟内输错 10 次后，请等 1 分钟再试）\n" +
		"Sluice: log in to the proxy with your company account (after 10 wrong passwords from one address within a minute, wait a minute)\n"
	resp := pipeline.TextResponse(r, http.StatusProxyAuthRequired, "text/plain; charset=utf-8", body)
	resp.Header.Set("Proxy-Authenticate", `Basic realm="Sluice", charset="UTF-8"`)
	return resp
}

// Forget drops cached right and wrong credentials (after a password, role or token change).
func (a *Authenticator) Forget() {
	a.mu.Lock()
	a.ok = map[[32]byte]authEntry{}
	a.failed = map[[32]byte]time.Time{}
	a.one = authEntry{}
	a.gen++
	a.mu.Unlock()
}

// singleUser returns the --user user, read from the store at most every two seconds (every request of a
// local proxy asks; a change of role or departing date reaches the next requests within that time, and at
// once through Forget).
func (a *Authenticator) singleUser() (*store.User, error) {
	now := time.Now()
	a.mu.Lock()
	if a.one.user != nil && now.Before(a.one.expires) {
		u := a.one.user
		a.mu.Unlock()
		return u, nil
	}
	a.mu.Unlock()
	u, err := a.db.User(a.single)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.one = authEntry{user: u, expires: now.Add(2 * time.Second)}
	a.mu.Unlock()
	return u, nil
}
