package policy

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

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
		panic("sluice: built-in default policy is invalid: " + err.Error())
	}
	return p
}

// LoadFile reads and validates a policy file.
func LoadFile(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sluice: cannot read policy %s: %w; run 'sluice init' to create the default one", path, err)
	}
	return Parse(path, data)
}

// Parse decodes and validates policy YAML; errors name the file, line and bad value.
func Parse(file string, data []byte) (*Policy, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("sluice: policy %s: %s", file, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	p := &Policy{file: file}
	dec = yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(p); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("sluice: policy %s: %s", file, strings.Join(te.Errors, "; "))
		}
		return nil, fmt.Errorf("sluice: policy %s: %s", file, strings.TrimPrefix(err.Error(), "yaml: "))
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
		return fmt.Errorf("line %d: unknown action %q; use allow, block, approval or watermark", n.Line, n.Value)
	}
	*v = s
	return nil
}

// UnmarshalYAML accepts only known category names and reports the line of a bad one.
func (c *Category) UnmarshalYAML(n *yaml.Node) error {
	s := Category(strings.TrimSpace(n.Value))
	if !slices.Contains(Categories, s) {
		return fmt.Errorf("line %d: unknown category %q; use one of webmail, netdisk, webchat, encrypted_chat, corporate", n.Line, n.Value)
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

func (p *Policy) validate(root *yaml.Node) error {
	bad := func(line int, format string, args ...any) error {
		return fmt.Errorf("sluice: policy %s line %d: %s", p.file, line, fmt.Sprintf(format, args...))
	}
	if p.Version != 1 {
		return bad(lineOf(root, "version"), "version %d is not supported; use version: 1", p.Version)
	}
	for _, c := range []Category{Webmail, Netdisk, WebChat, EncryptedChat} {
		r, ok := p.Rules[c]
		if !ok {
			return bad(lineOf(root, "rules"), "rules has no entry for %q; every watched category needs one (see the default policy)", c)
		}
		fields := map[string]Verdict{"sensitive_file": r.SensitiveFile, "pdf_or_image": r.PDFOrImage, "other_file": r.OtherFile,
			"sensitive_message": r.SensitiveMessage, "message": r.Message, "uninspectable": r.Uninspectable,
			"unmarkable": r.Unmarkable, "integrity_checked": r.IntegrityChecked}
		for name, v := range fields {
			if v == "" {
				return bad(lineOf(root, "rules", string(c)), "rules.%s.%s is missing; set it to allow, block, approval or watermark", c, name)
			}
		}
		for name, v := range map[string]Verdict{"uninspectable": r.Uninspectable, "unmarkable": r.Unmarkable, "integrity_checked": r.IntegrityChecked} {
			if v == Allow || v == Watermark {
				return bad(lineOf(root, "rules", string(c), name), "rules.%s.%s is %q: content Sluice cannot check or mark must not leave silently; use approval or block", c, name, v)
			}
		}
		if r.SensitiveFile == Allow {
			return bad(lineOf(root, "rules", string(c), "sensitive_file"), "rules.%s.sensitive_file is allow: files with customer data would leave unrecorded by any approval; use watermark, approval or block", c)
		}
	}
	if _, ok := p.Rules[Corporate]; ok {
		return bad(lineOf(root, "rules", "corporate"), "corporate channels are never intercepted; remove rules.corporate (add company domains under company_domains)")
	}
	for i, d := range p.CompanyDomains {
		if strings.ContainsAny(d, " /:") || !strings.Contains(d, ".") {
			return bad(lineOf(root, "company_domains"), "company_domains[%d] = %q is not a domain name like example.com", i, d)
		}
	}
	for i, s := range p.ExtraDestination {
		if s.Name == "" || len(s.Hosts) == 0 || s.Category == "" {
			return bad(lineOf(root, "extra_destinations"), "extra_destinations[%d] needs name, category and hosts", i)
		}
	}
	for i, a := range p.Alerts {
		switch a.Type {
		case "wecom", "dingtalk", "webhook":
			if !strings.HasPrefix(a.URL, "http://") && !strings.HasPrefix(a.URL, "https://") {
				return bad(lineOf(root, "alerts"), "alerts[%d] (%s) url %q must start with https://", i, a.Type, a.URL)
			}
		case "smtp":
			if a.SMTPAddr == "" || a.From == "" || len(a.To) == 0 {
				return bad(lineOf(root, "alerts"), "alerts[%d] (smtp) needs smtp_addr, from and to", i)
			}
		default:
			return bad(lineOf(root, "alerts"), "alerts[%d] has unknown type %q; use wecom, dingtalk, webhook or smtp", i, a.Type)
		}
		for _, on := range a.On {
			if on != "block" && on != "request" {
				return bad(lineOf(root, "alerts"), "alerts[%d] on: %q; use block and/or request", i, on)
			}
		}
	}
	for i, o := range p.ExtensionOrigins {
		if !strings.HasPrefix(o, "chrome-extension://") && !strings.HasPrefix(o, "moz-extension://") {
			return bad(lineOf(root, "extension_origins"), "extension_origins[%d] = %q must look like chrome-extension://<id> or moz-extension://<uuid>", i, o)
		}
	}
	if err := checkTemplate(p.Watermark.Template); err != "" {
		return bad(lineOf(root, "watermark"), "watermark.template %q %s", p.Watermark.Template, err)
	}
	return nil
}

// checkTemplate returns what is wrong with a visible-mark template, or "":
// only {name}, {staff_id} and {time} are replaced, and a mark that names
// nobody proves nothing. An empty template means the built-in one.
func checkTemplate(t string) string {
	if t == "" {
		return ""
	}
	for _, m := range placeholder.FindAllString(t, -1) {
		if m != "{name}" && m != "{staff_id}" && m != "{time}" {
			return "has unknown placeholder " + m + "; use {name}, {staff_id} and {time}"
		}
	}
	if !strings.Contains(t, "{name}") && !strings.Contains(t, "{staff_id}") {
		return "names nobody; include {name} or {staff_id}"
	}
	return ""
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
