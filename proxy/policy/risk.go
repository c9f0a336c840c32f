package policy

import (
	"time"

	"gopkg.in/yaml.v3"
)

// RiskSettings are the early-warning rules (policy risk:): a rep whose sensitive activity in the window
// reaches a minimum and is Factor times their own daily median and their department's is reported to
// their lead and head, once per window.
type RiskSettings struct {
	Enabled         *bool   `yaml:"enabled"`          // default true
	WindowHours     int     `yaml:"window_hours"`     // default 24
	BaselineDays    int     `yaml:"baseline_days"`    // default 30
	Factor          float64 `yaml:"factor"`           // default 5
	CustomerMatches int     `yaml:"customer_matches"` // distinct customer-list entries in the window, default 50
	ContactRecords  int     `yaml:"contact_records"`  // default 100
	Refused         int     `yaml:"refused"`          // uploads held or blocked, default 3
	PersonalMB      int     `yaml:"personal_mb"`      // megabytes sent to personal channels, default 50
}

// On reports whether early warning is enabled.
func (r RiskSettings) On() bool { return r.Enabled == nil || *r.Enabled }

// Window returns the sliding window as a duration.
func (r RiskSettings) Window() time.Duration { return time.Duration(r.WindowHours) * time.Hour }

// validateRisk fills the defaults of the risk section and checks its values.
func (p *Policy) validateRisk(root *yaml.Node) error {
	r := &p.Risk
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&r.WindowHours, 24)
	def(&r.BaselineDays, 30)
	def(&r.CustomerMatches, 50)
	def(&r.ContactRecords, 100)
	def(&r.Refused, 3)
	def(&r.PersonalMB, 50)
	if r.Factor == 0 {
		r.Factor = 5
	}
	at := lineOf(root, "risk")
	switch {
	case r.WindowHours < 1 || r.WindowHours > 24*7:
		return p.problem(at, "risk.window_hours = %d 须在 1 到 168 之间", "risk.window_hours = %d must be between 1 and 168", r.WindowHours)
	case r.BaselineDays < 7 || r.BaselineDays > 365:
		return p.problem(at, "risk.baseline_days = %d 须在 7 到 365 之间", "risk.baseline_days = %d must be between 7 and 365", r.BaselineDays)
	case r.Factor < 1:
		return p.problem(at, "risk.factor = %v 不能小于 1", "risk.factor = %v cannot be below 1", r.Factor)
	case r.CustomerMatches < 1 || r.ContactRecords < 1 || r.Refused < 1 || r.PersonalMB < 1:
		return p.problem(at, "risk 的各项最小值须大于 0", "the minimums of risk must be above 0")
	}
	return nil
}

// ArchiveSettings say what else the outbound archive keeps besides files (policy archive:).
type ArchiveSettings struct {
	// Messages: chat messages, mail bodies and AI prompts that left for a personal channel are kept
	// "on" (all), "sensitive_only" (those with any finding; the default) or "off".
	Messages string `yaml:"messages"`
}

// KeepMessage reports whether a message that left with these findings is archived.
func (a ArchiveSettings) KeepMessage(hasFindings bool) bool {
	return a.Messages == "on" || a.Messages == "sensitive_only" && hasFindings
}

func (p *Policy) validateWindow(root *yaml.Node) error {
	switch w := &p.Sensitive.WindowMinutes; {
	case *w == 0:
		*w = 60
	case *w < 0 || *w > 7*24*60:
		return p.problem(lineOf(root, "sensitive"), "sensitive.window_minutes = %d 须在 0（默认 60）到 10080 之间", "sensitive.window_minutes = %d must be between 0 (default 60) and 10080", *w)
	}
	return nil
}

func (p *Policy) validateArchive(root *yaml.Node) error {
	switch p.Archive.Messages {
	case "":
		p.Archive.Messages = "sensitive_only"
	case "on", "off", "sensitive_only":
	default:
		return p.problem(lineOf(root, "archive"), "archive.messages = %q；可用 on、off、sensitive_only", "archive.messages = %q; use on, off or sensitive_only", p.Archive.Messages)
	}
	return nil
}
