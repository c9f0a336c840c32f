package policy

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/sluice-dlp/sluice/internal/l10n"
)

func TestAllowedPorts(t *testing.T) {
	if got := slices.Sorted(maps.Keys(Default().Ports())); !slices.Equal(got, []int{80, 443}) {
		t.Fatalf("default allowed_ports %v, want 443 and 80", got)
	}
	base := string(DefaultYAML())
	p, err := Parse("policy.yaml", []byte(strings.Replace(base, "allowed_ports: [443, 80]", "allowed_ports: [443, 80, 8443]", 1)))
	if err != nil || !p.Ports()[8443] {
		t.Fatalf("an extra port: %v %v", err, p.AllowedPorts)
	}
	// A policy written before the setting existed gets the default, and is told so.
	old := strings.Replace(base, "allowed_ports: [443, 80]\n", "", 1)
	if p, err = Parse("old.yaml", []byte(old)); err != nil || !slices.Equal(p.AllowedPorts, DefaultAllowedPorts) ||
		!slices.ContainsFunc(p.Notes("zh-CN"), func(n string) bool { return strings.Contains(n, "allowed_ports 未设置") }) ||
		!slices.ContainsFunc(p.Notes("en"), func(n string) bool { return strings.Contains(n, "allowed_ports is not set") }) {
		t.Fatalf("older policy: %v %v %v", err, p.AllowedPorts, p.Notes("en"))
	}
	for name, tc := range map[string]struct{ to, want string }{
		"empty":      {"allowed_ports: []", "is empty"},
		"twice":      {"allowed_ports: [443, 80, 443]", "port 443 twice"},
		"zero":       {"allowed_ports: [443, 0]", `"0"`},
		"too big":    {"allowed_ports: [443, 70000]", `"70000"`},
		"a name":     {"allowed_ports: [https, 80]", `"https"`},
		"negative":   {"allowed_ports: [-443]", `"-443"`},
		"not a list": {"allowed_ports: 443", "allowed_ports"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("/etc/sluice/policy.yaml", []byte(strings.Replace(base, "allowed_ports: [443, 80]", tc.to, 1)))
			if err == nil {
				t.Fatal("invalid allowed_ports accepted")
			}
			msg, zh := err.Error(), l10n.Text(err, l10n.ZH)
			if !strings.Contains(msg, "/etc/sluice/policy.yaml") || !strings.Contains(msg, "line ") || !strings.Contains(msg, tc.want) || !strings.Contains(zh, "第") {
				t.Fatalf("error lacks file, line, value %s or Chinese: %s / %s", tc.want, msg, zh)
			}
		})
	}
}

func TestDefaultPolicyDocumentsAllowedPortsInBothLanguages(t *testing.T) {
	y := string(DefaultYAML())
	i := strings.Index(y, "allowed_ports:")
	doc := y[strings.LastIndex(y[:i], "\n\n"):i]
	for _, want := range []string{"Shared proxy only", "仅对共享代理", "--resolve", "loopback", "回环", "link-local", "链路本地", "403", "审计"} {
		if !strings.Contains(doc, want) {
			t.Errorf("the comment above allowed_ports lacks %q", want)
		}
	}
}
