package policy

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/proxy/inspect"
	"gopkg.in/yaml.v3"
)

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML returns the commented default policy file written on first start.
func DefaultYAML() []byte { return slices.Clone(defaultYAML) }

// Verdict is what happens to an upload or message.
type Verdict string

// Verdicts, from least to most restrictive.
const (
	Allow     Verdict = "allow"
	Watermark Verdict = "watermark"
	Approval  Verdict = "approval"
	Block     Verdict = "block"
)

var severity = map[Verdict]int{Allow: 0, Watermark: 1, Approval: 2, Block: 3}

// Stricter returns the more restrictive of two verdicts.
func Stricter(a, b Verdict) Verdict {
	if severity[b] > severity[a] {
		return b
	}
	return a
}

// Thresholds say when content counts as sensitive: reaching any one non-zero threshold is enough.
type Thresholds struct {
	CustomerMatches int `yaml:"customer_matches"`
	ContactRecords  int `yaml:"contact_records"`
	Phones          int `yaml:"phones"`
	IDNumbers       int `yaml:"id_numbers"`
	BankCards       int `yaml:"bank_cards"`
	Fingerprints    int `yaml:"fingerprints"`
}

// Rule holds the action for each situation within one destination category.
type Rule struct {
	SensitiveFile    Verdict `yaml:"sensitive_file"`
	PDFOrImage       Verdict `yaml:"pdf_or_image"`
	OtherFile        Verdict `yaml:"other_file"`
	SensitiveMessage Verdict `yaml:"sensitive_message"`
	Message          Verdict `yaml:"message"`
	Uninspectable    Verdict `yaml:"uninspectable"`
	Unmarkable       Verdict `yaml:"unmarkable"`
	IntegrityChecked Verdict `yaml:"integrity_checked"`
}

// InspectSettings configure the inspection engine.
type InspectSettings struct {
	Keywords    []string `yaml:"keywords"`
	MaxDepth    int      `yaml:"max_depth"`
	MaxRatio    int64    `yaml:"max_ratio"`
	MaxTotalMB  int64    `yaml:"max_total_mb"`
	TimeBudgetS int      `yaml:"time_budget_s"`
}

// Limits turns the settings into the inspection engine's limits (zero fields take its defaults).
func (s InspectSettings) Limits() inspect.Limits {
	return inspect.Limits{MaxDepth: s.MaxDepth, MaxRatio: s.MaxRatio, MaxTotal: s.MaxTotalMB << 20,
		TimeBudget: time.Duration(s.TimeBudgetS) * time.Second}
}

// WatermarkSettings configure visible marks and the outbound archive.
type WatermarkSettings struct {
	Template      string `yaml:"template"`
	RetentionDays int    `yaml:"retention_days"`
}

// AlertChannel is one manager alert destination from policy.yaml.
type AlertChannel struct {
	Type         string   `yaml:"type"`
	URL          string   `yaml:"url"`
	Secret       string   `yaml:"secret"`
	On           []string `yaml:"on"`
	SMTPAddr     string   `yaml:"smtp_addr"`
	SMTPUser     string   `yaml:"smtp_user"`
	SMTPPassword string   `yaml:"smtp_password"`
	From         string   `yaml:"from"`
	To           []string `yaml:"to"`
}

// Policy is a validated policy file.
type Policy struct {
	Version          int                                  `yaml:"version"`
	CompanyDomains   []string                             `yaml:"company_domains"`
	Sensitive        struct{ Files, Messages Thresholds } `yaml:"sensitive"`
	Rules            map[Category]Rule                    `yaml:"rules"`
	Inspect          InspectSettings                      `yaml:"inspect"`
	Watermark        WatermarkSettings                    `yaml:"watermark"`
	Alerts           []AlertChannel                       `yaml:"alerts"`
	ExtraDestination []Service                            `yaml:"extra_destinations"`
	ExtensionOrigins []string                             `yaml:"extension_origins"`

	catalog *Catalog
	file    string
}

// Default returns the built-in default policy.
func Default() *Policy {
	p, err := Parse("default.yaml", defaultYAML)
	if err != nil {
		panic("built-in default policy is invalid: " + err.Error())
	}
	return p
}

// LoadFile reads and validates a policy file.
func LoadFile(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, l10n.Wrap(err, l10n.Invalid, "无法读取策略文件 %s；运行 'sluice init' 生成默认策略", "cannot read policy %s; run 'sluice init' to create the default one", path)
	}
	return Parse(path, data)
}

