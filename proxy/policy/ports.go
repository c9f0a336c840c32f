package policy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// DefaultAllowedPorts are the ports a shared proxy opens tunnels to when the policy names none: HTTPS and HTTP.
var DefaultAllowedPorts = Ports{443, 80}

// Port is a TCP port a shared proxy may open a tunnel (CONNECT) to.
type Port int

// Ports is the allowed_ports list.
type Ports []Port

// UnmarshalYAML accepts only a list of ports and reports the line of anything else.
func (ps *Ports) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode {
		return fmt.Errorf("line %d: allowed_ports must be a list such as [443, 80], not %q (第 %d 行：allowed_ports 应为 [443, 80] 这样的列表)",
			n.Line, n.Value, n.Line)
	}
	out := make(Ports, len(n.Content))
	for i, c := range n.Content {
		if err := out[i].UnmarshalYAML(c); err != nil {
			return err
		}
	}
	*ps = out
	return nil
}

// UnmarshalYAML accepts only a number from 1 to 65535 and reports the line of a bad one.
func (p *Port) UnmarshalYAML(n *yaml.Node) error {
	v, err := strconv.Atoi(strings.TrimSpace(n.Value))
	if n.Kind != yaml.ScalarNode || err != nil || v < 1 || v > 65535 {
		return fmt.Errorf("line %d: allowed_ports has %q, not a port number from 1 to 65535 (第 %d 行：allowed_ports 中的 %q 不是 1 到 65535 的端口号)",
			n.Line, n.Value, n.Line, n.Value)
	}
	*p = Port(v)
	return nil
}

// Ports returns the ports a shared proxy opens tunnels to, as a set.
func (p *Policy) Ports() map[int]bool {
	out := make(map[int]bool, len(p.AllowedPorts))
	for _, v := range p.AllowedPorts {
		out[int(v)] = true
	}
	return out
}

// validatePorts checks allowed_ports: present or taken from the default, not empty, no port twice.
func (p *Policy) validatePorts(root *yaml.Node) error {
	if p.AllowedPorts == nil {
		if p.file == "default.yaml" {
			return p.problem(lineOf(root), "默认策略缺少 allowed_ports", "the default policy lacks allowed_ports")
		}
		p.AllowedPorts = slices.Clone(DefaultAllowedPorts)
		p.notes = append(p.notes, [2]string{"allowed_ports 未设置，共享代理只允许连接默认端口 443 和 80（见 sluice policy default）",
			"allowed_ports is not set; a shared proxy opens tunnels to the default ports 443 and 80 only (see sluice policy default)"})
		return nil
	}
	line := lineOf(root, "allowed_ports")
	if len(p.AllowedPorts) == 0 {
		return p.problem(line, "allowed_ports 为空：共享代理将无法访问任何网站；请至少写 [443, 80]",
			"allowed_ports is empty: a shared proxy would reach no site at all; list at least [443, 80]")
	}
	seen := map[Port]bool{}
	for _, v := range p.AllowedPorts {
		if seen[v] {
			return p.problem(line, "allowed_ports 中端口 %d 出现了两次", "allowed_ports lists port %d twice", v)
		}
		seen[v] = true
	}
	return nil
}
