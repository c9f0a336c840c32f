package proxy

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"github.com/sluice-dlp/sluice/proxy/policy"
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
}

// langOf picks zh-CN unless the browser prefers English.
func langOf(r *http.Request) string {
	al := strings.ToLower(strings.TrimSpace(r.Header.Get("Accept-Language")))
	if strings.HasPrefix(al, "en") {
		return "en"
	}
	return "zh-CN"
}

// wantsHTML reports whether the request is a top-level navigation (show a page) rather than XHR/fetch (send JSON).
func wantsHTML(r *http.Request) bool {
	if m := r.Header.Get("Sec-Fetch-Mode"); m != "" {
		return m == "navigate"
	}
	if r.Header.Get("X-Requested-With") != "" {
		return false
	}
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// refuse builds the site-appropriate 403: an HTML page for navigations, JSON for scripts.
func (d *Daemon) refuse(f *Flow, kind string) (*http.Response, *Refusal) {
	lang := langOf(f.Req)
	ref := &Refusal{Error: kind, Verdict: string(f.Decision.Verdict), Destination: f.Dest.Host, Lang: lang,
		Reasons: f.Decision.Texts(lang)}
	if f.Event != nil {
		ref.EventID = f.Event.ID
		for _, fr := range f.Event.Files {
			ref.Files = append(ref.Files, fr.Name)
		}
	}
	zh, en := refusalMessage(kind, f.Dest)
	ref.Message = zh
	if lang == "en" {
		ref.Message = en
	}
	if f.Decision.Verdict == policy.Approval && ref.EventID != 0 {
		ref.FormURL = fmt.Sprintf("%s/request/new?event=%d", d.ConsoleURL(), ref.EventID)
	}
	if ref.Reasons == nil {
		ref.Reasons = []string{}
	}
	if !wantsHTML(f.Req) {
		data, _ := json.Marshal(ref)
		return textResponse(f.Req, http.StatusForbidden, "application/json; charset=utf-8", string(data)), ref
	}
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, "refused.html", map[string]any{"R": ref, "EN": lang == "en", "Console": d.ConsoleURL()}); err != nil {
		d.log.Error("refusal page failed", "err", err)
	}
	return textResponse(f.Req, http.StatusForbidden, "text/html; charset=utf-8", buf.String()), ref
}

func refusalMessage(kind string, dest policy.Destination) (zh, en string) {
	where := dest.Service
	if where == "" {
		where = dest.Host
	}
	switch kind {
	case "held_for_approval":
		return fmt.Sprintf("上传到%s需要审批：文件已暂存，请填写申请（接收方、用途、使用期限），主管和部门负责人批准后重新发送即可。", where),
			fmt.Sprintf("Sending this to %s needs approval: the file is kept; file a request (receiver, purpose, validity) and send again once your lead and department head approve.", where)
	case "sluice_error":
		return "Sluice 无法处理此次上传，已按安全策略拦截。请稍后重试或联系管理员。",
			"Sluice could not process this upload, so it was stopped. Try again later or contact your administrator."
	}
	return fmt.Sprintf("Sluice 已拦截发往%s的内容：公司规定客户资料不得发送到个人邮箱、网盘或聊天工具。", where),
		fmt.Sprintf("Sluice blocked this upload to %s: company rules forbid sending customer data to personal mail, netdisks or chat.", where)
}
