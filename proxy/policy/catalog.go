// Package policy knows where uploads go (the destination catalog, the bypass list, the PAC file) and
// what to do with them (rules → verdict).
package policy

import (
	"net"
	"net/netip"
	"slices"
	"strings"
)

// Category groups destinations that share a policy.
type Category string

// Destination categories. Every host reached through Sluice has one: a catalog entry's, "other" for the
// rest of the web, or one of the three that are never decrypted (corporate, bypass, intranet).
const (
	Webmail       Category = "webmail"        // personal webmail
	Netdisk       Category = "netdisk"        // personal cloud drives
	WebChat       Category = "webchat"        // web chat (WeChat web, file helper)
	AIChat        Category = "ai_chat"        // AI assistants: uploads and pasted text
	FileTransfer  Category = "file_transfer"  // WeTransfer-style sites, paste sites, gists
	OnlineDocs    Category = "online_docs"    // online documents and notes
	ObjectStorage Category = "object_storage" // object storage hosts presigned uploads go to
	EncryptedChat Category = "encrypted_chat" // Telegram / WhatsApp web
	Other         Category = "other"          // everything not in the catalog: still inspected
	Corporate     Category = "corporate"      // company channels: always open, never decrypted
	Bypass        Category = "bypass"         // banking, payment, health, government, client certificates: never decrypted
	Intranet      Category = "intranet"       // plain host names and private addresses: never decrypted
)

// RuleCategories are the categories the policy's rules: section has a row for (every inspected one).
var RuleCategories = []Category{Webmail, Netdisk, WebChat, AIChat, FileTransfer, OnlineDocs, ObjectStorage, EncryptedChat, Other}

// Categories lists every category a catalog entry (extra_destinations) may name.
var Categories = append(slices.Clone(RuleCategories[:len(RuleCategories)-1]), Corporate)

// personal are the catalog's personal channels: the PAC file sends them to Sluice with no DIRECT fallback.
var personal = []Category{Webmail, Netdisk, WebChat, AIChat, FileTransfer, OnlineDocs, ObjectStorage, EncryptedChat}

// Service is one catalog entry: a named service with the hosts (and optionally paths) it uses.
type Service struct {
	Name     string   `yaml:"name"`     // e.g. "QQ邮箱"
	Category Category `yaml:"category"` // one of Categories
	Hosts    []string `yaml:"hosts"`    // "mail.qq.com" exact, "*.pcs.baidu.com" any subdomain (not the name itself)
	Paths    []string `yaml:"paths"`    // optional path prefixes; empty = every path
	// Integrity names query/form/JSON fields or headers that declare a hash or size of the
	// original file; uploads carrying them cannot be rewritten without breaking them.
	Integrity []string `yaml:"integrity"`
	// Opaque services encrypt files in the browser (MEGA): nothing they upload can be inspected.
	Opaque bool `yaml:"-"`
	// Reason says why a bypass entry is never decrypted (zh-CN, English).
	Reason [2]string `yaml:"-"`
}

// Destination is where one request goes, as the catalog sees it.
type Destination struct {
	Host      string    `json:"host"`
	Path      string    `json:"path,omitempty"`
	Category  Category  `json:"category"`
	Service   string    `json:"service,omitempty"`
	Integrity []string  `json:"-"` // integrity-declaring field names of this service
	Opaque    bool      `json:"opaque,omitempty"`
	Reason    [2]string `json:"-"` // why it is bypassed
}

// Inspected reports whether requests to this destination are decrypted and their uploads inspected.
func (d Destination) Inspected() bool {
	return d.Category != Corporate && d.Category != Bypass && d.Category != Intranet && d.Category != ""
}

// Personal reports whether the destination is one of the catalog's personal channels (not "other").
func (d Destination) Personal() bool { return slices.Contains(personal, d.Category) }

// entry is one host pattern of a service, prepared for lookup.
type entry struct {
	svc   *Service
	exact bool
	rank  int // catalog order: earlier entries win ties (company domains, then extra destinations, then built-ins)
}

// Catalog maps hosts and paths to services, with the patterns indexed once.
type Catalog struct {
	services []*Service
	exact    map[string][]entry // "mail.qq.com" → entries
	suffix   map[string][]entry // "pcs.baidu.com" → entries of "*.pcs.baidu.com"
}

