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
	"sync"
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

// SensitiveSettings say when content holds customer data: thresholds for files and for messages, and
// the window over which one person's uploads are added up.
type SensitiveSettings struct {
	Files, Messages Thresholds
	// WindowMinutes: a list split into several uploads by the same person within this many minutes is
	// judged as one (default 60; what already left is added to the upload being judged).
	WindowMinutes int `yaml:"window_minutes"`
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
	Keywords    []string    `yaml:"keywords"`
	MaxDepth    int         `yaml:"max_depth"`
	MaxRatio    int64       `yaml:"max_ratio"`
	MaxTotalMB  int64       `yaml:"max_total_mb"`
	TimeBudgetS int         `yaml:"time_budget_s"`
	OCR         OCRSettings `yaml:"ocr"`
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
	Version          int               `yaml:"version"`
	CompanyDomains   []string          `yaml:"company_domains"`
	Sensitive        SensitiveSettings `yaml:"sensitive"`
	Rules            map[Category]Rule `yaml:"rules"`
	Departing        DepartingSettings `yaml:"departing"`
	Risk             RiskSettings      `yaml:"risk"`
	Archive          ArchiveSettings   `yaml:"archive"`
	Inspect          InspectSettings   `yaml:"inspect"`
	Watermark        WatermarkSettings `yaml:"watermark"`
	Alerts           []AlertChannel    `yaml:"alerts"`
	ExtraDestination []Service         `yaml:"extra_destinations"`
	ExtensionOrigins []string          `yaml:"extension_origins"`
	Bypass           BypassSettings    `yaml:"bypass"`
	PAC              PACSettings       `yaml:"pac"`
	AllowedPorts     Ports             `yaml:"allowed_ports"` // tunnel ports of a shared proxy (ports.go)

	catalog *Catalog
	file    string
	notes   [][2]string // what validation filled in or warns about (zh-CN, English)
}

// PACSettings say how browsers reach Sluice through the PAC file.
type PACSettings struct {
	// Fallback is what sites outside the catalog do when Sluice cannot be reached: "direct" (browse on,
	// unchecked) or "closed" (fail). Personal channels always fail closed.
	Fallback string `yaml:"fallback"`
}

// Notes lists, in lang, what validation filled in from the defaults or warns about.
func (p *Policy) Notes(lang string) []string {
	out := make([]string, len(p.notes))
	for i, n := range p.notes {
		out[i] = n[0]
		if lang == "en" {
			out[i] = n[1]
		}
	}
	return out
}

// Default returns the built-in default policy (parsed once; read-only).
func Default() *Policy {
	defaultOnce.Do(func() {
		p, err := Parse("default.yaml", defaultYAML)
		if err != nil {
			panic("built-in default policy is invalid: " + err.Error())
		}
		defaultPol = p
	})
	return defaultPol
}

var (
	defaultOnce sync.Once
	defaultPol  *Policy
)

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
	p.catalog = NewCatalog(p.ExtraDestination, p.CompanyDomains, p.Bypass)
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
	if !slices.Contains(Categories, s) && s != Other {
		names := make([]string, len(RuleCategories))
		for i, c := range RuleCategories {
			names[i] = string(c)
		}
		return fmt.Errorf("line %d: unknown category %q; use one of %s (第 %d 行：未知类别)", n.Line, n.Value, strings.Join(names, ", "), n.Line)
	}
	*c = s
	return nil
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
