package authguard

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/store"
	"golang.org/x/crypto/bcrypt"
)

func TestAddrKey(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.7:51234":                  "10.0.0.7",
		"[::ffff:10.0.0.7]:1":             "10.0.0.7",
		"[2001:db8:1:2:aaaa::1]:443":      "2001:db8:1:2::/64",
		"[2001:db8:1:2:bbbb::9]:443":      "2001:db8:1:2::/64",
		"[fe80::1%eth0]:80":               "fe80::/64",
		"not-an-address":                  "not-an-address",
		"127.0.0.1":                       "127.0.0.1",
		"[2001:db8:1:3:aaaa::1]:443":      "2001:db8:1:3::/64",
		"[2001:db8:ffff:ffff:1::1]:65535": "2001:db8:ffff:ffff::/64",
	} {
		if got := AddrKey(in); got != want {
			t.Errorf("AddrKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWindow(t *testing.T) {
	w := NewWindow(3, time.Minute, 100)
	now := time.Now()
	for i := range 3 {
		if !w.Take("a", now.Add(time.Duration(i)*time.Second)) {
			t.Fatalf("take %d refused", i)
		}
	}
	if w.Take("a", now.Add(3*time.Second)) || w.Count("a", now.Add(3*time.Second)) != 3 {
		t.Fatal("fourth take in the period accepted")
	}
	if free := w.Free("a", now.Add(3*time.Second)); free != 57*time.Second {
		t.Fatalf("free in %s, want 57s", free)
	}
	w.Give("a")
	if !w.Take("a", now.Add(4*time.Second)) {
		t.Fatal("take after a give refused")
	}
	if !w.Take("a", now.Add(61*time.Second)) {
		t.Fatal("take after the oldest expired refused")
	}
	for range 10 {
		w.Add("b", now)
	}
	if n := w.Count("b", now); n != 3 {
		t.Fatalf("Add does not saturate at max: %d", n)
	}
	w.Forget("b")
	if w.Count("b", now) != 0 {
		t.Fatal("Forget kept events")
	}
}

func TestWindowStaysBounded(t *testing.T) {
	w := NewWindow(5, time.Minute, 1000)
	now := time.Now()
	for i := range 50_000 {
		w.Take("k"+strconv.Itoa(i), now)
	}
	if n := w.Len(); n > 1000 {
		t.Fatalf("%d keys kept, bound is 1000", n)
	}
	// expired keys go first
	w2 := NewWindow(5, time.Minute, 10)
	for i := range 10 {
		w2.Take("old"+strconv.Itoa(i), now)
	}
	w2.Take("new", now.Add(2*time.Minute))
	if w2.Len() != 1 {
		t.Fatalf("expired keys kept: %d", w2.Len())
	}
}

func TestVerifySpendsABcryptForUnknownAccounts(t *testing.T) {
	Warm()
	h, err := store.HashPassword("correct-horse-9")
	if err != nil {
		t.Fatal(err)
	}
	real := &store.User{Name: "li", PasswordHash: h}
	if !Verify(real, nil, "correct-horse-9") || Verify(real, nil, "wrong-password") {
		t.Fatal("Verify wrong for an existing account")
	}
	disabled := &store.User{Name: "old", PasswordHash: h, Disabled: true}
	if Verify(disabled, nil, "correct-horse-9") || Verify(&store.User{Name: "nopw"}, nil, "") {
		t.Fatal("a disabled or password-less account verified")
	}
	// Every path costs one comparison at the store's cost.
	start := Comparisons()
	Verify(real, nil, "wrong-password")
	Verify(nil, errors.New("no user"), "wrong-password")
	Verify(disabled, nil, "wrong-password")
	Verify(&store.User{Name: "nopw"}, nil, "wrong-password")
	if n := Comparisons() - start; n != 4 {
		t.Fatalf("%d comparisons for 4 checks", n)
	}
	realCost, _ := bcrypt.Cost([]byte(h))
	dummyCost, err := bcrypt.Cost([]byte(dummy.PasswordHash))
	if err != nil || dummyCost != realCost {
		t.Fatalf("stand-in hash cost %d (%v), the store's %d", dummyCost, err, realCost)
	}
}
