package console

import (
	"net/http"
	"strings"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/internal/ops"
	"github.com/sluice-dlp/sluice/store"
)

// The investigators' pages: the outbound archive and the audit log.

func (s *Server) archivePage(w http.ResponseWriter, r *http.Request, u *store.User) {
	if !ops.CanInvestigate(u) {
		s.fail(w, r, u, http.StatusForbidden, "forbidden", "")
		return
	}
	lang := pageLang(w, r)
	p := &page{Lang: lang, Title: lang.T("archive"), Nav: "archive", User: u, Query: r.URL.Query()}
	o, ctx := s.as(w, r, u)
	f, err := api.ArchiveFilter(r.URL.Query())
	if err == nil {
		p.Records, err = o.Archive(ctx, f)
	}
	if err != nil {
		p.Error = l10n.Text(err, l10n.LangOf(ctx))
	}
	s.render(w, r, "archive", p)
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	if !ops.CanInvestigate(u) {
		s.fail(w, r, u, http.StatusForbidden, "forbidden", "")
		return
	}
	lang := pageLang(w, r)
	o, ctx := s.as(w, r, u)
	q := r.URL.Query()
	p := &page{Lang: lang, Title: lang.T("audit"), Nav: "audit", User: u, Query: q}
	f := store.EventFilter{User: strings.TrimSpace(q.Get("user")), Action: strings.TrimSpace(q.Get("action")),
		Text: strings.TrimSpace(q.Get("q")), Limit: 200}
	var err error
	if p.Events, err = o.Events(ctx, f); err != nil {
		p.Error = l10n.Text(err, l10n.LangOf(ctx))
	}
	p.EN = lang == "en"
	if cs, err := o.Events(ctx, store.EventFilter{Action: "compat.", Limit: 50}); err == nil {
		seen := map[string]bool{}
		for _, e := range cs {
			if !seen[e.Host] && len(p.Compat) < 10 {
				seen[e.Host] = true
				p.Compat = append(p.Compat, e)
			}
		}
	}
	if q.Get("verify") != "" { // walks the whole chain: only on request
		v, err := o.VerifyAudit(ctx, nil)
		p.Verified, p.ChainN, p.ChainOK = true, v.Records, err == nil && v.OK
	}
	s.render(w, r, "audit", p)
}
