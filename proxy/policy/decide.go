package policy

import (
	"fmt"
	"strings"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/proxy/inspect"
)

// Input is everything Decide looks at for one request.
type Input struct {
	User      string
	Dest      Destination
	Results   []*inspect.Result // one per file part
	Names     []string          // declared file names, parallel to Results (optional)
	Messages  []*inspect.Result // text fields, chat messages, mail bodies
	Integrity bool              // the upload declares the original's hash or size (cannot be rewritten)
	Departing bool              // the user is leaving the company: the departing section applies too
	// Recent is what the same user's uploads carried that left within sensitive.window_minutes (nil: none).
	Recent *Recent
}

// Recent is the customer data a user's recent uploads carried that already left.
type Recent struct {
	ContactRecords int
	Customers      []uint64 // customer-list entry ids, sorted
}

// Reason explains a verdict in both languages.
type Reason struct {
	Code string `json:"code"`
	ZH   string `json:"zh"`
	EN   string `json:"en"`
}

// Text returns the reason in the given language ("en" or zh-CN by default).
func (r Reason) Text(lang string) string {
	if lang == "en" {
		return r.EN
	}
	return r.ZH
}

// Decision is a verdict with the reasons that led to it.
type Decision struct {
	Verdict   Verdict  `json:"verdict"`
	Reasons   []Reason `json:"reasons"`
	Sensitive bool     `json:"sensitive"`
}

// Texts returns all reasons in one language.
func (d Decision) Texts(lang string) []string {
	out := make([]string, len(d.Reasons))
	for i, r := range d.Reasons {
		out[i] = r.Text(lang)
	}
	return out
}

// SensitiveFile reports whether a file result reaches the file thresholds, and why.
func (p *Policy) SensitiveFile(r *inspect.Result) (bool, []string, []string) {
	return reached(p.Sensitive.Files, r)
}

// reached checks thresholds and returns zh/en summaries of what was reached.
func reached(t Thresholds, r *inspect.Result) (bool, []string, []string) {
	var zh, en []string
	check := func(limit int, kind string) { // in words with their measure: "手机号 60 个", "60 mobile numbers"
		if n := r.Count(kind); limit > 0 && n >= limit {
			zh = append(zh, inspect.CountText(kind, n, l10n.ZH))
			en = append(en, inspect.CountText(kind, n, l10n.EN))
		}
	}
	check(t.CustomerMatches, inspect.KindCustomer)
	check(t.ContactRecords, inspect.KindContactRecord)
	check(t.Phones, inspect.KindPhone)
	check(t.IDNumbers, inspect.KindIDNumber)
	check(t.BankCards, inspect.KindBankCard)
	check(t.Fingerprints, inspect.KindFingerprint)
	return len(zh) > 0, zh, en
}

// IsPDFOrImage reports whether a real type can carry a watermark.
func IsPDFOrImage(typ string) bool {
	switch typ {
	case "pdf", "jpeg", "png", "gif", "webp", "bmp", "tiff":
		return true
	}
	return false
}

// Decide returns the verdict for one request: the strictest verdict over its files and messages.
func (p *Policy) Decide(in Input) Decision {
	d := Decision{Verdict: Allow}
	if !in.Dest.Inspected() {
		return d
	}
	rule := p.Rules[in.Dest.Category]
	where := in.Dest.Service
	if where == "" {
		where = in.Dest.Host
	}
	add := func(v Verdict, code, zh, en string) {
		d.Verdict = Stricter(d.Verdict, v)
		d.Reasons = append(d.Reasons, Reason{Code: code, ZH: zh, EN: en})
	}
	for i, r := range in.Results {
		if r == nil {
			continue
		}
		name := r.Type
		if i < len(in.Names) && in.Names[i] != "" {
			name = in.Names[i]
		}
		if r.Has(inspect.KindDisguised) {
			add(Allow, "disguised", fmt.Sprintf("「%s」的扩展名与真实类型 %s 不符（伪装文件）", name, r.Type),
				fmt.Sprintf("%s is really a %s file (disguised by its name)", name, r.Type))
		}
		switch sens, zh, en := p.SensitiveFile(r); {
		case in.Dest.Opaque:
			add(rule.Uninspectable, "uninspectable", fmt.Sprintf("%s在浏览器中加密文件，无法检查「%s」", where, name),
				fmt.Sprintf("%s encrypts files in the browser, so %s cannot be inspected", where, name))
		case r.Has(inspect.KindEncrypted) || r.Has(inspect.KindUninspectable):
			why := detailOf(r, inspect.KindEncrypted, inspect.KindUninspectable)
			add(rule.Uninspectable, "uninspectable", fmt.Sprintf("无法检查「%s」的内容（%s），发往%s需审批", name, why, where),
				fmt.Sprintf("cannot inspect %s (%s); sending it to %s needs approval", name, why, where))
		case sens:
			d.Sensitive = true
			add(rule.SensitiveFile, "sensitive_file", fmt.Sprintf("「%s」含客户资料：%s（发往%s）", name, strings.Join(zh, "、"), where),
				fmt.Sprintf("%s holds customer data: %s (to %s)", name, strings.Join(en, ", "), where))
		case IsPDFOrImage(r.Type):
			v := rule.PDFOrImage
			if v == Watermark && in.Integrity {
				v = rule.IntegrityChecked
				add(v, "integrity_checked", fmt.Sprintf("「%s」的上传方式校验原文件哈希，无法加水印", name),
					fmt.Sprintf("the upload of %s declares the original's hash, so it cannot be watermarked", name))
				continue
			}
			add(v, "pdf_or_image", fmt.Sprintf("「%s」为 PDF/图片，发往%s", name, where), fmt.Sprintf("%s is a PDF/image going to %s", name, where))
		default:
			add(rule.OtherFile, "file", fmt.Sprintf("文件「%s」发往%s", name, where), fmt.Sprintf("file %s going to %s", name, where))
		}
	}
	if !d.Sensitive && !in.Dest.Opaque {
		p.sumOfParts(in, add, &d, rule, where)
	}
	if !d.Sensitive && !in.Dest.Opaque && in.Recent != nil {
		p.sumOfWindow(in, add, &d, rule, where)
	}
	if in.Departing {
		p.departing(in, add, where)
	}
	for _, m := range in.Messages {
		if m == nil {
			continue
		}
		if sens, zh, en := reached(p.Sensitive.Messages, m); sens {
			d.Sensitive = true
			add(rule.SensitiveMessage, "sensitive_message", fmt.Sprintf("消息含客户资料：%s（发往%s）", strings.Join(zh, "、"), where),
				fmt.Sprintf("message holds customer data: %s (to %s)", strings.Join(en, ", "), where))
		} else if rule.Message != Allow {
			add(rule.Message, "message", fmt.Sprintf("消息发往%s", where), fmt.Sprintf("message to %s", where))
		}
	}
	return d
}

