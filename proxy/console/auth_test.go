package console

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/internal/authguard"
)

// from returns a client whose connections come from the loopback address ip (127.0.0.x), as another
// machine's would: the console sees a different client address.
func (c *console) from(ip string) *http.Client {
	jar, _ := cookiejar.New(nil)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Jar: jar, Transport: &http.Transport{DialContext: d.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// signIn posts the login form and returns the status, the redirect target and the page.
func (c *console) signIn(t *testing.T, cl *http.Client, user, pw, next string) (int, string, string) {
	t.Helper()
	form := url.Values{"username": {user}, "password": {pw}}
	if next != "" {
		form.Set("next", next)
	}
	resp, err := cl.PostForm(c.url+"/login", form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

// recordHolds replaces the limiter's sleep with one that records how long each login was held.
func (c *console) recordHolds() func() []time.Duration {
	var mu sync.Mutex
	var held []time.Duration
	c.srv.limiter.sleep = func(_ context.Context, d time.Duration) error {
		mu.Lock()
		held = append(held, d)
		mu.Unlock()
		return nil
	}
	return func() []time.Duration {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(held)
	}
}

// Finding: failures from other addresses locked the account for everyone (the limiter keyed on the name).
func TestLoginCannotBeLockedOutFromOtherAddresses(t *testing.T) {
	c := newConsole(t)
	holds := c.recordHolds()
	if st, _, _ := c.signIn(t, c.from("127.0.0.9"), "li", testPassword, ""); st != http.StatusSeeOther {
		t.Fatalf("li's first sign-in: %d", st)
	}
	// An attacker guesses li's password from six addresses until each is refused.
	refused := 0
	for a := 2; a <= 7; a++ {
		cl := c.from(fmt.Sprintf("127.0.0.%d", a))
		for range pairMaxFails + 2 {
			if st, _, _ := c.signIn(t, cl, "li", "guess-"+fmt.Sprint(a), ""); st == http.StatusTooManyRequests {
				refused++
			}
		}
	}
	if refused != 6*2 {
		t.Fatalf("%d attempts refused, want 2 per attacking address", refused)
	}
	before := len(holds())
	// li, from the address she signs in from, is neither refused nor held.
	if st, loc, page := c.signIn(t, c.from("127.0.0.9"), "li", testPassword, "/queue"); st != http.StatusSeeOther || loc != "/queue" {
		t.Fatalf("li locked out by failures from other addresses: %d %q\n%s", st, loc, page)
	}
	if h := holds(); len(h) != before {
		t.Fatalf("li held at her known address: %v", h[before:])
	}
	// From a new address she gets in too, after a bounded hold.
	if st, _, _ := c.signIn(t, c.from("127.0.0.10"), "li", testPassword, ""); st != http.StatusSeeOther {
		t.Fatalf("li from a new address: %d", st)
	}
	h := holds()
	if len(h) != before+1 || h[len(h)-1] < time.Second || h[len(h)-1] > slowMax {
		t.Fatalf("holds %v: want one of 1s..%s for li's new address", h, slowMax)
	}
	t.Logf("after %d failed guesses from 6 addresses: li at her own address waits 0, at a new address %s", 6*pairMaxFails, h[len(h)-1])
}

func TestLoginLimitsPerAddressAndPerAccountAddress(t *testing.T) {
	c := newConsole(t)
	c.recordHolds()
	// Ten failures from one address, spread over accounts, refuse that address for every account.
	attacker := c.from("127.0.0.2")
	for i, u := range []string{"li", "wang", "zhang", "boss", "inv", "li", "wang", "zhang", "boss", "inv"} {
		if st, _, _ := c.signIn(t, attacker, u, "wrong-password", ""); st != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, st)
		}
	}
	resp, err := attacker.PostForm(c.url+"/login", url.Values{"username": {"eve"}, "password": {testPassword}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(page), "此地址登录失败次数过多") {
		t.Fatalf("right password from a limited address: %s Retry-After %q", resp.Status, resp.Header.Get("Retry-After"))
	}
	if st, _, _ := c.signIn(t, c.from("127.0.0.3"), "eve", testPassword, ""); st != http.StatusSeeOther {
		t.Fatalf("another address refused: %d", st)
	}
	// Five failures to one account refuse that account from that address only.
	cl := c.from("127.0.0.4")
	for range pairMaxFails {
		c.signIn(t, cl, "li", "wrong-password", "")
	}
	if st, _, page := c.signIn(t, cl, "li", testPassword, ""); st != http.StatusTooManyRequests || !strings.Contains(page, "此地址登录该账号失败次数过多") {
		t.Fatalf("li from an address that failed her %d times: %d", pairMaxFails, st)
	}
	if st, _, _ := c.signIn(t, cl, "wang", testPassword, ""); st != http.StatusSeeOther {
		t.Fatalf("wang from that address: %d", st)
	}
}

// Parallel guesses from one address cannot overrun its limit: each is counted before its password is checked.
func TestLoginLimitHoldsUnderParallelGuesses(t *testing.T) {
	c := newConsole(t)
	c.recordHolds()
	cl := c.from("127.0.0.5")
	var mu sync.Mutex
	checked := 0
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Go(func() {
			user := []string{"li", "wang", "zhang", "boss", "inv", "eve"}[i%6]
			if st, _, _ := c.signIn(t, cl, user, "wrong-password", ""); st == http.StatusUnauthorized {
				mu.Lock()
				checked++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if checked > addrMaxFails {
		t.Fatalf("%d of 30 parallel guesses had their password checked; the limit is %d", checked, addrMaxFails)
	}
}

func TestLimiterWindowsLift(t *testing.T) {
	l := newLimiter()
	now := time.Now()
	for range pairMaxFails {
		l.begin("li", "10.0.0.1", now)
	}
	if a := l.begin("li", "10.0.0.1", now); !a.limited || !a.limitPair || a.retryAfter != pairWindow {
		t.Fatalf("pair not limited: %+v", a)
	}
	if a := l.begin("li", "10.0.0.1", now.Add(pairWindow)); a.limited {
		t.Fatal("pair limit did not lift after its window")
	}
	for i := range addrMaxFails {
		l.begin(fmt.Sprint("u", i), "10.0.0.2", now)
	}
	if a := l.begin("x", "10.0.0.2", now.Add(addrWindow-time.Second)); !a.limited || a.limitPair {
		t.Fatal("address not limited")
	}
	if a := l.begin("x", "10.0.0.2", now.Add(addrWindow)); a.limited {
		t.Fatal("address limit did not lift after its window")
	}
	// The account-wide count only ever holds, and at most slowMax.
	for i := range 500 {
		l.begin("wang", fmt.Sprintf("10.1.%d.%d", i/200, i%200), now)
	}
	if a := l.begin("wang", "10.9.9.9", now); a.limited || a.delay != slowMax {
		t.Fatalf("after 500 failures from 500 addresses: limited %v, held %s (want never limited, held %s)", a.limited, a.delay, slowMax)
	}
}

// Finding: a wrong password to an existing account took a bcrypt comparison, an unknown name none, so
// the time told who exists. Each sign-in must now cost exactly one comparison, whether the name exists.
func TestLoginTimeDoesNotRevealAccounts(t *testing.T) {
	c := newConsole(t)
	c.recordHolds()
	n := 0
	comparisonsOf := func(user string) int64 {
		n++
		cl := c.from(fmt.Sprintf("127.0.1.%d", n)) // a fresh address each: no limit applies
		before := authguard.Comparisons()
		if st, _, _ := c.signIn(t, cl, user, "wrong-password", ""); st != http.StatusUnauthorized {
			t.Fatalf("%s: %d", user, st)
		}
		return authguard.Comparisons() - before
	}
	for i, known := range []string{"li", "wang", "zhang", "boss", "inv"} {
		if k, u := comparisonsOf(known), comparisonsOf(fmt.Sprintf("nobody%d", i)); k != 1 || u != 1 {
			t.Fatalf("bcrypt comparisons for a wrong password: existing account %d, unknown account %d; want 1 each", k, u)
		}
	}
}

// Finding: next=/\t/evil.example/ sent the browser off-site after signing in.
func TestLoginRedirectStaysOnSite(t *testing.T) {
	c := newConsole(t)
	for _, next := range []string{"/\t/evil.example/", "//evil.example/", `/\evil.example/`, "/%09/evil.example/", "/%2F/evil.example",
		"https://evil.example/", "/\u3000/evil.example/", "/\uff0fevil.example/", "\t//evil.example"} {
		st, loc, _ := c.signIn(t, c.from("127.0.0.11"), "zhang", testPassword, next)
		if st != http.StatusSeeOther || loc != "/" {
			t.Errorf("next=%q: %d → Location %q, want /", next, st, loc)
		}
	}
	if _, loc, _ := c.signIn(t, c.from("127.0.0.11"), "zhang", testPassword, "/request/new?event=7"); loc != "/request/new?event=7" {
		t.Errorf("a console path was not kept: %q", loc)
	}
}

func TestSafeNext(t *testing.T) {
	keep := []string{"/", "/queue", "/request/new?event=7", "/archive?q=%E5%BC%A0%E4%B8%89&since=2026-01-01", "/audit?q=a+b", "/request/R-1#top", "/https://not-a-scheme"}
	for _, n := range keep {
		if got := safeNext(n); got != n {
			t.Errorf("safeNext(%q) = %q, want it kept", n, got)
		}
	}
	nasty := []string{
		"", "queue", "//evil.example", "///evil.example", "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "\t//evil.example",
		"/ /evil.example", `/\evil.example`, `\\evil.example`, `/\\evil.example`, "/%5Cevil.example", "/%5cevil.example",
		"%2F%2Fevil.example", "/%2F/evil.example", "/%2f%2fevil.example", "/%09/evil.example", "/%0A/evil.example", "/%00", "/%7F",
		"/%20/evil.example", "/%E3%80%80/evil.example", "https://evil.example", "http:evil.example", "javascript:alert(1)",
		"data:text/html,x", "/\u00a0/evil.example", "/\u3000/evil.example", "/\uff0f/evil.example", "/\u2215evil.example",
		"/\uff3cevil.example", "/%EF%BC%8F/evil.example", "/%E2%88%95evil.example", "/%EF%BC%BCevil.example", "/\u200b/evil.example",
		"/\x7f", "/%", "/%zz", "/" + strings.Repeat("a", maxNextLen),
	}
	for _, n := range nasty {
		if got := safeNext(n); got != "/" {
			t.Errorf("safeNext(%.60q) = %.60q, want /", n, got)
		}
	}
}
