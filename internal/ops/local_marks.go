package ops

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/internal/marking"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/store"
	"github.com/sluice-dlp/sluice/watermark"
)

// Mark stamps a file for a user exactly as the proxy would for the destination, and records it in
// the audit log and the outbound archive.
func (l *Local) Mark(ctx context.Context, req api.MarkRequest, data []byte) ([]byte, api.Marked, error) {
	if err := l.needAdmin(); err != nil {
		return nil, api.Marked{}, err
	}
	if l.Marker == nil {
		return nil, api.Marked{}, l10n.New(l10n.Unavailable, "没有水印密钥", "no mark key is loaded")
	}
	u, err := l.DB.User(req.User)
	if err != nil {
		return nil, api.Marked{}, err
	}
	dest := policy.Destination{Host: "(manual)"}
	if req.Dest != "" {
		if dest, err = l.Policy.DestinationFor(req.Dest); err != nil {
			return nil, api.Marked{}, err
		}
	}
	name := baseName(req.Name)
	out, o, err := marking.Mark(l.DB, l.Marker, marking.Request{User: u, Dest: dest, Path: dest.Path, FileName: name, Data: data,
		Template: l.Policy.MarkTemplate(u.Departing != ""), Now: l.now()})
	if err != nil {
		zh, en := marking.Unmarkable(err)
		return nil, api.Marked{}, l10n.Errorf(l10n.Unreadable, "无法给 %[1]s 加水印：%[2]s", "cannot mark %[1]s: %[3]s", name, zh, en)
	}
	e := &store.Event{Action: "mark.manual", User: u.Name, Host: dest.Host, Category: string(dest.Category), Path: dest.Path, Verdict: "watermark",
		Extra: map[string]string{"by": l.who()},
		Files: []store.FileRecord{{Name: name, Size: int64(len(data)), SHA256: o.OrigSHA256, Type: o.Type, Blob: o.OrigSHA256,
			MarkID: store.MarkIDString(o.MarkID), Marked: o.MarkSHA256}}}
	if err := l.DB.AppendEvent(e); err != nil {
		return nil, api.Marked{}, err
	}
	o.EventID = e.ID
	if err := l.DB.PutOutbound(o); err != nil {
		return nil, api.Marked{}, err
	}
	m := api.Marked{MarkID: store.MarkIDString(o.MarkID), Type: o.Type, Weak: o.Weak}
	if o.ResendOf != 0 {
		m.ResendOf = store.MarkIDString(o.ResendOf)
	}
	return out, m, nil
}

// Trace decodes the hidden mark of a leaked file and names who sent it, when, where and under which approval.
// found is false when no mark clears the check: never a guess.
func (l *Local) Trace(ctx context.Context, data []byte) (api.Trace, error) {
	if err := l.needInvestigator(); err != nil {
		return api.Trace{}, err
	}
	lg := lang(ctx)
	var res watermark.Result
	var err error
	out := api.Trace{}
	if l.Marker == nil { // the customers can still be traced
		err = l10n.New(l10n.Unavailable, "没有水印密钥，未检查隐藏水印；请在 Sluice 服务器上运行，或用 --data 指向其数据目录",
			"no mark key, so no hidden mark was looked for; run this on the Sluice server or point --data at its data dir")
		out.Note = l10n.Text(err, lg)
	} else {
		res, err = l.Marker.Decode(data)
		out = api.Trace{Found: res.Found, Confidence: res.Confidence, Layer: res.Layer}
		switch {
		case errors.Is(err, watermark.ErrCorrupt) || errors.Is(err, watermark.ErrUnsupported):
			out.Note = l10n.Text(err, lg)
		case err != nil:
			return out, err
		}
	}
	if !res.Found { // no mark: who sent the customers this file holds?
		if out.Provenance, err = l.provenance(ctx, data); err != nil {
			return out, err
		}
		return out, nil
	}
	out.MarkID = store.MarkIDString(res.MarkID)
	o, err := l.DB.Outbound(res.MarkID)
	if err != nil {
		out.Note = l10n.Text(err, lg)
		return out, nil
	}
	out.User, out.DisplayName, out.StaffID = o.User, o.DisplayName, o.StaffID
	out.Time, out.Destination, out.Category = o.Time.Format(time.RFC3339), o.Host, o.Category
	out.FileName, out.Approval, out.EventID = o.FileName, o.ApprovalID, o.EventID
	if out.Resends, err = l.resends(res.MarkID); err != nil {
		return out, err
	}
	return out, nil
}

// resends lists the later sends of a file that kept mark id, oldest first.
func (l *Local) resends(id uint64) ([]api.Resend, error) {
	recs, err := l.DB.Archive(store.ArchiveFilter{Limit: 100000})
	if err != nil {
		return nil, err
	}
	var out []api.Resend
	for i := len(recs) - 1; i >= 0; i-- { // the archive is newest first
		o := recs[i]
		if o.ResendOf == id {
			out = append(out, api.Resend{MarkID: store.MarkIDString(o.MarkID), User: o.User, DisplayName: o.DisplayName, StaffID: o.StaffID,
				Time: o.Time.Format(time.RFC3339), Destination: o.Host, FileName: o.FileName, Approval: o.ApprovalID, EventID: o.EventID})
		}
	}
	return out, nil
}

// Archive searches the outbound archive (admins and investigators) and adds each record's approvers.
func (l *Local) Archive(ctx context.Context, f store.ArchiveFilter) ([]api.ArchiveRecord, error) {
	if err := l.needInvestigator(); err != nil {
		return nil, err
	}
	recs, err := l.DB.Archive(f)
	if err != nil {
		return nil, err
	}
	// every look into the archive (files and kept messages) is itself recorded
	if err := l.DB.AppendEvent(&store.Event{Action: "archive.search", User: l.who(), Extra: map[string]string{
		"user": f.User, "host": f.Host, "q": f.Text, "since": fmtDay(f.Since), "until": fmtDay(f.Until), "results": strconv.Itoa(len(recs))}}); err != nil {
		return nil, err
	}
	out := make([]api.ArchiveRecord, 0, len(recs))
	for _, o := range recs {
		ar := api.ArchiveRecord{Outbound: o}
		if o.MarkID != 0 {
			ar.MarkIDText = store.MarkIDString(o.MarkID)
		}
		if o.ApprovalID != "" {
			if req, err := l.DB.Request(o.ApprovalID); err == nil {
				ar.Receiver, ar.Purpose = req.Receiver, req.Purpose
				for _, st := range req.History {
					if st.Action == store.ActApprove {
						ar.Approvers = append(ar.Approvers, st.Actor)
					}
				}
			}
		}
		out = append(out, ar)
	}
	return out, nil
}

func fmtDay(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
}
