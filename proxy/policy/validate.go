package policy

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"gopkg.in/yaml.v3"
)

// lineOf finds the line of a key path in the YAML tree (0 when absent).
func lineOf(n *yaml.Node, path ...string) int {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	for _, key := range path {
		if n.Kind != yaml.MappingNode {
			return line
		}
		found := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				line, n, found = n.Content[i].Line, n.Content[i+1], true
				break
			}
		}
		if !found {
			return line
		}
	}
	return line
}

// problem builds a validation error naming the policy file and line in both languages.
func (p *Policy) problem(line int, zh, en string, args ...any) error {
	return l10n.Errorf(l10n.Invalid, "策略文件 %s 第 %d 行：", "policy %s line %d: ", p.file, line).Append(zh, en, args...)
}

func (p *Policy) validate(root *yaml.Node) error {
	bad := p.problem
	if p.Version != 1 {
		return bad(lineOf(root, "version"), "不支持 version %d；请写 version: 1", "version %d is not supported; use version: 1", p.Version)
	}
	if err := p.validateRules(root); err != nil {
		return err
	}
	for i, d := range p.CompanyDomains {
		if strings.ContainsAny(d, " /:") || !strings.Contains(d, ".") {
			return bad(lineOf(root, "company_domains"), "company_domains[%d] = %q 不是 example.com 这样的域名", "company_domains[%d] = %q is not a domain name like example.com", i, d)
		}
	}
	for i, s := range p.ExtraDestination {
		if s.Name == "" || len(s.Hosts) == 0 || s.Category == "" {
			return bad(lineOf(root, "extra_destinations"), "extra_destinations[%d] 需要 name、category 和 hosts", "extra_destinations[%d] needs name, category and hosts", i)
		}
		if s.Category == Other {
			return bad(lineOf(root, "extra_destinations"), "extra_destinations[%d] 的类别不能是 other：不在目录中的网站本来就是 other", "extra_destinations[%d] cannot be in category other: every host not in the catalog already is", i)
		}
		for _, h := range s.Hosts {
			if why := badHostPattern(h); why != "" {
				return bad(lineOf(root, "extra_destinations"), "extra_destinations[%d] 的主机 %q %s", "extra_destinations[%d] host %q %s", i, h, why)
			}
		}
	}
	if err := p.validateBypass(root); err != nil {
		return err
	}
	if err := p.validateOCR(root); err != nil {
		return err
	}
	if err := p.validateDeparting(root); err != nil {
		return err
	}
	if err := p.validateRisk(root); err != nil {
		return err
	}
	if err := p.validateArchive(root); err != nil {
		return err
	}
	if err := p.validateWindow(root); err != nil {
		return err
	}
	switch p.PAC.Fallback {
	case "":
		p.PAC.Fallback = "direct"
	case "direct", "closed":
	default:
		return bad(lineOf(root, "pac", "fallback"), "pac.fallback 为 %q；请写 direct（Sluice 不可用时其他网站直连）或 closed（一律不可用）",
			"pac.fallback is %q; use direct (other sites go direct when Sluice is down) or closed (they fail)", p.PAC.Fallback)
	}
	if err := p.validatePorts(root); err != nil {
		return err
	}
	if err := p.validateAlerts(root); err != nil {
		return err
	}
	for i, o := range p.ExtensionOrigins {
		if !strings.HasPrefix(o, "chrome-extension://") && !strings.HasPrefix(o, "moz-extension://") {
			return bad(lineOf(root, "extension_origins"), "extension_origins[%d] = %q 应形如 chrome-extension://<id> 或 moz-extension://<uuid>",
				"extension_origins[%d] = %q must look like chrome-extension://<id> or moz-extension://<uuid>", i, o)
		}
	}
	if zh, en := checkTemplate(p.Watermark.Template); en != "" {
		return bad(lineOf(root, "watermark"), "watermark.template %q %s", "watermark.template %q %s", p.Watermark.Template, zh, en)
	}
	return nil
}

