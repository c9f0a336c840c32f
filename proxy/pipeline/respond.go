package pipeline

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/store"
)

//go:embed pages/*.html
var pageFS embed.FS

var pages = template.Must(template.ParseFS(pageFS, "pages/*.html"))

// Refusal is what the browser (page or script) is told when an upload does not go through.
type Refusal struct {
	Error       string   `json:"error"` // blocked_by_sluice | held_for_approval | sluice_error
	Verdict     string   `json:"verdict"`
	EventID     uint64   `json:"event_id"`
	RequestID   string   `json:"request_id,omitempty"`
	Destination string   `json:"destination"`
	Files       []string `json:"files,omitempty"`
	Message     string   `json:"message"`
	Reasons     []string `json:"reasons"`
	FormURL     string   `json:"form_url,omitempty"`
	Lang        string   `json:"lang"`
	// Findings says what was found, per file, in words: "客户.csv：手机号 60 个、联系人记录 60 条".
	Findings []string `json:"findings,omitempty"`
	// Approval is an earlier approval of the file that no longer covers it (all sends used, or expired);
	// AgainURL files a new request for this upload, filled in from that one.
	Approval *api.PastApproval `json:"approval,omitempty"`
	AgainURL string            `json:"again_url,omitempty"`
}

// LangOf picks the browser's language: zh-CN unless it prefers English.
func LangOf(r *http.Request) l10n.Lang { return l10n.Parse(r.Header.Get("Accept-Language")) }