// Parse decodes and validates policy YAML; errors name the file, line and bad value.
func Parse(file string, data []byte) (*Policy, error) {
	var root yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&root); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		return nil, l10n.Errorf(l10n.Invalid, "策略文件 %s 不是有效的 YAML：%s", "policy %s is not valid YAML: %s", file, msg)
	}
	if err := checkKeys(file, &root, reflect.TypeFor[Policy](), ""); err != nil {
		return nil, err
	}
	p := &Policy{file: file}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(p); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		var te *yaml.TypeError
		if errors.As(err, &te) {
			msg = strings.Join(te.Errors, "; ")
		}
		return nil, l10n.Errorf(l10n.Invalid, "策略文件 %s：%s", "policy %s: %s", file, msg)
	}
	if err := p.validate(&root); err != nil {
		return nil, err
	}
	p.catalog = NewCatalog(p.ExtraDestination, p.CompanyDomains)
	return p, nil
}

// UnmarshalYAML accepts only known verdict names and reports the line of a bad one.
func (v *Verdict) UnmarshalYAML(n *yaml.Node) error {
	s := Verdict(strings.TrimSpace(n.Value))
	if _, ok := severity[s]; !ok {
		return fmt.Errorf("line %d: unknown action %q; use allow, block, approval or watermark (第 %d 行：未知动作)", n.Line, n.Value, n.Line)
	}
	*v = s
	return nil
}

// UnmarshalYAML accepts only known category names and reports the line of a bad one.
func (c *Category) UnmarshalYAML(n *yaml.Node) error {
	s := Category(strings.TrimSpace(n.Value))
	if !slices.Contains(Categories, s) {
		names := make([]string, len(Categories))
		for i, c := range Categories {
			names[i] = string(c)
		}
		return fmt.Errorf("line %d: unknown category %q; use one of %s (第 %d 行：未知类别)", n.Line, n.Value, strings.Join(names, ", "), n.Line)
	}
	*c = s
	return nil
}

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
	for _, c := range []Category{Webmail, Netdisk, WebChat, EncryptedChat} {
		r, ok := p.Rules[c]
		if !ok {
			return bad(lineOf(root, "rules"), "rules 中缺少 %q；每个受监控的类别都需要一条规则（见默认策略）", "rules has no entry for %q; every watched category needs one (see the default policy)", c)
		}
		fields := map[string]Verdict{"sensitive_file": r.SensitiveFile, "pdf_or_image": r.PDFOrImage, "other_file": r.OtherFile,
			"sensitive_message": r.SensitiveMessage, "message": r.Message, "uninspectable": r.Uninspectable,
			"unmarkable": r.Unmarkable, "integrity_checked": r.IntegrityChecked}
		for name, v := range fields {
			if v == "" {
				return bad(lineOf(root, "rules", string(c)), "缺少 rules.%s.%s；请设为 allow、block、approval 或 watermark", "rules.%s.%s is missing; set it to allow, block, approval or watermark", c, name)
			}
		}
		for name, v := range map[string]Verdict{"uninspectable": r.Uninspectable, "unmarkable": r.Unmarkable, "integrity_checked": r.IntegrityChecked} {
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
	if _, ok := p.Rules[Corporate]; ok {
		return bad(lineOf(root, "rules", "corporate"), "企业渠道从不拦截；请删除 rules.corporate（公司域名写在 company_domains 下）",
			"corporate channels are never intercepted; remove rules.corporate (add company domains under company_domains)")
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
	}
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
			if on != "block" && on != "request" {
				return bad(lineOf(root, "alerts"), "alerts[%d] on: %q；可用 block 和/或 request", "alerts[%d] on: %q; use block and/or request", i, on)
			}
		}
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

var placeholder = regexp.MustCompile(`\{[^{}]*\}`)

// Catalog returns the destination catalog including company domains and extra destinations.
func (p *Policy) Catalog() *Catalog { return p.catalog }

// File returns the path the policy was loaded from.
func (p *Policy) File() string { return p.file }

// Retention returns how long archived blobs are kept (0 = forever).
func (p *Policy) Retention() time.Duration {
	return time.Duration(p.Watermark.RetentionDays) * 24 * time.Hour
}