// validateRules checks every category's row; a row missing from an older policy file is taken from the
// built-in default (and said so in the notes).
func (p *Policy) validateRules(root *yaml.Node) error {
	bad := p.problem
	if p.Rules == nil {
		p.Rules = map[Category]Rule{}
	}
	if _, ok := p.Rules[Corporate]; ok {
		return bad(lineOf(root, "rules", "corporate"), "企业渠道从不拦截；请删除 rules.corporate（公司域名写在 company_domains 下）",
			"corporate channels are never intercepted; remove rules.corporate (add company domains under company_domains)")
	}
	for _, c := range RuleCategories {
		r, ok := p.Rules[c]
		if !ok {
			if p.file == "default.yaml" {
				return bad(lineOf(root, "rules"), "默认策略缺少 rules.%s", "the default policy lacks rules.%s", c)
			}
			r = Default().Rules[c]
			p.Rules[c] = r
			p.notes = append(p.notes, [2]string{fmt.Sprintf("rules.%s 未设置，采用内置默认值（见 sluice policy default）", c),
				fmt.Sprintf("rules.%s is not set; the built-in default applies (see sluice policy default)", c)})
			continue
		}
		fields := map[string]Verdict{"sensitive_file": r.SensitiveFile, "pdf_or_image": r.PDFOrImage, "other_file": r.OtherFile,
			"sensitive_message": r.SensitiveMessage, "message": r.Message, "uninspectable": r.Uninspectable,
			"unmarkable": r.Unmarkable, "integrity_checked": r.IntegrityChecked}
		for _, name := range []string{"sensitive_file", "pdf_or_image", "other_file", "sensitive_message", "message", "uninspectable", "unmarkable", "integrity_checked"} {
			if fields[name] == "" {
				return bad(lineOf(root, "rules", string(c)), "缺少 rules.%s.%s；请设为 allow、block、approval 或 watermark", "rules.%s.%s is missing; set it to allow, block, approval or watermark", c, name)
			}
		}
		for _, name := range []string{"uninspectable", "unmarkable", "integrity_checked"} {
			v := fields[name]
			if c == Other && name == "uninspectable" && v == Allow {
				continue // the one exception: content nobody can read, to a site outside the catalog, may be let through
			}
			if v == Allow || v == Watermark {
				return bad(lineOf(root, "rules", string(c), name), "rules.%s.%s 为 %q：无法检查或加水印的内容不能悄悄放行；请用 approval 或 block",
					"rules.%s.%s is %q: content Sluice cannot check or mark must not leave silently; use approval or block", c, name, v)
			}
		}
		if r.SensitiveFile == Allow {
			return bad(lineOf(root, "rules", string(c), "sensitive_file"), "rules.%s.sensitive_file 为 allow：含客户资料的文件会不经任何审批离开；请用 watermark、approval 或 block",
				"rules.%s.sensitive_file is allow: files with customer data would leave unrecorded by any approval; use watermark, approval or block", c)
		}
	}
	return nil
}

// validateBypass checks the bypass section: known groups, host patterns, and no bypass of a corporate host.
func (p *Policy) validateBypass(root *yaml.Node) error {
	bad := p.problem
	for _, g := range p.Bypass.Groups {
		if !slices.ContainsFunc(BypassGroups, func(b BypassGroup) bool { return b.Name == g }) {
			names := make([]string, len(BypassGroups))
			for i, b := range BypassGroups {
				names[i] = b.Name
			}
			return bad(lineOf(root, "bypass", "groups"), "bypass.groups 中的 %q 未知；可用：%s", "bypass.groups has unknown group %q; use %s", g, strings.Join(names, ", "))
		}
	}
	corporate := NewCatalog(nil, p.CompanyDomains, BypassSettings{Groups: []string{}})
	for i, h := range p.Bypass.Hosts {
		if why := badHostPattern(h.Host); why != "" {
			return bad(lineOf(root, "bypass", "hosts"), "bypass.hosts[%d] 的主机 %q %s", "bypass.hosts[%d] host %q %s", i, h.Host, why)
		}
		if strings.TrimSpace(h.Reason) == "" {
			return bad(lineOf(root, "bypass", "hosts"), "bypass.hosts[%d]（%s）需要写明 reason：为什么不能解密", "bypass.hosts[%d] (%s) needs a reason: why it must not be decrypted", i, h.Host)
		}
		probe := strings.TrimPrefix(h.Host, "*.")
		if d := corporate.Lookup(probe, ""); d.Category == Corporate {
			return bad(lineOf(root, "bypass", "hosts"), "bypass.hosts[%d] 的 %q 是企业渠道（%s），本来就从不解密；请删除这一项",
				"bypass.hosts[%d] %q is a corporate channel (%s), which is never decrypted anyway; remove it", i, h.Host, d.Service)
		}
		if d := corporate.Lookup(probe, ""); d.Personal() {
			p.notes = append(p.notes, [2]string{fmt.Sprintf("bypass.hosts[%d] 让个人渠道 %s（%s）不被检查：发往它的客户资料将不受拦截", i, h.Host, d.Service),
				fmt.Sprintf("bypass.hosts[%d] exempts the personal channel %s (%s): customer data sent there is no longer stopped", i, h.Host, d.Service)})
		}
	}
	return nil
}

