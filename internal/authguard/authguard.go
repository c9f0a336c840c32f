// Package authguard holds what the console login and the proxy's Basic auth share so that checking a
// password helps no attacker: one bcrypt comparison of the store's cost whether or not the account
// exists, sliding-window failure counters, and the client-address key those counters use.
package authguard

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluice-dlp/sluice/store"
)

var (
	dummyOnce   sync.Once
	dummy       store.User
	comparisons atomic.Int64
)

// Comparisons returns how many bcrypt comparisons Verify has made in this process.
func Comparisons() int64 { return comparisons.Load() }

// Warm makes the stand-in hash used for unknown accounts, so that the first such login is not slower than others.
func Warm() {
	dummyOnce.Do(func() {
		var b [16]byte
		rand.Read(b[:])
		h, err := store.HashPassword(hex.EncodeToString(b[:]))
		if err != nil {
			panic("authguard: cannot hash the stand-in password: " + err.Error())
		}
		dummy.PasswordHash = h
	})
}

// Verify reports whether password is u's, where u and err come from the store's user lookup; it spends one
// bcrypt comparison of the store's cost whether the account exists, is disabled or has no password, so the
// time taken does not tell which.
func Verify(u *store.User, err error, password string) bool {
	comparisons.Add(1)
	if err != nil || u == nil || u.Disabled || u.PasswordHash == "" {
		Warm()
		dummy.CheckPassword(password)
		return false
	}
	return u.CheckPassword(password)
}

// AddrKey returns the key a client address is counted under: the IPv4 address, or the /64 prefix of an
// IPv6 address (one subscriber's block), from a RemoteAddr such as "10.0.0.7:51234".
func AddrKey(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// Window counts events per key over a sliding period, holding at most Max per key; it keeps at most
// maxKeys keys, forgetting expired ones first and then random ones.
type Window struct {
	period  time.Duration
	max     int
	maxKeys int
	mu      sync.Mutex
	m       map[string][]time.Time
}

// NewWindow returns a window of period that holds at most max events per key and maxKeys keys.
func NewWindow(max int, period time.Duration, maxKeys int) *Window {
	return &Window{period: period, max: max, maxKeys: maxKeys, m: map[string][]time.Time{}}
}

// recent drops key's expired events and returns the rest; the caller holds mu.
func (w *Window) recent(key string, now time.Time) []time.Time {
	ts := w.m[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= w.period {
		i++
	}
	if i == len(ts) {
		delete(w.m, key)
		return nil
	}
	if i > 0 {
		ts = append(ts[:0], ts[i:]...)
		w.m[key] = ts
	}
	return ts
}

// room makes space for a new key when the window is full; the caller holds mu.
func (w *Window) room(key string, now time.Time) {
	if _, ok := w.m[key]; ok || len(w.m) < w.maxKeys {
		return
	}
	for k := range w.m {
		w.recent(k, now)
	}
	for k := range w.m { // map order is random: a flood from very many keys evicts arbitrary ones
		if len(w.m) <= w.maxKeys*7/8 {
			break
		}
		delete(w.m, k)
	}
}

// Take records one event for key and reports true, or reports false and records nothing when key
// already holds Max events in the period.
func (w *Window) Take(key string, now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.recent(key, now)) >= w.max {
		return false
	}
	w.room(key, now)
	w.m[key] = append(w.m[key], now)
	return true
}

// Add records one event for key, dropping its oldest when it already holds Max (the count saturates).
func (w *Window) Add(key string, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	ts := w.recent(key, now)
	if len(ts) >= w.max {
		ts = append(ts[:0], ts[1:]...)
	}
	w.room(key, now)
	w.m[key] = append(ts, now)
}

// Count returns how many events key holds in the period.
func (w *Window) Count(key string, now time.Time) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.recent(key, now))
}

// Give removes key's latest event (an attempt counted in advance that turned out to succeed).
func (w *Window) Give(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if ts := w.m[key]; len(ts) > 1 {
		w.m[key] = ts[:len(ts)-1]
	} else {
		delete(w.m, key)
	}
}

// Forget drops every event of key.
func (w *Window) Forget(key string) {
	w.mu.Lock()
	delete(w.m, key)
	w.mu.Unlock()
}

// Free returns how long until key can take another event (0 when it can now).
func (w *Window) Free(key string, now time.Time) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	ts := w.recent(key, now)
	if len(ts) < w.max {
		return 0
	}
	return w.period - now.Sub(ts[len(ts)-w.max])
}

// Len returns how many keys the window holds.
func (w *Window) Len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.m)
}
