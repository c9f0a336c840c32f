package policy

import (
	"net/url"
	"strings"

	"github.com/sluice-dlp/sluice/internal/l10n"
)

var categoryNames = map[Category][2]string{
	Webmail:       {"个人邮箱", "personal webmail"},
	Netdisk:       {"个人网盘", "personal netdisk"},
	WebChat:       {"网页聊天", "web chat"},
	AIChat:        {"AI 聊天", "AI chat"},
	FileTransfer:  {"文件快传", "file transfer"},
	OnlineDocs:    {"在线文档", "online docs"},
	ObjectStorage: {"对象存储", "object storage"},
	EncryptedChat: {"加密聊天", "encrypted chat"},
	Other:         {"其他网站", "other site"},
	Corporate:     {"企业渠道", "corporate channel"},
	Bypass:        {"不解密的网站", "bypassed site"},
	Intranet:      {"内网", "intranet"},
}

// CategoryName names a destination category for people in lang (an unknown one as it is).
func CategoryName(c Category, lang l10n.Lang) string {
	if n, ok := categoryNames[c]; ok {
		return lang.Pick(n[0], n[1])
	}
	return string(c)
}

var verdictNames = map[Verdict][2]string{Allow: {"放行", "allow"}, Watermark: {"加水印后放行", "allow with watermark"},
	Approval: {"需审批", "hold for approval"}, Block: {"阻止", "block"}}

// VerdictName names a verdict for people in lang.
func VerdictName(v Verdict, lang l10n.Lang) string {
	if n, ok := verdictNames[v]; ok {
		return lang.Pick(n[0], n[1])
	}
	return string(v)
}

// DestinationFor turns a URL or bare host into the destination the catalog sees for it.
func (p *Policy) DestinationFor(s string) (Destination, error) {
	raw := s
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" {
		return Destination{}, l10n.Errorf(l10n.Invalid, "目的地 %q 不是网址或主机名；请写成 https://pan.baidu.com/ 这样", "destination %q is not a URL or host name; give e.g. https://pan.baidu.com/", raw)
	}
	return p.Catalog().Lookup(u.Host, u.EscapedPath()), nil
}
