package console

import (
	"bytes"
	"context"
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
	View       *api.Request // Req as people read it (findings in words, who decides next, sends left)
	Again      string       // why the form is filled in from an earlier request (申请 R-… 已使用 1/1 次)
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

	Warnings []string // set-up problems an admin should fix (from the daemon)

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
	Doc        *docPreview // the content: first rows or paragraphs, OCR text, customer-list matches
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
		"size":  humanSize,
		"join":  strings.Join,
		"pair":  func(p *page, d *docPreview) map[string]any { return map[string]any{"P": p, "D": d} },
		"docMB": func() int { return docMaxSize >> 20 },
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
	if p.User != nil && p.User.HasRole(store.RoleAdmin) {
		for _, w := range s.warnings(l10n.Lang(p.Lang)) {
			p.Warnings = append(p.Warnings, w["message"])
		}
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
	for i := range rs {
		s.describe(&rs[i], l10n.Lang(lang))
	}
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
func (s *Server) fileViews(ctx context.Context, base string, files []store.FileRecord) []fileView {
	out := make([]fileView, 0, len(files))
	var shown []store.FileRecord
	for _, f := range files {
		if f.Kind != store.FileKindMessage {
			shown = append(shown, f)
		}
	}
	docs := s.docs.previews(ctx, s.c.DB, shown)
	for i, f := range files {
		if f.Kind == store.FileKindMessage {
			continue // the site's form fields, not a file the rep sent
		}
		v := fileView{FileRecord: f, Index: i, Doc: docs[len(out)]}
		switch previewKind(s.c.DB, f) {
		case "pdf", "image":
			v.PreviewURL = fmt.Sprintf("%s/preview/%d", base, i)
		case "text":
			if v.Doc == nil || v.Doc.Note != "" { // the content preview shows the text already
				v.Excerpt = textExcerpt(s.c.DB, f)
			}
		default:
			v.NoPreview = v.Doc == nil || v.Doc.Note == "doc_failed" || v.Doc.Note == "doc_empty"
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
	p := &page{Lang: lang, Title: lang.T("request") + " " + req.ID, User: u, Req: req, Error: errText, View: &view,
		Files: s.fileViews(r.Context(), "/request/"+req.ID, req.Files)}
	s.describe(p.View, l10n.Lang(lang))
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
	form := url.Values{"days": {"7"}, "max_uses": {strconv.Itoa(s.c.MaxUses)}}
	s.showForm(w, r, u, e, form, http.StatusOK, "", s.againForm(w, r, u, form))
}

func (s *Server) showForm(w http.ResponseWriter, r *http.Request, u *store.User, e *store.Event, form url.Values, status int, errText, again string) {
	lang := pageLang(w, r)
	p := &page{Lang: lang, Title: lang.T("new_request"), User: u, Event: e, Form: form, Error: errText, Again: again,
		Files: s.fileViews(r.Context(), fmt.Sprintf("/event/%d", e.ID), e.Files), MaxUses: store.MaxRequestUses}
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
		s.showForm(w, r, u, e, r.PostForm, api.Status(l10n.CodeOf(err)), l10n.Text(err, l10n.LangOf(ctx)), "")
		return
	}
	http.Redirect(w, r, "/request/"+req.ID, http.StatusSeeOther)
}

// Reviewer reports whether the signed-in user may review requests.
func (p *page) Reviewer() bool { return p.User != nil && ops.IsReviewer(p.User) }

// Investigator reports whether the signed-in user may search the archive and audit log.
func (p *page) Investigator() bool { return p.User != nil && ops.CanInvestigate(p.User) }
