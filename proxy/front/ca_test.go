package front

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCAKeyPermissionsEnforced(t *testing.T) {
	dir := t.TempDir()
	ca, err := LoadOrCreateCA(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(ca.KeyPath)
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("ca.key mode %o, want 600", info.Mode().Perm())
	}
	os.Chmod(ca.KeyPath, 0o644)
	_, err = LoadOrCreateCA(dir, nil)
	if err == nil || !strings.Contains(err.Error(), "chmod 600 "+ca.KeyPath) {
		t.Fatalf("world-readable key accepted or no fix given: %v", err)
	}
	os.Chmod(ca.KeyPath, 0o600)
	again, err := LoadOrCreateCA(dir, nil)
	if err != nil || !again.Cert.Equal(ca.Cert) {
		t.Fatalf("reload: %v", err)
	}
	os.Remove(filepath.Join(dir, "ca.pem"))
	if _, err := LoadOrCreateCA(dir, nil); err == nil || !strings.Contains(err.Error(), "only one of") {
		t.Fatalf("half a CA accepted: %v", err)
	}
}

func TestLeafKeysAreFreshAndCacheBounded(t *testing.T) {
	ca, err := LoadOrCreateCA(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := NewCertCache(ca, 2)
	a, _ := c.Get("mail.qq.com")
	b, _ := c.Get("pan.baidu.com")
	ka, kb := a.PrivateKey.(*ecdsa.PrivateKey), b.PrivateKey.(*ecdsa.PrivateKey)
	if ka.Equal(kb) || ka.D.Cmp(kb.D) == 0 {
		t.Fatal("two hosts share a leaf key")
	}
	// not derivable from the CA key: a second cache with the same CA yields a different key for the same host
	a2, _ := NewCertCache(ca, 2).Get("mail.qq.com")
	if a2.PrivateKey.(*ecdsa.PrivateKey).Equal(ka) {
		t.Fatal("leaf key for a host is reproducible from the CA (derived, not random)")
	}
	if a.Leaf.SerialNumber.Cmp(b.Leaf.SerialNumber) == 0 || a.Leaf.SerialNumber.BitLen() < 64 {
		t.Fatal("serials not random")
	}
	if v := a.Leaf.NotAfter.Sub(a.Leaf.NotBefore); v > 90*24*time.Hour {
		t.Fatalf("leaf valid for %v, more than 90 days", v)
	}
	if ka.Curve.Params().Name != "P-256" {
		t.Fatal("leaf key is not P-256")
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	if _, err := a.Leaf.Verify(x509.VerifyOptions{DNSName: "mail.qq.com", Roots: pool}); err != nil {
		t.Fatal(err)
	}
	if again, _ := c.Get("mail.qq.com"); again != a {
		t.Fatal("cached certificate not reused")
	}
	c.Get("wx.qq.com")
	if c.Len() != 2 {
		t.Fatalf("cache holds %d, bound is 2", c.Len())
	}
	if bytes.Contains(ca.CertPEM, []byte("PRIVATE")) {
		t.Fatal("CA PEM carries a key")
	}
}

func TestNameConstrainedCA(t *testing.T) {
	ca, err := LoadOrCreateCA(t.TempDir(), ConstraintDomains([]string{"mail.qq.com", "*.pcs.baidu.com"}))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	c := NewCertCache(ca, 10)
	ok, _ := c.Get("d.pcs.baidu.com")
	if _, err := ok.Leaf.Verify(x509.VerifyOptions{DNSName: "d.pcs.baidu.com", Roots: pool}); err != nil {
		t.Fatalf("permitted host rejected: %v", err)
	}
	bad, _ := c.Get("www.bank.example")
	if _, err := bad.Leaf.Verify(x509.VerifyOptions{DNSName: "www.bank.example", Roots: pool}); err == nil {
		t.Fatal("name-constrained CA validated a host outside the catalog")
	}
}