// NewCatalog builds a catalog from the company's own domains, extra services, the built-in services and the bypass list.
func NewCatalog(extra []Service, companyDomains []string, bypass BypassSettings) *Catalog {
	var svcs []Service
	if len(companyDomains) > 0 {
		var hosts []string
		for _, d := range companyDomains {
			d = strings.TrimPrefix(strings.ToLower(d), "*.")
			hosts = append(hosts, d, "*."+d)
		}
		svcs = append(svcs, Service{Name: "公司自有域名", Category: Corporate, Hosts: hosts})
	}
	svcs = append(svcs, extra...)
	svcs = append(svcs, builtinServices...)
	for _, g := range bypass.groups() {
		svcs = append(svcs, Service{Name: g.Name, Category: Bypass, Hosts: g.Hosts, Reason: g.Reason})
	}
	for _, h := range bypass.Hosts {
		svcs = append(svcs, Service{Name: "bypass", Category: Bypass, Hosts: []string{h.Host}, Reason: [2]string{h.Reason, h.Reason}})
	}
	c := &Catalog{exact: map[string][]entry{}, suffix: map[string][]entry{}}
	for i := range svcs {
		s := &svcs[i]
		c.services = append(c.services, s)
		for _, p := range s.Hosts {
			p = strings.ToLower(strings.TrimSpace(p))
			if suf, ok := strings.CutPrefix(p, "*."); ok {
				c.suffix[suf] = append(c.suffix[suf], entry{svc: s, rank: i})
			} else {
				c.exact[p] = append(c.exact[p], entry{svc: s, exact: true, rank: i})
			}
		}
	}
	return c
}

// Services returns every service in lookup order.
func (c *Catalog) Services() []*Service { return c.services }

// Lookup finds the destination of a request to host (with or without port) and path ("" for a CONNECT).
func (c *Catalog) Lookup(host, path string) Destination {
	host = normalizeHost(host)
	d := Destination{Host: host, Path: path, Category: Other}
	if local(host) {
		d.Category = Intranet
		return d
	}
	// the most specific pattern wins: the exact name, then the longest suffix; within one, the first
	// (company domains and policy entries come before built-ins, corporate and bypass before the rest)
	if s := c.pick(c.exact[host], path); s != nil {
		return fill(d, s)
	}
	for rest := host; ; {
		i := strings.IndexByte(rest, '.')
		if i < 0 {
			break
		}
		rest = rest[i+1:]
		if s := c.pick(c.suffix[rest], path); s != nil {
			return fill(d, s)
		}
	}
	return d
}

// pick chooses among the entries of one pattern: those whose paths match, never-decrypted ones first, then catalog order.
func (c *Catalog) pick(es []entry, path string) *Service {
	var best *entry
	for i := range es {
		e := &es[i]
		if len(e.svc.Paths) > 0 && path != "" && !hasAnyPrefix(path, e.svc.Paths) {
			continue
		}
		if best == nil || neverDecrypted(e.svc.Category) && !neverDecrypted(best.svc.Category) {
			best = e
		}
	}
	if best == nil {
		return nil
	}
	return best.svc
}

func neverDecrypted(c Category) bool { return c == Corporate || c == Bypass }

func fill(d Destination, s *Service) Destination {
	d.Category, d.Service, d.Integrity, d.Opaque, d.Reason = s.Category, s.Name, s.Integrity, s.Opaque, s.Reason
	return d
}

// Intercept reports whether TLS to host should be opened (MITM) rather than tunnelled.
func (c *Catalog) Intercept(host string) bool { return c.Lookup(host, "").Inspected() }

// Hosts lists the host patterns of the given categories, in catalog order, without duplicates.
func (c *Catalog) Hosts(cats ...Category) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range c.services {
		if !slices.Contains(cats, s.Category) {
			continue
		}
		for _, h := range s.Hosts {
			h = strings.ToLower(h)
			if !seen[h] {
				seen[h] = true
				out = append(out, h)
			}
		}
	}
	return out
}

// WatchedHosts lists the host patterns of the personal channels (CA name constraints, the PAC's fail-closed list).
func (c *Catalog) WatchedHosts() []string { return c.Hosts(personal...) }

// local reports whether host is a plain name or a private, loopback or link-local address: the intranet.
func local(host string) bool {
	if host == "localhost" || !strings.Contains(host, ".") && !strings.Contains(host, ":") {
		return true
	}
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	if err != nil {
		return false
	}
	return ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsUnspecified()
}

func normalizeHost(h string) string {
	if hh, _, err := net.SplitHostPort(h); err == nil {
		h = hh
	}
	return strings.Trim(strings.TrimSuffix(strings.ToLower(h), "."), "[]")
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
