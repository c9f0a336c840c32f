package console

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/internal/ops"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/store"
)

// page is the data every console template receives.
type page struct {
	Lang     Lang
	Title    string
	Nav      string
	User     *store.User
	Error    string
	Next     string
	Username string
	LangURL  string

	Requests   []api.Request
	Req        *store.Request
	Event      *store.Event
	Files      []fileView
	CanApprove bool
	CanDeny    bool
	CanDraw    bool
	Form       url.Values
	MaxUses    int

	Records  []api.ArchiveRecord
	Events   []*store.Event
	Compat   []*store.Event // sites that broke under interception, newest first
	EN       bool
	Query    url.Values
	ChainN   int
	ChainOK  bool
	Verified bool

	status int               // HTTP status when not 200
	names  map[string]string // login name → display name, for Who
}

// Who shows a login name with its display name, e.g. "张三 (zhang)".
func (p *page) Who(login string) string {
	if d := p.names[login]; d != "" && d != login {
		return d + " (" + login + ")"
	}
	return login
}

// T translates a message key for the page's language.
func (p *page) T(key string) string { return p.Lang.T(key) }

// Cat names a destination category in the page's language (unknown categories as they are).
func (p *page) Cat(c string) string {
	return policy.CategoryName(policy.Category(c), l10n.Lang(p.Lang))
}

// Status translates a request status.
func (p *page) Status(s string) string { return p.Lang.T("status_" + s) }

// Act translates a history action.
func (p *page) Act(s string) string { return p.Lang.T("act_" + s) }

// fileView is one held file as the detail and form pages show it.
type fileView struct {
	store.FileRecord
	Index      int
	PreviewURL string
	Excerpt    string
	NoPreview  bool
}

var pageNames = []string{"login", "list", "request", "new", "archive", "audit", "error"}

func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{
		"when": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.Local().Format("2006-01-02 15:04")
		},
		"short": func(s string) string {
			if len(s) > 12 {
				return s[:12] + "…"
			}
			return s
		},
		"size": humanSize,
		"join": strings.Join,
	}
	out := map[string]*template.Template{}
	for _, n := range pageNames {
		out[n] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+n+".html"))
	}
	return out
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// render executes a page template into a buffer first, so a template error never sends half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, p *page) {
	q := r.URL.Query()
	if p.Lang == "en" {
		q.Set("lang", "zh-CN")
	} else {
		q.Set("lang", "en")
	}
	if r.Method == http.MethodGet {
		p.LangURL = r.URL.Path + "?" + q.Encode()
	} else {
		p.LangURL = "/?" + "lang=" + q.Get("lang")
	}
	if p.User != nil {
		p.names = map[string]string{}
		if us, err := s.c.DB.Users(); err == nil { // display names only: every signed-in user may see who acted
			for _, u := range us {
				p.names[u.Name] = u.DisplayName
			}
		}
	}
	var buf bytes.Buffer
	if err := s.pages[name].Execute(&buf, p); err != nil {
		s.c.Logger.Error("console page failed", "page", name, "err", err)
		http.Error(w, p.Lang.T("internal"), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if p.status != 0 {
		w.WriteHeader(p.status)
	}
	w.Write(buf.Bytes())
}

// fail shows an error page with status.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, u *store.User, status int, key, detail string) {
	lang := pageLang(w, r)
	msg := lang.T(key)
	if detail != "" {
		msg += "：" + detail
	}
	s.render(w, r, "error", &page{Lang: lang, Title: lang.T(key), User: u, Error: msg, status: status})
}

// failErr shows an error page for err, with the status and words of its code.
func (s *Server) failErr(w http.ResponseWriter, r *http.Request, u *store.User, err error) {
	lang := pageLang(w, r)
	code := l10n.CodeOf(err)
	if code == l10n.Internal {
		s.c.Logger.Error("console page failed", "path", r.URL.Path, "err", err)
	}
	s.render(w, r, "error", &page{Lang: lang, Title: lang.T(string(code)), User: u, Error: l10n.Text(err, l10n.Lang(lang)), status: api.Status(code)})
}

func (s *Server) home(w http.ResponseWriter, r *http.Request, u *store.User) {
	dst := "/mine"
	switch {
	case ops.IsReviewer(u):
		dst = "/queue"
	case ops.CanInvestigate(u):
		dst = "/archive"
	}
	if l := r.URL.Query().Get("lang"); l != "" {
		pageLang(w, r)
	}
	http.Redirect(w, r, dst, http.StatusSeeOther)
}

// listPage shows the requests q selects for u.
func (s *Server) listPage(w http.ResponseWriter, r *http.Request, u *store.User, nav string, q api.RequestQuery) {
	o, ctx := s.as(w, r, u)
	rs, err := o.Requests(ctx, q)
	if err != nil {
		s.failErr(w, r, u, err)
		return
	}
	lang := pageLang(w, r)
	s.render(w, r, "list", &page{Lang: lang, Title: lang.T(nav), Nav: nav, User: u, Requests: rs})
}

func (s *Server) queuePage(w http.ResponseWriter, r *http.Request, u *store.User) {
	s.listPage(w, r, u, "queue", api.RequestQuery{Queue: true})
}

func (s *Server) minePage(w http.ResponseWriter, r *http.Request, u *store.User) {
	s.listPage(w, r, u, "mine", api.RequestQuery{Mine: true})
}

func (s *Server) historyPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	s.listPage(w, r, u, "history", api.RequestQuery{Status: r.URL.Query().Get("status")})
}