// badHostPattern says what is wrong with a host pattern ("mail.qq.com" or "*.qq.com"), or "".
func badHostPattern(h string) string {
	name := strings.TrimPrefix(h, "*.")
	switch {
	case h == "" || strings.ContainsAny(h, " /:@?#") || strings.Contains(name, "*"):
		return "不是 mail.qq.com 或 *.qq.com 这样的主机名 / is not a host name like mail.qq.com or *.qq.com"
	case !strings.Contains(name, "."):
		if _, err := netip.ParseAddr(name); err != nil {
			return "不是完整的域名 / is not a full domain name"
		}
	}
	return ""
}

// validateAlerts checks the alert channels.
func (p *Policy) validateAlerts(root *yaml.Node) error {
	bad := p.problem
	for i, a := range p.Alerts {
		switch a.Type {
		case "wecom", "dingtalk", "webhook":
			if !strings.HasPrefix(a.URL, "http://") && !strings.HasPrefix(a.URL, "https://") {
				return bad(lineOf(root, "alerts"), "alerts[%d]（%s）的 url %q 必须以 https:// 开头", "alerts[%d] (%s) url %q must start with https://", i, a.Type, a.URL)
			}
		case "smtp":
			if a.SMTPAddr == "" || a.From == "" || len(a.To) == 0 {
				return bad(lineOf(root, "alerts"), "alerts[%d]（smtp）需要 smtp_addr、from 和 to", "alerts[%d] (smtp) needs smtp_addr, from and to", i)
			}
		default:
			return bad(lineOf(root, "alerts"), "alerts[%d] 的类型 %q 未知；可用 wecom、dingtalk、webhook 或 smtp", "alerts[%d] has unknown type %q; use wecom, dingtalk, webhook or smtp", i, a.Type)
		}
		for _, on := range a.On {
			if on != "block" && on != "request" && on != "risk" {
				return bad(lineOf(root, "alerts"), "alerts[%d] on: %q；可用 block、request、risk", "alerts[%d] on: %q; use block, request and/or risk", i, on)
			}
		}
	}
	return nil
}

// checkTemplate says (in Chinese and English) what is wrong with a visible-mark template, or "":
// only {name}, {staff_id} and {time} are replaced, and a mark that names nobody proves nothing.
// An empty template means the built-in one.
func checkTemplate(t string) (zh, en string) {
	if t == "" {
		return "", ""
	}
	for _, m := range placeholder.FindAllString(t, -1) {
		if m != "{name}" && m != "{staff_id}" && m != "{time}" {
			return "含未知占位符 " + m + "；可用 {name}、{staff_id} 和 {time}", "has unknown placeholder " + m + "; use {name}, {staff_id} and {time}"
		}
	}
	if !strings.Contains(t, "{name}") && !strings.Contains(t, "{staff_id}") {
		return "没有写明是谁；请包含 {name} 或 {staff_id}", "names nobody; include {name} or {staff_id}"
	}
	return "", ""
}
