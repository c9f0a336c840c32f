package front

import (
	"container/list"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"net"
	"strings"
	"sync"
	"time"
)

// LeafValidity is how long a generated leaf certificate is valid (browsers cap it; we stay well under).
const LeafValidity = 30 * 24 * time.Hour

// CertCache issues leaf certificates for intercepted hosts, with fresh random keys, and keeps a bounded LRU.
type CertCache struct {
	ca    *CA
	max   int
	mu    sync.Mutex
	items map[string]*list.Element
	order *list.List
	now   func() time.Time
}

type certEntry struct {
	host string
	cert *tls.Certificate
	once sync.Once
	err  error
}

// NewCertCache returns a cache holding at most max certificates.
func NewCertCache(ca *CA, max int) *CertCache {
	if max <= 0 {
		max = 1000
	}
	return &CertCache{ca: ca, max: max, items: map[string]*list.Element{}, order: list.New(), now: time.Now}
}

// Len returns the number of cached certificates.
func (c *CertCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// Get returns a certificate for host, generating it on first use.
func (c *CertCache) Get(host string) (*tls.Certificate, error) {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "" {
		return nil, l10n.New(l10n.Invalid, "没有可签发证书的主机名", "no host name to issue a certificate for")
	}
	c.mu.Lock()
	var e *certEntry
	if el, ok := c.items[host]; ok {
		c.order.MoveToFront(el)
		e = el.Value.(*certEntry)
		if e.cert != nil && c.now().After(e.cert.Leaf.NotAfter.Add(-24*time.Hour)) {
			c.order.Remove(el)
			delete(c.items, host)
			e = nil
		}
	}
	if e == nil {
		e = &certEntry{host: host}
		c.items[host] = c.order.PushFront(e)
		for c.order.Len() > c.max {
			last := c.order.Back()
			c.order.Remove(last)
			delete(c.items, last.Value.(*certEntry).host)
		}
	}
	c.mu.Unlock()
	e.once.Do(func() { e.cert, e.err = c.issue(host) })
	return e.cert, e.err
}

func (c *CertCache) issue(host string) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := c.now()
	tmpl := &x509.Certificate{
		SerialNumber:   randomSerial(),
		Subject:        pkix.Name{Organization: []string{"Sluice DLP"}, CommonName: host},
		NotBefore:      now.Add(-time.Hour),
		NotAfter:       now.Add(LeafValidity),
		KeyUsage:       x509.KeyUsageDigitalSignature,
		ExtKeyUsage:    []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		AuthorityKeyId: c.ca.Cert.SubjectKeyId,
	}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.ca.Cert, &key.PublicKey, c.ca.Key)
	if err != nil {
		return nil, l10n.Wrap(err, l10n.Internal, "无法为 %s 签发证书", "cannot issue a certificate for %s", host)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{der, c.ca.Cert.Raw}, PrivateKey: key, Leaf: leaf}, nil
}

// CanIssue reports whether the CA may sign a certificate for host: a CA made with name constraints
// (--ca-name-constraints) only covers the catalog's domains, so other hosts are tunnelled.
func (c *CertCache) CanIssue(host string) bool {
	permitted := c.ca.Cert.PermittedDNSDomains
	if len(permitted) == 0 {
		return true
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, d := range permitted {
		d = strings.ToLower(strings.TrimPrefix(d, "."))
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// TLSConfigFor returns the server-side TLS config used towards the browser for name (the host the
// CONNECT and the client's SNI agree on): HTTP/1.1 only (no h2 ALPN), a leaf for that name and no other.
func (c *CertCache) TLSConfigFor(name string) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"http/1.1"},
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return c.Get(name)
		},
	}
}
