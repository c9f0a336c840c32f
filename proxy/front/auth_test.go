package front

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/internal/authguard"
	"github.com/sluice-dlp/sluice/store"
)

const authTestPassword = "secret-password"

// newAuthDB opens a store in a temp dir with staff user zhangsan (password authTestPassword).
func newAuthDB(t testing.TB) *store.DB {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "sluice.db"), filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	pw, err := store.HashPassword(authTestPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUser("test", &store.User{Name: "zhangsan", DisplayName: "张三", StaffID: "A1024", Roles: []string{store.RoleStaff}, PasswordHash: pw}); err != nil {
		t.Fatal(err)
	}
	return db
}

// proxyReq is a CONNECT from addr carrying Basic credentials user:pw.
func proxyReq(addr, user, pw string) *http.Request {
	r, _ := http.NewRequest(http.MethodConnect, "http://pan.baidu.com:443", nil)
	r.RemoteAddr = addr
	r.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+pw)))
	return r
}

// Finding: every wrong try cost a bcrypt. The same wrong credentials, repeated or in parallel, cost one.
func TestProxyAuthSameWrongCredentialsCheckedOnce(t *testing.T) {
	a := NewAuthenticator(newAuthDB(t), "", false)
	checks := bcryptChecks()
	t0 := time.Now()
	for range 200 {
		if _, err := a.Identify(proxyReq("10.0.0.1:5000", "zhangsan", "wrong-password")); !errors.Is(err, errProxyAuth) {
			t.Fatalf("wrong password: %v", err)
		}
	}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() { a.Identify(proxyReq(fmt.Sprintf("10.0.1.%d:5000", i), "zhangsan", "wrong-password")) })
	}
	wg.Wait()
	if n := checks(); n != 1 {
		t.Fatalf("%d bcrypt checks for 250 copies of the same wrong credentials", n)
	}
	t.Logf("250 copies of one wrong password answered in %s with %d bcrypt check", time.Since(t0), checks())
	if u, err := a.Identify(proxyReq("10.0.0.1:5000", "zhangsan", authTestPassword)); err != nil || u.Name != "zhangsan" {
		t.Fatalf("right password after the flood: %v", err)
	}
}

// Finding: no throttling. Distinct wrong passwords from one address are checked addrMaxFails times a window.
func TestProxyAuthThrottledPerAddress(t *testing.T) {
	a := NewAuthenticator(newAuthDB(t), "", false)
	checks := bcryptChecks()
	throttled := 0
	for i := range 30 {
		_, err := a.Identify(proxyReq("10.0.0.1:5000", "zhangsan", fmt.Sprint("guess-", i)))
		if errors.Is(err, errProxyThrottled) {
			throttled++
		}
	}
	if checks() != addrMaxFails || throttled != 30-addrMaxFails {
		t.Fatalf("%d checks, %d throttled of 30 guesses; want %d checks", checks(), throttled, addrMaxFails)
	}
	// The limit is the address's own: another address logs in.
	if _, err := a.Identify(proxyReq("10.0.0.2:5000", "zhangsan", authTestPassword)); err != nil {
		t.Fatalf("another address: %v", err)
	}
	// Credentials already known to be right are accepted from the throttled address without a check.
	before := checks()
	if _, err := a.Identify(proxyReq("10.0.0.1:5001", "zhangsan", authTestPassword)); err != nil || checks() != before {
		t.Fatalf("cached right credentials from a throttled address: %v, %d checks", err, checks()-before)
	}
	// IPv6 clients are counted per /64.
	for i := range addrMaxFails {
		a.Identify(proxyReq(fmt.Sprintf("[2001:db8:0:1::%x]:5000", i+1), "zhangsan", fmt.Sprint("v6-", i)))
	}
	if _, err := a.Identify(proxyReq("[2001:db8:0:1:ffff::1]:5000", "zhangsan", "v6-x")); !errors.Is(err, errProxyThrottled) {
		t.Fatalf("another address of the same /64: %v", err)
	}
}

// Parallel distinct guesses from one address cannot overrun the limit.
func TestProxyAuthParallelGuessesStayLimited(t *testing.T) {
	a := NewAuthenticator(newAuthDB(t), "", false)
	checks := bcryptChecks()
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() { a.Identify(proxyReq("10.0.0.3:5000", "zhangsan", fmt.Sprint("parallel-", i))) })
	}
	wg.Wait()
	if n := checks(); n > addrMaxFails {
		t.Fatalf("%d bcrypt checks for 40 parallel guesses from one address; the limit is %d", n, addrMaxFails)
	}
}

