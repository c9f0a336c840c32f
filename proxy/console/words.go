package console

import (
	"fmt"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/store"
)

// What the console's pages and API show people instead of codes: findings in words, verdicts, audit
// actions and archive notes in the reader's language, and how much of an approval is left.

// Words renders stored finding codes ("phone×60") in the page's language ("手机号 60 个").
func (p *page) Words(codes []string) string {
	return api.FindingsLine(codes, l10n.Lang(p.Lang))
}

// WordList renders stored finding codes (and reasons kept beside them) as a list in the page's language.
func (p *page) WordList(codes []string) []string { return api.FindingTexts(codes, l10n.Lang(p.Lang)) }

// FileName names a file record: its name, or the words for an upload's text fields.
func (p *page) FileName(f store.FileRecord) string { return api.FileLabel(f, l10n.Lang(p.Lang)) }

// Verdict names a verdict (allow, block, approval, watermark, error); an unknown one as it is.
func (p *page) Verdict(v string) string { return p.known("verdict_"+v, v) }

// Action names an audit action (upload, approval.approve, tamper.grant …); an unknown one as it is.
func (p *page) Action(a string) string {
	if strings.HasPrefix(a, "tamper.") {
		return p.T("do_tamper") + " " + strings.TrimPrefix(a, "tamper.")
	}
	return p.known("do_"+a, a)
}

// Note translates the archive's notes on files that left unmarked; other notes are shown as they are.
func (p *page) Note(n string) string {
	switch n {
	case "unmarked: not a PDF or image":
		return p.T("note_not_pdf")
	case "unmarked: integrity-checked upload":
		return p.T("note_integrity")
	case "unmarked: the file could not be watermarked":
		return p.T("note_unmarkable")
	}
	return n
}

func (p *page) known(key, fallback string) string {
	if _, ok := messages[key]; ok {
		return p.T(key)
	}
	return fallback
}

// Tf formats a message key with arguments in the page's language.
func (p *page) Tf(key string, args ...any) string { return fmt.Sprintf(p.T(key), args...) }

// UsageText says how many sends an approved request has left and until when.
func (p *page) UsageText(u *api.GrantUsage) string {
	switch {
	case u == nil:
		return ""
	case u.UsesLeft == 0:
		return p.Tf("uses_gone", u.Uses, u.MaxUses)
	case u.Expired:
		return p.Tf("expired_on", u.Expires.Local().Format("2006-01-02 15:04"))
	}
	return p.Tf("uses_text", u.Uses, u.UsesLeft, u.MaxUses)
}

// NextText names who decides next: "下一步：等待李经理（直属上级）审批".
func (p *page) NextText(r api.Request) string {
	if r.WaitingFor == "" {
		return ""
	}
	return p.Tf("next_step", p.Who(r.WaitingFor), p.T("stage_"+r.Stage))
}

// describe fills in what people read about a request, in lang: its findings and files in words, its
// reviewers, who it waits for and, once approved, how many sends are left and until when.
func (s *Server) describe(r *api.Request, lang l10n.Lang) {
	if r == nil || r.Request == nil {
		return
	}
	r.Findings = api.RequestFindings(r.Request, lang)
	r.FileWords = api.FilesInWords(r.Files, lang)
	label := func(name string) string {
		if u, err := s.c.DB.User(name); err == nil && u.DisplayName != "" {
			return u.DisplayName
		}
		return name
	}
	r.Reviewers = nil
	for _, rv := range []api.Reviewer{{Name: r.Lead, Stage: "lead"}, {Name: r.Head, Stage: "head"}} {
		if rv.Name != "" {
			rv.DisplayName = label(rv.Name)
			r.Reviewers = append(r.Reviewers, rv)
		}
	}
	if r.WaitingFor != "" {
		r.WaitingForName = label(r.WaitingFor)
	}
	r.Usage = s.usage(r.Request)
}

// usage reads an approved request's grants: the most sends used over its files, and the end date.
func (s *Server) usage(r *store.Request) *api.GrantUsage {
	if r.Status != store.StatusApproved || len(r.GrantIDs) == 0 {
		return nil
	}
	u := &api.GrantUsage{MaxUses: r.MaxUses, Expires: r.ValidUntil()}
	for _, id := range r.GrantIDs {
		g, err := s.c.DB.Grant(id)
		if err != nil {
			continue
		}
		u.Uses, u.MaxUses = max(u.Uses, g.Uses), g.MaxUses
		if !g.Expires.IsZero() {
			u.Expires = g.Expires
		}
	}
	u.UsesLeft = max(u.MaxUses-u.Uses, 0)
	u.Expired = !s.now().Before(u.Expires)
	return u
}

func (s *Server) now() time.Time {
	if s.c.Ops != nil && s.c.Ops.Now != nil {
		return s.c.Ops.Now()
	}
	return time.Now()
}
