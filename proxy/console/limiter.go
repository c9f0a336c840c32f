package console

import (
	"context"
	"sync"
	"time"

	"github.com/sluice-dlp/sluice/internal/authguard"
)

// Console login throttling. Failures are counted per client address (IPv6: per /64), per (account,
// address) pair and per account; only the first two ever refuse, and only the address that failed:
//   - an address with addrMaxFails failed logins in addrWindow is refused (429) for every account;
//   - an address with pairMaxFails failed logins to one account in pairWindow is refused for that account;
//   - an account with slowAfter or more failed logins from all addresses together in pairWindow is not
//     locked: a login to it from an address that has not signed in to it before is held for one second per
//     slowAfter failures, at most slowMax; addresses that signed in to it within knownFor are never held.
const (
	addrWindow   = 5 * time.Minute
	addrMaxFails = 10
	pairWindow   = 15 * time.Minute
	pairMaxFails = 5
	slowAfter    = 5
	slowMax      = 10 * time.Second
	knownFor     = 30 * 24 * time.Hour
	maxGuardKeys = 20000
)

// limiter decides, before a password is checked, whether a login attempt may go ahead and how long it waits.
type limiter struct {
	addr    *authguard.Window // failures per client address
	pair    *authguard.Window // failures per account and address
	account *authguard.Window // failures per account from every address (delays only)
	mu      sync.Mutex
	known   map[string]time.Time // account + address → last successful sign-in
	sleep   func(ctx context.Context, d time.Duration) error
}

func newLimiter() *limiter {
	go authguard.Warm() // the stand-in hash for unknown accounts, made before the first login needs it
	return &limiter{
		addr:    authguard.NewWindow(addrMaxFails, addrWindow, maxGuardKeys),
		pair:    authguard.NewWindow(pairMaxFails, pairWindow, maxGuardKeys),
		account: authguard.NewWindow(slowAfter*int(slowMax/time.Second), pairWindow, maxGuardKeys),
		known:   map[string]time.Time{},
		sleep:   sleepCtx,
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// attempt is one login in progress: the failure it was counted as in advance, given back if it succeeds.
type attempt struct {
	g                  *limiter
	addrKey, pairKey   string
	account            string
	delay, retryAfter  time.Duration
	limited, limitPair bool
}

func pairKey(account, addr string) string { return account + "\x00" + addr }

// begin counts an attempt to sign in to account from the client address addr as a failure in advance (so
// parallel attempts cannot overrun the limits), and says whether it is refused and how long it must wait.
func (g *limiter) begin(account, addr string, now time.Time) *attempt {
	a := &attempt{g: g, addrKey: addr, pairKey: pairKey(account, addr), account: account}
	if !g.addr.Take(a.addrKey, now) {
		a.limited, a.retryAfter = true, g.addr.Free(a.addrKey, now)
		return a
	}
	if !g.pair.Take(a.pairKey, now) {
		g.addr.Give(a.addrKey)
		a.limited, a.limitPair, a.retryAfter = true, true, g.pair.Free(a.pairKey, now)
		return a
	}
	if !g.isKnown(a.pairKey, now) {
		if n := g.account.Count(account, now); n >= slowAfter {
			a.delay = min(time.Duration(n/slowAfter)*time.Second, slowMax)
		}
	}
	g.account.Add(account, now)
	return a
}

// wait holds the attempt for its delay (or until the client goes away).
func (a *attempt) wait(ctx context.Context) error {
	if a.delay <= 0 {
		return nil
	}
	return a.g.sleep(ctx, a.delay)
}

// succeeded gives back the failure counted in advance, clears this address's failures for the account and
// remembers the address as one the account signs in from.
func (a *attempt) succeeded(now time.Time) {
	a.g.addr.Give(a.addrKey)
	a.g.pair.Forget(a.pairKey)
	a.g.account.Give(a.account)
	a.g.mu.Lock()
	defer a.g.mu.Unlock()
	if len(a.g.known) >= maxGuardKeys {
		for k, t := range a.g.known {
			if now.Sub(t) >= knownFor || len(a.g.known) >= maxGuardKeys {
				delete(a.g.known, k)
			}
		}
	}
	a.g.known[a.pairKey] = now
}

func (g *limiter) isKnown(key string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	t, ok := g.known[key]
	return ok && now.Sub(t) < knownFor
}
