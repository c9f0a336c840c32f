package pipeline

import (
	"strconv"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/store"
)

// recordStep writes the audit event of a forwarded flow once the upstream answered, with the outcome,
// and archives what left. A flow the upstream never got is recorded as an error and its grants are
// given back, so the log never says an upload left when it did not.
type recordStep struct{ d *Deps }

func (recordStep) Hook() Hook { return HookRecord }
func (s recordStep) Run(f *Flow) error {
	if f.Event != nil || !f.Outcome.Forwarding {
		return nil
	}
	if f.Outcome.Err != nil {
		refundGrants(s.d, f)
		e := errorEvent(f, "forward", f.Outcome.Err)
		e.Reasons = []string{"上游站点无法访问，上传未送达：" + l10n.Text(f.Outcome.Err, l10n.ZH)}
		if err := s.d.DB.AppendEvent(e); err != nil {
			return err
		}
		f.Event = e
		return nil
	}
	if err := record(s.d, f); err != nil {
		return err
	}
	if err := archiveMessage(s.d, f); err != nil {
		return err
	}
	for _, x := range f.FilesOnly() {
		o := x.Out
		if o == nil && x.Grant != nil { // released by an approval but not marked: archived as it left
			note := "unmarked: not a PDF or image"
			if f.Integrity {
				note = "unmarked: integrity-checked upload"
			} else if x.Result != nil && policy.IsPDFOrImage(x.Result.Type) {
				note = "unmarked: the file could not be watermarked"
			}
			o = &store.Outbound{Time: s.d.now().UTC(), User: f.User.Name, DisplayName: f.User.Label(), StaffID: f.User.StaffID,
				Host: f.Dest.Host, Category: string(f.Dest.Category), Path: f.Req.URL.Path, FileName: x.Name, OrigSHA256: x.Blob,
				ApprovalID: x.Grant.RequestID, GrantID: x.Grant.ID, Note: note}
			if x.Result != nil {
				o.Type = x.Result.Type
			}
		}
		if o == nil {
			continue
		}
		o.EventID = f.Event.ID
		if err := s.d.DB.PutOutbound(o); err != nil {
			return err
		}
	}
	return nil
}

// record writes the flow's one audit event: the verdict, each file with its findings (held originals
// kept as blobs for the reviewers), the grants that released it and, once forwarded, the upstream status.
func record(d *Deps, f *Flow) error {
	e := &store.Event{Time: d.now().UTC(), Action: "upload", User: f.User.Name, Host: f.Dest.Host, Category: string(f.Dest.Category),
		Method: f.Req.Method, Path: f.Req.URL.Path, Verdict: string(f.Decision.Verdict), Reasons: f.Decision.Texts("zh-CN"),
		Extra: map[string]string{}}
	if len(f.FilesOnly()) == 0 && len(f.Files) > 0 {
		e.Action = "message"
	}
	keep := f.Decision.Verdict == policy.Approval
	for i, fr := range fileRecords(f) {
		if keep && fr.Blob == "" {
			sum, _, err := d.DB.PutBlob(f.Files[i].Part.Data.Reader())
			if err != nil {
				return err
			}
			fr.Blob = sum
		}
		e.Files = append(e.Files, fr)
	}
	if gs := f.Grants(); len(gs) > 0 {
		e.RequestID = gs[0].RequestID
		e.Extra["grant"], e.Extra["approval"] = grantIDs(gs), gs[0].RequestID
	}
	if f.Outcome.Forwarding {
		e.Extra["upstream_status"] = strconv.Itoa(f.Outcome.Status)
	}
	if t := elapsed(f, d.now()); t != "" {
		e.Extra["elapsed"] = t
	}
	if len(e.Extra) == 0 {
		e.Extra = nil
	}
	if err := d.DB.AppendEvent(e); err != nil {
		return err
	}
	f.Event = e
	files, sensitive := 0, 0
	for _, x := range f.FilesOnly() {
		files++
		if ok, _, _ := d.Policy.SensitiveFile(x.Result); x.Result != nil && ok {
			sensitive++
		}
	}
	d.Metrics.Upload(string(f.Dest.Category), string(f.Decision.Verdict), files, sensitive)
	if d.Observe != nil {
		d.Observe(f.User, e)
	}
	return nil
}

// fileRecords describes the flow's files and message for the audit record (no blobs are written).
func fileRecords(f *Flow) []store.FileRecord {
	out := make([]store.FileRecord, 0, len(f.Files))
	for _, x := range f.Files {
		fr := store.FileRecord{Name: x.Name, Size: x.Part.Size(), SHA256: x.Part.SHA256()}
		if x.Message {
			fr.Name, fr.Kind = "(message)", store.FileKindMessage
		}
		if x.Result != nil {
			fr.Type = x.Result.Type
			fr.Findings = Summarize(x.Result)
			fr.Customers = store.EncodeCustomers(x.Result.Customers)
		}
		if x.Out != nil {
			fr.MarkID, fr.Marked, fr.Blob = store.MarkIDString(x.Out.MarkID), x.Out.MarkSHA256, x.Out.OrigSHA256
		}
		out = append(out, fr)
	}
	return out
}

// Summarize turns findings into short masked strings for the audit record, e.g. "phone×12".
func Summarize(r *inspect.Result) []string {
	var out []string
	for _, f := range r.Findings {
		s := f.Kind + "×" + strconv.Itoa(f.Count)
		if f.Detail != "" && (f.Kind == inspect.KindUninspectable || f.Kind == inspect.KindEncrypted || f.Kind == inspect.KindDisguised) {
			s += " (" + f.Detail + ")"
		}
		out = append(out, s)
	}
	return out
}

// archiveMessage keeps the text of a message that left for a personal channel in the outbound archive,
// as the policy's archive.messages says (so chat records survive the rep deleting them).
func archiveMessage(d *Deps, f *Flow) error {
	if !f.Dest.Personal() || f.Decision.Verdict != policy.Allow && f.Decision.Verdict != policy.Watermark {
		return nil
	}
	for _, x := range f.Files {
		if !x.Message || x.Result == nil || !d.Policy.Archive.KeepMessage(len(x.Result.Findings) > 0) {
			continue
		}
		sum, _, err := d.DB.PutBlob(x.Part.Data.Reader())
		if err != nil {
			return err
		}
		o := &store.Outbound{Time: d.now().UTC(), User: f.User.Name, DisplayName: f.User.Label(), StaffID: f.User.StaffID, Host: f.Dest.Host,
			Category: string(f.Dest.Category), Path: f.Req.URL.Path, FileName: "消息 / message", Type: "message", OrigSHA256: sum,
			EventID: f.Event.ID, Note: api.FindingsLine(Summarize(x.Result), l10n.ZH)}
		if err := d.DB.PutOutbound(o); err != nil {
			return err
		}
	}
	return nil
}