// sumOfParts applies the file thresholds to everything one upload carries together (all files and text
// fields): a list split into several files, none sensitive alone, is still the list.
func (p *Policy) sumOfParts(in Input, add func(Verdict, string, string, string), d *Decision, rule Rule, where string) {
	sum, parts := &inspect.Result{}, 0
	for _, r := range append(append([]*inspect.Result(nil), in.Results...), in.Messages...) {
		if r != nil {
			sum.Findings = append(sum.Findings, r.Findings...)
			parts++
		}
	}
	if parts < 2 {
		return
	}
	if sens, zh, en := reached(p.Sensitive.Files, sum); sens {
		d.Sensitive = true
		add(rule.SensitiveFile, "sensitive_upload", fmt.Sprintf("这次上传的 %d 个文件和字段合计含客户资料：%s（发往%s）", parts, strings.Join(zh, "、"), where),
			fmt.Sprintf("the %d files and fields of this upload together hold customer data: %s (to %s)", parts, strings.Join(en, ", "), where))
	}
}

// sumOfWindow adds what the same person sent in the last window to this upload, when this upload
// carries customer data of its own: a list sent in pieces of a few rows each is still the list.
func (p *Policy) sumOfWindow(in Input, add func(Verdict, string, string, string), d *Decision, rule Rule, where string) {
	contacts, ids := in.Recent.ContactRecords, map[uint64]bool{}
	for _, id := range in.Recent.Customers {
		ids[id] = true
	}
	own := 0
	for _, r := range append(append([]*inspect.Result(nil), in.Results...), in.Messages...) {
		if r == nil {
			continue
		}
		own += r.Count(inspect.KindContactRecord) + len(r.Customers)
		contacts += r.Count(inspect.KindContactRecord)
		for _, id := range r.Customers {
			ids[id] = true
		}
	}
	if own == 0 {
		return
	}
	t := p.Sensitive.Files
	if t.ContactRecords > 0 && contacts >= t.ContactRecords || t.CustomerMatches > 0 && len(ids) >= t.CustomerMatches {
		d.Sensitive = true
		add(rule.SensitiveFile, "sensitive_window", fmt.Sprintf("这次上传与最近 %d 分钟内已发出的上传合计含客户资料：联系人记录 %d 条、命中客户名单 %d 条（发往%s）",
			p.Sensitive.WindowMinutes, contacts, len(ids), where),
			fmt.Sprintf("with what was sent in the last %d minutes, this upload makes %d contact records and %d customer-list entries (to %s)",
				p.Sensitive.WindowMinutes, contacts, len(ids), where))
	}
}

// UnmarkableDecision returns the verdict for a file that should be watermarked but cannot be, and why
// (in Chinese and English); with no name it returns the verdict alone.
func (p *Policy) UnmarkableDecision(dest Destination, name, whyZH, whyEN string) Decision {
	v := p.Rules[dest.Category].Unmarkable
	if v == "" {
		v = Approval
	}
	if name == "" {
		return Decision{Verdict: v}
	}
	return Decision{Verdict: v, Reasons: []Reason{{Code: "unmarkable",
		ZH: fmt.Sprintf("「%s」无法加水印（%s）", name, whyZH),
		EN: fmt.Sprintf("%s cannot be watermarked (%s)", name, whyEN)}}}
}

// UninspectableDecision returns the verdict for a body Sluice could not read at all (too large, malformed).
func (p *Policy) UninspectableDecision(dest Destination, why string) Decision {
	if !dest.Inspected() {
		return Decision{Verdict: Allow}
	}
	return Decision{Verdict: p.Rules[dest.Category].Uninspectable, Reasons: []Reason{{Code: "uninspectable",
		ZH: fmt.Sprintf("无法检查上传内容（%s）", why), EN: fmt.Sprintf("cannot inspect the upload (%s)", why)}}}
}

func detailOf(r *inspect.Result, kinds ...string) string {
	for _, f := range r.Findings {
		for _, k := range kinds {
			if f.Kind == k {
				if f.Detail != "" {
					return f.Detail
				}
				return k
			}
		}
	}
	return "unknown"
}
