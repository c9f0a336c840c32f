// Package policy knows where uploads go (the destination catalog) and what to do with them (rules → verdict).
package policy

import (
	"net"
	"strings"
)

// Category groups destinations that share a policy.
type Category string

// Destination categories; the empty category means "not watched".
const (
	Webmail       Category = "webmail"        // personal webmail
	Netdisk       Category = "netdisk"        // personal cloud drives
	WebChat       Category = "webchat"        // web chat (WeChat web, file helper)
	EncryptedChat Category = "encrypted_chat" // Telegram / WhatsApp web
	Corporate     Category = "corporate"      // company channels: always open, never intercepted
	Unwatched     Category = ""
)

// Categories lists the categories a policy may name.
var Categories = []Category{Webmail, Netdisk, WebChat, EncryptedChat, Corporate}

// Service is one catalog entry: a named service with the hosts (and optionally paths) it uses.
type Service struct {
	Name     string   `yaml:"name"`     // e.g. "QQ邮箱"
	Category Category `yaml:"category"` // one of Categories
	Hosts    []string `yaml:"hosts"`    // "mail.qq.com" exact, "*.pcs.baidu.com" any subdomain
	Paths    []string `yaml:"paths"`    // optional path prefixes; empty = every path
	// Integrity names query/form/JSON fields or headers that declare a hash or size of the
	// original file; uploads carrying them cannot be rewritten without breaking them.
	Integrity []string `yaml:"integrity"`
}

// builtinServices is the catalog shipped with Sluice; policy.yaml can add more.
var builtinServices = []Service{
	{Name: "QQ邮箱", Category: Webmail, Hosts: []string{"mail.qq.com", "wx.mail.qq.com", "*.mail.qq.com"}, Integrity: []string{"md5", "sha"}},
	{Name: "网易163邮箱", Category: Webmail, Hosts: []string{"mail.163.com", "*.mail.163.com"}},
	{Name: "网易126邮箱", Category: Webmail, Hosts: []string{"mail.126.com", "*.mail.126.com"}},
	{Name: "网易yeah邮箱", Category: Webmail, Hosts: []string{"mail.yeah.net", "*.mail.yeah.net"}},
	{Name: "新浪邮箱", Category: Webmail, Hosts: []string{"mail.sina.com.cn", "*.mail.sina.com.cn", "mail.sina.com"}},
	{Name: "搜狐邮箱", Category: Webmail, Hosts: []string{"mail.sohu.com"}},
	{Name: "139邮箱", Category: Webmail, Hosts: []string{"mail.10086.cn", "*.mail.10086.cn"}},
	{Name: "阿里邮箱(个人)", Category: Webmail, Hosts: []string{"mail.aliyun.com"}},
	{Name: "Gmail", Category: Webmail, Hosts: []string{"mail.google.com"}},
	{Name: "Outlook.com", Category: Webmail, Hosts: []string{"outlook.live.com", "outlook.office.com", "attachments.office.net"}},
	{Name: "Yahoo Mail", Category: Webmail, Hosts: []string{"mail.yahoo.com", "*.mail.yahoo.com"}},
	{Name: "iCloud Mail", Category: Webmail, Hosts: []string{"www.icloud.com", "*.icloud.com"}},
	{Name: "Proton Mail", Category: Webmail, Hosts: []string{"mail.proton.me", "mail.protonmail.com"}},

	{Name: "百度网盘", Category: Netdisk, Hosts: []string{"pan.baidu.com", "yun.baidu.com", "*.pcs.baidu.com", "d.pcs.baidu.com", "c.pcs.baidu.com"}, Integrity: []string{"block_list", "content-md5", "slice-md5", "content-crc32"}},
	{Name: "阿里云盘", Category: Netdisk, Hosts: []string{"aliyundrive.com", "www.aliyundrive.com", "api.aliyundrive.com", "*.aliyundrive.net", "alipan.com", "www.alipan.com", "api.alipan.com", "*.alipan.com"}, Integrity: []string{"content_hash", "proof_code"}},
	{Name: "腾讯微云", Category: Netdisk, Hosts: []string{"weiyun.com", "www.weiyun.com", "*.weiyun.com"}, Integrity: []string{"file_sha", "file_md5"}},
	{Name: "115网盘", Category: Netdisk, Hosts: []string{"115.com", "*.115.com"}, Integrity: []string{"fileid", "preid"}},
	{Name: "夸克网盘", Category: Netdisk, Hosts: []string{"pan.quark.cn", "drive.quark.cn", "*.quark.cn"}},
	{Name: "天翼云盘", Category: Netdisk, Hosts: []string{"cloud.189.cn", "*.cloud.189.cn"}},
	{Name: "蓝奏云", Category: Netdisk, Hosts: []string{"*.lanzou.com", "*.lanzoui.com", "up.woozooo.com", "pc.woozooo.com"}},
	{Name: "Google Drive", Category: Netdisk, Hosts: []string{"drive.google.com", "docs.google.com"}, Integrity: []string{"x-goog-upload-header-content-length"}},
	{Name: "Google Drive (upload)", Category: Netdisk, Hosts: []string{"www.googleapis.com", "content.googleapis.com"}, Paths: []string{"/upload/drive/"}, Integrity: []string{"x-goog-upload-header-content-length"}},
	{Name: "Dropbox", Category: Netdisk, Hosts: []string{"dropbox.com", "www.dropbox.com", "*.dropbox.com", "*.dropboxapi.com"}, Integrity: []string{"content_hash"}},
	{Name: "OneDrive", Category: Netdisk, Hosts: []string{"onedrive.live.com", "*.onedrive.live.com", "api.onedrive.com", "*.storage.live.com"}},
	{Name: "WeTransfer", Category: Netdisk, Hosts: []string{"wetransfer.com", "*.wetransfer.com"}},

	{Name: "微信网页版", Category: WebChat, Hosts: []string{"wx.qq.com", "wx2.qq.com", "wx8.qq.com", "web.wechat.com", "file.wx.qq.com", "file.wx2.qq.com", "file.wx8.qq.com", "webpush.wx.qq.com", "webpush.wx2.qq.com", "szfilehelper.weixin.qq.com", "filehelper.weixin.qq.com"}, Integrity: []string{"filemd5"}},
	{Name: "QQ网页版", Category: WebChat, Hosts: []string{"web.qun.qq.com", "docs.qq.com"}},

	{Name: "Telegram Web", Category: EncryptedChat, Hosts: []string{"web.telegram.org", "*.web.telegram.org"}},
	{Name: "WhatsApp Web", Category: EncryptedChat, Hosts: []string{"web.whatsapp.com", "*.web.whatsapp.com"}},

	{Name: "企业微信", Category: Corporate, Hosts: []string{"work.weixin.qq.com", "*.work.weixin.qq.com", "qyapi.weixin.qq.com"}},
	{Name: "钉钉", Category: Corporate, Hosts: []string{"dingtalk.com", "*.dingtalk.com"}},
	{Name: "腾讯企业邮箱", Category: Corporate, Hosts: []string{"exmail.qq.com", "*.exmail.qq.com"}},
	{Name: "飞书", Category: Corporate, Hosts: []string{"feishu.cn", "*.feishu.cn"}},
}