// fileViews prepares previews and excerpts of a request's or event's files.
func (s *Server) fileViews(base string, files []store.FileRecord) []fileView {
	out := make([]fileView, 0, len(files))
	for i, f := range files {
		if f.Kind == store.FileKindMessage {
			continue // the site's form fields, not a file the rep sent
		}
		v := fileView{FileRecord: f, Index: i}
		switch previewKind(s.c.DB, f) {
		case "pdf", "image":
			v.PreviewURL = fmt.Sprintf("%s/preview/%d", base, i)
		case "text":
			v.Excerpt = textExcerpt(s.c.DB, f)
		default:
			v.NoPreview = true
		}
		out = append(out, v)
	}
	return out
}

func (s *Server) requestPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	s.showRequest(w, r, u, r.PathValue("id"), http.StatusOK, "")
}

func (s *Server) showRequest(w http.ResponseWriter, r *http.Request, u *store.User, id string, status int, errText string) {
	o, ctx := s.as(w, r, u)
	view, err := o.Request(ctx, id)
	if err != nil {
		s.failErr(w, r, u, err)
		return
	}
	req := view.Request
	lang := pageLang(w, r)
	p := &page{Lang: lang, Title: lang.T("request") + " " + req.ID, User: u, Req: req, Error: errText,
		Files: s.fileViews("/request/"+req.ID, req.Files)}
	// The store decides who may act; the page only mirrors its answer.
	p.CanDeny = !req.Final() && req.CheckDenier(u) == nil
	p.CanApprove = !req.Final() && req.CheckApprover(u) == nil
	p.CanDraw = !req.Final() && u.Name == req.Requester
	p.status = status
	s.render(w, r, "request", p)
}

func (s *Server) requestAction(w http.ResponseWriter, r *http.Request, u *store.User) {
	id, action := r.PathValue("id"), r.PathValue("action")
	r.Body = http.MaxBytesReader(w, r.Body, maxAPIBody)
	if err := r.ParseForm(); err != nil || (action != store.ActApprove && action != store.ActDeny && action != store.ActWithdraw) {
		s.fail(w, r, u, http.StatusBadRequest, "invalid", "")
		return
	}
	o, ctx := s.as(w, r, u)
	if _, err := o.Request(ctx, id); err != nil {
		s.failErr(w, r, u, err)
		return
	}
	if _, err := o.Act(ctx, id, action, r.PostFormValue("comment")); err != nil {
		s.showRequest(w, r, u, id, api.Status(l10n.CodeOf(err)), l10n.Text(err, l10n.LangOf(ctx)))
		return
	}
	http.Redirect(w, r, "/request/"+id, http.StatusSeeOther)
}

// heldEvent loads an event u may file a request for.
func (s *Server) heldEvent(u *store.User, idText string) (*store.Event, error) {
	id, err := strconv.ParseUint(idText, 10, 64)
	if err != nil {
		return nil, store.ErrNotFound
	}
	e, err := s.c.DB.Event(id)
	if err != nil || e.User != u.Name {
		return nil, store.ErrNotFound
	}
	return e, nil
}

func (s *Server) newRequestPage(w http.ResponseWriter, r *http.Request, u *store.User) {
	e, err := s.heldEvent(u, r.URL.Query().Get("event"))
	if err != nil {
		s.fail(w, r, u, http.StatusNotFound, "not_found", r.URL.Query().Get("event"))
		return
	}
	if req, err := s.c.DB.RequestForEvent(e.ID); err == nil {
		http.Redirect(w, r, "/request/"+req.ID, http.StatusSeeOther)
		return
	}
	s.showForm(w, r, u, e, url.Values{"days": {"7"}, "max_uses": {strconv.Itoa(s.c.MaxUses)}}, http.StatusOK, "")
}

func (s *Server) showForm(w http.ResponseWriter, r *http.Request, u *store.User, e *store.Event, form url.Values, status int, errText string) {
	lang := pageLang(w, r)
	p := &page{Lang: lang, Title: lang.T("new_request"), User: u, Event: e, Form: form, Error: errText,
		Files: s.fileViews(fmt.Sprintf("/event/%d", e.ID), e.Files), MaxUses: store.MaxRequestUses}
	if e.Verdict != "approval" {
		p.Error = lang.T("conflict")
	}
	p.status = status
	s.render(w, r, "new", p)
}

func (s *Server) newRequestPost(w http.ResponseWriter, r *http.Request, u *store.User) {
	r.Body = http.MaxBytesReader(w, r.Body, maxAPIBody)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, u, http.StatusBadRequest, "invalid", "")
		return
	}
	e, err := s.heldEvent(u, r.PostFormValue("event"))
	if err != nil {
		s.fail(w, r, u, http.StatusNotFound, "not_found", r.PostFormValue("event"))
		return
	}
	days, _ := strconv.Atoi(r.PostFormValue("days"))
	uses, _ := strconv.Atoi(r.PostFormValue("max_uses"))
	o, ctx := s.as(w, r, u)
	req, err := o.FileRequest(ctx, store.NewRequest{EventID: e.ID, Receiver: r.PostFormValue("receiver"),
		Purpose: r.PostFormValue("purpose"), Days: days, MaxUses: uses, AnyHost: r.PostFormValue("any_host") != ""})
	if err != nil {
		s.showForm(w, r, u, e, r.PostForm, api.Status(l10n.CodeOf(err)), l10n.Text(err, l10n.LangOf(ctx)))
		return
	}
	http.Redirect(w, r, "/request/"+req.ID, http.StatusSeeOther)
}

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

// Reviewer reports whether the signed-in user may review requests.
func (p *page) Reviewer() bool { return p.User != nil && ops.IsReviewer(p.User) }

// Investigator reports whether the signed-in user may search the archive and audit log.
func (p *page) Investigator() bool { return p.User != nil && ops.CanInvestigate(p.User) }