// Finding: an unknown user name was answered without a bcrypt, so the time told who exists.
func TestProxyAuthUnknownUserCostsABcrypt(t *testing.T) {
	a := NewAuthenticator(newAuthDB(t), "", false)
	checks := bcryptChecks()
	var known, unknown time.Duration = time.Hour, time.Hour
	for i := range 4 { // interleaved, best of four, each from its own address and with its own password
		t0 := time.Now()
		a.Identify(proxyReq(fmt.Sprintf("10.1.0.%d:1", i), "zhangsan", fmt.Sprint("wrong-", i)))
		known = min(known, time.Since(t0))
		t0 = time.Now()
		a.Identify(proxyReq(fmt.Sprintf("10.2.0.%d:1", i), fmt.Sprint("nobody", i), "wrong"))
		unknown = min(unknown, time.Since(t0))
	}
	t.Logf("proxy auth: wrong password %s, unknown user %s", known, unknown)
	if checks() != 8 {
		t.Fatalf("unknown users: %d bcrypt comparisons for 8 tries (4 of them for names that do not exist); want 8", checks())
	}
}

func TestProxyAuthForgetDropsCachedAnswers(t *testing.T) {
	db := newAuthDB(t)
	a := NewAuthenticator(db, "", false)
	if _, err := a.Identify(proxyReq("10.0.0.1:1", "zhangsan", "new-password-1")); err == nil {
		t.Fatal("a wrong password accepted")
	}
	if err := db.SetPassword("test", "zhangsan", "new-password-1"); err != nil {
		t.Fatal(err)
	}
	a.Forget()
	if _, err := a.Identify(proxyReq("10.0.0.1:1", "zhangsan", "new-password-1")); err != nil {
		t.Fatalf("the new password is still refused from the cache: %v", err)
	}
	if _, err := a.Identify(proxyReq("10.0.0.1:1", "zhangsan", authTestPassword)); err == nil {
		t.Fatal("the old password still works")
	}
}

func TestProxyAuthWaitsForABcryptSlot(t *testing.T) {
	a := NewAuthenticator(newAuthDB(t), "", false)
	checks := bcryptChecks()
	for range cap(a.slots) {
		a.slots <- struct{}{} // every slot taken, as under a flood from many addresses
	}
	if _, err := a.Identify(proxyReq("10.0.0.1:1", "zhangsan", authTestPassword)); !errors.Is(err, errProxyBusy) {
		t.Fatalf("no free slot: %v", err)
	}
	if checks() != 0 {
		t.Fatalf("%d bcrypt comparisons without a free slot; want none", checks())
	}
	<-a.slots
	if _, err := a.Identify(proxyReq("10.0.0.1:1", "zhangsan", authTestPassword)); err != nil {
		t.Fatalf("with a free slot (and the busy try given back to the address): %v", err)
	}
}

// BenchmarkProxyAuthFlood measures a 407 under a wrong-password flood and reports the bcrypt checks it cost.
func BenchmarkProxyAuthFlood(b *testing.B) {
	for _, tc := range []struct {
		name string
		req  func(i int) *http.Request
	}{
		{"same-wrong-password", func(int) *http.Request { return proxyReq("10.0.0.1:1", "zhangsan", "wrong-password") }},
		{"new-wrong-password-each-try", func(i int) *http.Request { return proxyReq("10.0.0.1:1", "zhangsan", fmt.Sprint("guess-", i)) }},
		{"unknown-user-each-try", func(i int) *http.Request { return proxyReq("10.0.0.1:1", fmt.Sprint("nobody", i), "x") }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			a := NewAuthenticator(newAuthDB(b), "", false)
			checks := bcryptChecks()
			t0 := time.Now()
			i := 0
			for b.Loop() {
				a.Identify(tc.req(i))
				i++
			}
			b.ReportMetric(float64(checks())/time.Since(t0).Seconds(), "bcrypt/s")
		})
	}
}

// bcryptChecks counts the bcrypt comparisons made from now on (tests in this package run one at a time).
func bcryptChecks() func() int64 {
	before := authguard.Comparisons()
	return func() int64 { return authguard.Comparisons() - before }
}