// Destination is where one request goes, as the catalog sees it.
type Destination struct {
	Host      string   `json:"host"`
	Path      string   `json:"path,omitempty"`
	Category  Category `json:"category"`
	Service   string   `json:"service,omitempty"`
	Integrity []string `json:"-"` // integrity-declaring field names of this service
}

// Watched reports whether uploads to this destination are inspected.
func (d Destination) Watched() bool { return d.Category != Unwatched && d.Category != Corporate }

// Catalog maps hosts and paths to services.
type Catalog struct {
	services []Service
}

// NewCatalog builds a catalog from the built-in services, extra services, and the company's own domains.
func NewCatalog(extra []Service, companyDomains []string) *Catalog {
	c := &Catalog{}
	if len(companyDomains) > 0 {
		var hosts []string
		for _, d := range companyDomains {
			d = strings.TrimPrefix(strings.ToLower(d), "*.")
			hosts = append(hosts, d, "*."+d)
		}
		c.services = append(c.services, Service{Name: "公司自有域名", Category: Corporate, Hosts: hosts})
	}
	c.services = append(c.services, extra...)
	c.services = append(c.services, builtinServices...)
	return c
}

// Services returns every service in lookup order.
func (c *Catalog) Services() []Service { return c.services }

// hostScore returns how specifically pattern matches host: 0 = no match.
func hostScore(pattern, host string) int {
	pattern = strings.ToLower(pattern)
	if pattern == host {
		return 1000 + len(pattern)
	}
	if suf, ok := strings.CutPrefix(pattern, "*."); ok && strings.HasSuffix(host, "."+suf) {
		return len(suf)
	}
	return 0
}

// Lookup finds the destination of a request to host (with or without port) and path.
func (c *Catalog) Lookup(host, path string) Destination {
	host = normalizeHost(host)
	d := Destination{Host: host, Path: path}
	best := 0
	for _, s := range c.services {
		if len(s.Paths) > 0 && path != "" && !hasAnyPrefix(path, s.Paths) {
			continue
		}
		for _, p := range s.Hosts {
			if sc := hostScore(p, host); sc > best || (sc == best && sc > 0 && s.Category == Corporate) {
				best = sc
				d.Category, d.Service, d.Integrity = s.Category, s.Name, s.Integrity
			}
		}
	}
	return d
}

// Intercept reports whether TLS to host should be opened (MITM) rather than tunnelled.
func (c *Catalog) Intercept(host string) bool { return c.Lookup(host, "").Watched() }

// WatchedHosts lists the host patterns of watched categories (for the PAC file and CA name constraints).
func (c *Catalog) WatchedHosts() []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range c.services {
		if s.Category == Corporate {
			continue
		}
		for _, h := range s.Hosts {
			if !seen[h] {
				seen[h] = true
				out = append(out, strings.ToLower(h))
			}
		}
	}
	return out
}

func normalizeHost(h string) string {
	if hh, _, err := net.SplitHostPort(h); err == nil {
		h = hh
	}
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