// WantsHTML reports whether the request is a top-level navigation (show a page) rather than XHR/fetch (send JSON).
func WantsHTML(r *http.Request) bool {
	if m := r.Header.Get("Sec-Fetch-Mode"); m != "" {
		return m == "navigate"
	}
	if r.Header.Get("X-Requested-With") != "" {
		return false
	}
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// TextResponse builds a complete response with a fixed body.
func TextResponse(r *http.Request, status int, contentType, body string) *http.Response {
	resp := &http.Response{StatusCode: status, Status: fmt.Sprintf("%d %s", status, http.StatusText(status)),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{},
		Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: r}
	resp.Header.Set("Content-Type", contentType)
	resp.Header.Set("Cache-Control", "no-store")
	resp.Header.Set("X-Sluice", "1")
	return resp
}

// refuseStep answers a held or blocked upload: the audit event is recorded first (its id goes into the
// answer), then the browser gets a page or JSON, the extension a notice and, for a block, managers an alert.
type refuseStep struct{ d *Deps }

func (refuseStep) Hook() Hook { return HookRespond }
func (s refuseStep) Run(f *Flow) error {
	kind, notice := "", ""
	switch f.Decision.Verdict {
	case policy.Approval:
		kind, notice = "held_for_approval", "held"
	case policy.Block:
		kind, notice = "blocked_by_sluice", "blocked"
	default:
		return nil
	}
	f.Outcome.Refused = true
	if err := record(s.d, f); err != nil {
		return err
	}
	ex := s.d.explain(f)
	resp, ref := s.d.refusal(f, kind, http.StatusForbidden, ex)
	f.Response = resp
	if s.d.Notifier != nil {
		s.d.Notifier.Notify(f.User.Name, s.d.notice(f, notice, ref, ex))
		if f.Decision.Verdict == policy.Block {
			s.d.Notifier.Alert(api.Alert{Kind: "block", User: f.User.Name, DisplayName: f.User.Label(), Destination: ref.Destination,
				Files: ref.Files, Reasons: f.Decision.Texts("zh-CN"), EventID: ref.EventID, Time: s.d.now().UTC()})
		}
	}
	return nil
}

// refusal builds the site-appropriate answer: an HTML page for navigations, JSON for scripts; ex (may be
// nil) adds the findings in words and an earlier approval that no longer applies.
func (d *Deps) refusal(f *Flow, kind string, status int, ex *explanation) (*http.Response, *Refusal) {
	lang := LangOf(f.Req)
	ref := &Refusal{Error: kind, Verdict: string(f.Decision.Verdict), Destination: f.Dest.Host, Lang: string(lang),
		Reasons: f.Decision.Texts(string(lang)), Files: []string{}}
	for _, x := range f.FilesOnly() {
		ref.Files = append(ref.Files, x.Name)
	}
	if f.Event != nil {
		ref.EventID = f.Event.ID
	}
	var past *api.PastApproval
	if ex != nil {
		past, ref.Findings = ex.past, ex.findings[lang]
	}
	zh, en := refusalMessage(kind, f.Dest, past)
	ref.Message = lang.Pick(zh, en)
	console := ""
	if d.ConsoleURL != nil {
		console = d.ConsoleURL()
	}
	if f.Decision.Verdict == policy.Approval && ref.EventID != 0 {
		ref.FormURL = fmt.Sprintf("%s/request/new?event=%d", console, ref.EventID)
		if past != nil {
			ref.Approval, ref.AgainURL = past, ref.FormURL+"&again="+past.RequestID
		}
	}
	if ref.Reasons == nil {
		ref.Reasons = []string{}
	}
	if !WantsHTML(f.Req) {
		data, _ := json.Marshal(ref)
		return TextResponse(f.Req, status, "application/json; charset=utf-8", string(data)), ref
	}
	var buf bytes.Buffer
	pastText := ""
	if ref.Approval != nil {
		pastText = ref.Approval.Text(lang)
	}
	if err := pages.ExecuteTemplate(&buf, "refused.html", map[string]any{"R": ref, "EN": lang == l10n.EN, "Console": console, "Past": pastText}); err != nil {
		d.Log.Error("refusal page failed", "err", err)
	}
	return TextResponse(f.Req, status, "text/html; charset=utf-8", buf.String()), ref
}

// failClosed answers a flow whose step failed: nothing is forwarded, grants it used are given back,
// and the failure is audited as an "error" event (which supersedes nothing: no event was written yet,
// or the one written said the upload was refused, which stays true).
func (p *Pipeline) failClosed(f *Flow, step Step, err error) {
	d := p.deps
	d.Log.Error("upload pipeline failed; request stopped", "hook", step.Hook(), "host", f.Dest.Host, "user", f.User.Name, "err", err)
	f.Outcome = Outcome{Refused: true, Err: err}
	refundGrants(d, f)
	f.Decision = policy.Decision{Verdict: policy.Block, Reasons: []policy.Reason{{Code: "error",
		ZH: "Sluice 处理失败：" + l10n.Text(err, l10n.ZH), EN: "Sluice failed: " + l10n.Text(err, l10n.EN)}}}
	if f.Event == nil {
		e := errorEvent(f, step.Hook().String(), err)
		if aerr := d.DB.AppendEvent(e); aerr == nil {
			f.Event = e
		} else {
			d.Log.Error("cannot audit the failure either", "err", aerr)
		}
	}
	resp, _ := d.refusal(f, "sluice_error", http.StatusBadGateway, nil)
	f.Response = resp
}

// errorEvent is the audit record of a flow that did not go through because something failed.
func errorEvent(f *Flow, where string, err error) *store.Event {
	e := &store.Event{Action: "upload", User: f.User.Name, Host: f.Dest.Host, Category: string(f.Dest.Category),
		Method: f.Req.Method, Path: f.Req.URL.Path, Verdict: "error", Reasons: []string{"Sluice 处理失败：" + l10n.Text(err, l10n.ZH)},
		Extra: map[string]string{"failed_at": where, "error": l10n.Text(err, l10n.EN)}}
	e.Files = fileRecords(f)
	if gs := f.Grants(); len(gs) > 0 {
		e.Extra["grants_refunded"] = grantIDs(gs)
	}
	return e
}

// refundGrants gives back the uses a failed flow took.
func refundGrants(d *Deps, f *Flow) {
	gs := f.Grants()
	if len(gs) == 0 {
		return
	}
	ids := make([]string, len(gs))
	for i, g := range gs {
		ids[i] = g.ID
	}
	if err := d.DB.RefundGrants(ids); err != nil {
		d.Log.Error("cannot give back the approval uses of a failed upload", "grants", ids, "err", err)
	}
}

func grantIDs(gs []*store.Grant) string {
	ids := make([]string, len(gs))
	for i, g := range gs {
		ids[i] = g.ID
	}
	return strings.Join(ids, ",")
}

// elapsed formats how long the flow took, for the audit record.
func elapsed(f *Flow, now time.Time) string {
	if f.Started.IsZero() {
		return ""
	}
	return now.Sub(f.Started).Round(time.Millisecond).String()
}
