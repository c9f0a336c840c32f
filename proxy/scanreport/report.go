// Package scanreport inspects one file as the proxy would and reports findings, sensitivity
// and the verdict in the JSON shape `sluice scan --json` prints (DESIGN.md). The CLI (no
// daemon) and the daemon's POST /api/admin/scan both build reports with Build.
package scanreport

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/proxy/policy"
)

// Report is the JSON shape of one scanned file.
type Report struct {
	File        string                     `json:"file"`
	Type        string                     `json:"type"`
	MIME        string                     `json:"mime"`
	Size        int64                      `json:"size"`
	SHA256      string                     `json:"sha256"`
	Findings    []inspect.Finding          `json:"findings"`
	Sensitive   bool                       `json:"sensitive"`
	Dest        *policy.Destination        `json:"dest,omitempty"`
	Verdict     policy.Verdict             `json:"verdict"`
	Verdicts    map[policy.Category]string `json:"verdicts,omitempty"`
	Reasons     []string                   `json:"reasons"`
	ReasonCodes []string                   `json:"reason_codes"`
	Excerpt     string                     `json:"excerpt,omitempty"`
}

// Input is one file to scan and what to decide it for.
type Input struct {
	File string              // shown as the report's "file" (a path, or a name)
	Name string              // file name the upload would carry (type hints, policy names)
	Data io.ReaderAt         // the file's bytes
	Size int64               // number of bytes in Data
	Dest *policy.Destination // nil: every watched category, strictest wins
	User string              // user the upload would come from
	Lang string              // "en" or zh-CN for the reasons
}

// WatchedCategories are the categories tried when no destination is given.
var WatchedCategories = []policy.Category{policy.Webmail, policy.Netdisk, policy.WebChat, policy.EncryptedChat}

// Destination turns a URL or bare host into the policy's destination for it.
func Destination(p *policy.Policy, s string) (*policy.Destination, error) {
	raw := s
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("sluice: --dest %q is not a URL or host name; give e.g. https://pan.baidu.com/", raw)
	}
	d := p.Catalog().Lookup(u.Host, u.EscapedPath())
	return &d, nil
}

// Build scans one file with sc and decides it under p for in.Dest (or every watched category).
func Build(ctx context.Context, sc *inspect.Scanner, p *policy.Policy, in Input) (Report, error) {
	res, err := sc.Scan(ctx, in.Data, in.Size, in.Name)
	if err != nil {
		return Report{}, fmt.Errorf("sluice: cannot scan %s: %w", in.File, err)
	}
	rep := Report{File: in.File, Type: res.Type, MIME: res.MIME, Size: res.Size, SHA256: res.SHA256,
		Findings: res.Findings, Excerpt: res.Excerpt, Dest: in.Dest, Reasons: []string{}, ReasonCodes: []string{}}
	if rep.Findings == nil {
		rep.Findings = []inspect.Finding{}
	}
	pin := policy.Input{User: in.User, Results: []*inspect.Result{res}, Names: []string{in.Name}}
	var dec policy.Decision
	if in.Dest != nil {
		pin.Dest = *in.Dest
		dec = p.Decide(pin)
	} else {
		rep.Verdicts = map[policy.Category]string{}
		for i, cat := range WatchedCategories {
			pin.Dest = policy.Destination{Category: cat, Service: CategoryName(cat, in.Lang)}
			d := p.Decide(pin)
			rep.Verdicts[cat] = string(d.Verdict)
			dec.Sensitive = dec.Sensitive || d.Sensitive
			if i == 0 || (d.Verdict != dec.Verdict && policy.Stricter(dec.Verdict, d.Verdict) == d.Verdict) {
				dec.Verdict, dec.Reasons = d.Verdict, d.Reasons // keep the strictest category's reasons
			}
		}
	}
	sens, _, _ := p.SensitiveFile(res)
	rep.Sensitive = dec.Sensitive || sens
	rep.Verdict = dec.Verdict
	for _, r := range dec.Reasons {
		rep.Reasons = append(rep.Reasons, r.Text(in.Lang))
		rep.ReasonCodes = append(rep.ReasonCodes, r.Code)
	}
	return rep, nil
}

// CategoryName names a destination category for people, in lang ("en" or zh-CN).
func CategoryName(cat policy.Category, lang string) string {
	if lang == "en" {
		return categoryEN[cat]
	}
	return categoryZH[cat]
}

var categoryZH = map[policy.Category]string{policy.Webmail: "个人网页邮箱", policy.Netdisk: "个人网盘", policy.WebChat: "网页聊天",
	policy.EncryptedChat: "加密聊天", policy.Corporate: "公司渠道", policy.Unwatched: "不受监控的网站"}

var categoryEN = map[policy.Category]string{policy.Webmail: "personal webmail", policy.Netdisk: "personal netdisks", policy.WebChat: "web chat",
	policy.EncryptedChat: "encrypted chat", policy.Corporate: "corporate channels", policy.Unwatched: "unwatched sites"}
