package pipeline

import (
	"fmt"
	"strings"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/store"
)

// explanation is what a refusal tells the rep beyond the verdict: what was found in each file, in
// words, who approves, and an earlier approval of the same file that no longer covers it.
type explanation struct {
	findings  map[l10n.Lang][]string // "客户.csv：手机号 60 个、联系人记录 60 条"
	past      *api.PastApproval
	reviewers []api.Reviewer
}

// explain gathers the explanation of a held or blocked flow (never fails: a lookup that fails is left out).
func (d *Deps) explain(f *Flow) *explanation {
	ex := &explanation{findings: map[l10n.Lang][]string{}}
	for _, x := range f.Files {
		if x.Result == nil || len(x.Result.Findings) == 0 {
			continue
		}
		codes := Summarize(x.Result)
		for _, lang := range []l10n.Lang{l10n.ZH, l10n.EN} {
			name := x.Name
			if x.Message {
				name = api.MessageLabel(lang)
			}
			ex.findings[lang] = append(ex.findings[lang], api.FileFindingsLine(name, codes, lang))
		}
	}
	if f.Decision.Verdict != policy.Approval {
		return ex
	}
	ex.reviewers = d.reviewers(f.User)
	ex.past = d.pastApproval(f)
	return ex
}

// reviewers names the rep's lead and head, in the order they approve.
func (d *Deps) reviewers(u *store.User) []api.Reviewer {
	var out []api.Reviewer
	for _, r := range []api.Reviewer{{Name: u.Lead, Stage: "lead"}, {Name: u.Head, Stage: "head"}} {
		if r.Name == "" {
			continue
		}
		r.DisplayName = r.Name
		if p, err := d.DB.User(r.Name); err == nil && p.DisplayName != "" {
			r.DisplayName = p.DisplayName
		}
		out = append(out, r)
	}
	return out
}

// pastApproval finds the newest approval of one of the held files, for this destination, that no
// longer covers it: all its sends used, or expired.
func (d *Deps) pastApproval(f *Flow) *api.PastApproval {
	now := d.now()
	held := f.FilesOnly()
	if len(held) == 0 {
		held = f.Files
	}
	for _, x := range held {
		if x.Part == nil {
			continue
		}
		gs, err := d.DB.GrantsFor(f.User.Name, x.Part.SHA256())
		if err != nil {
			continue
		}
		for _, g := range gs { // newest first
			if g.Host != "" && !strings.EqualFold(g.Host, f.Dest.Host) || g.Host == "" && g.Category != string(f.Dest.Category) {
				continue // approved for another site: not what this send asked for
			}
			p := &api.PastApproval{RequestID: g.RequestID, Uses: g.Uses, MaxUses: g.MaxUses, Expires: g.Expires}
			switch {
			case g.Uses >= g.MaxUses:
				p.State = "used_up"
			case !now.Before(g.Expires):
				p.State = "expired"
			default:
				continue // still valid: another file of the upload is what is not covered
			}
			return p
		}
	}
	return nil
}

// refusalMessage is the one-paragraph message of a refusal in both languages; past, when set, says
// why an earlier approval of the file does not cover this send.
func refusalMessage(kind string, dest policy.Destination, past *api.PastApproval) (zh, en string) {
	where := dest.Service
	if where == "" {
		where = dest.Host
	}
	switch kind {
	case "held_for_approval":
		if past != nil {
			return fmt.Sprintf("%s，这次发送到%s需要重新审批：文件已暂存。点「再次申请」按原来的接收方和用途提交新申请，直属上级和部门负责人依次审批，批准后重新发送即可。", past.Text(l10n.ZH), where),
				fmt.Sprintf("%s, so sending this to %s needs a new approval: the file is kept. Press \"Request again\" to file a new request with the same receiver and purpose; once your lead and department head approve, send it again.", capitalize(past.Text(l10n.EN)), where)
		}
		return fmt.Sprintf("上传到%s需要审批：文件已暂存。请提交申请（接收方、用途、使用期限），直属上级和部门负责人依次审批，批准后重新发送即可。", where),
			fmt.Sprintf("Sending this to %s needs approval: the file is kept. File a request (receiver, purpose, validity); once your lead and department head approve, send it again.", where)
	case "sluice_error":
		return "Sluice 无法处理此次上传，已按安全策略拦截。请稍后重试或联系管理员。",
			"Sluice could not process this upload, so it was stopped. Try again later or contact your administrator."
	}
	return fmt.Sprintf("Sluice 已拦截发往%s的内容：公司规定客户资料不得发送到个人邮箱、网盘或聊天工具。", where),
		fmt.Sprintf("Sluice blocked this upload to %s: company rules forbid sending customer data to personal mail, netdisks or chat.", where)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// notice builds the extension's notice of a refusal: the texts in both languages, so the extension
// shows its own language whatever the browser asked the site in.
func (d *Deps) notice(f *Flow, typ string, ref *Refusal, ex *explanation) api.Notice {
	n := api.Notice{Type: typ, EventID: ref.EventID, Destination: ref.Destination, Files: ref.Files, Reasons: ref.Reasons,
		FormURL: ref.FormURL, Time: d.now().UTC(), Findings: ref.Findings, Approval: ref.Approval, AgainURL: ref.AgainURL,
		Texts: map[string]api.NoticeTexts{}}
	if ex != nil {
		n.Reviewers = ex.reviewers
	}
	for _, lang := range []l10n.Lang{l10n.ZH, l10n.EN} {
		var past *api.PastApproval
		var found []string
		if ex != nil {
			past, found = ex.past, ex.findings[lang]
		}
		zh, en := refusalMessage(ref.Error, f.Dest, past)
		n.Texts[string(lang)] = api.NoticeTexts{Message: lang.Pick(zh, en), Reasons: f.Decision.Texts(string(lang)), Findings: found}
	}
	return n
}
