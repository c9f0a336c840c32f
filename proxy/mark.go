package proxy

import (
	"errors"
	"fmt"
	"time"

	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/proxy/scanreport"
	"github.com/sluice-dlp/sluice/store"
	"github.com/sluice-dlp/sluice/watermark"
)

// MaxMarkSize is the largest file Sluice rewrites with a watermark; larger ones are "unmarkable".
const MaxMarkSize = 64 << 20

// MarkRequest describes one file to mark exactly as the proxy would.
type MarkRequest struct {
	User     *store.User
	Dest     policy.Destination
	Path     string // URL path it was sent to
	FileName string
	Data     []byte
	Template string       // visible template from the policy
	Grant    *store.Grant // approval that released it, if any
	Now      time.Time
}

// MarkFile allocates a mark id, stamps the visible and hidden marks, archives original and marked
// bytes, and returns the marked bytes with the outbound record (not yet saved: the caller adds the event id).
func MarkFile(db *store.DB, m *watermark.Marker, r MarkRequest) ([]byte, *store.Outbound, error) {
	if len(r.Data) > MaxMarkSize {
		return nil, nil, fmt.Errorf("%w: %d MB is over the %d MB marking limit", watermark.ErrUnsupported, len(r.Data)>>20, MaxMarkSize>>20)
	}
	id, err := db.NewMarkID()
	if err != nil {
		return nil, nil, err
	}
	now := r.Now
	if now.IsZero() {
		now = time.Now()
	}
	out, typ, err := m.Stamp(r.Data, watermark.Mark{ID: id, Name: r.User.Label(), StaffID: r.User.StaffID, Time: now, Template: r.Template})
	if err != nil {
		return nil, nil, err
	}
	orig, err := db.PutBlobBytes(r.Data)
	if err != nil {
		return nil, nil, err
	}
	marked, err := db.PutBlobBytes(out)
	if err != nil {
		return nil, nil, err
	}
	o := &store.Outbound{MarkID: id, Time: now.UTC(), User: r.User.Name, DisplayName: r.User.Label(), StaffID: r.User.StaffID,
		Host: r.Dest.Host, Category: string(r.Dest.Category), Path: r.Path, FileName: r.FileName, Type: typ,
		OrigSHA256: orig, MarkSHA256: marked}
	if r.Grant != nil {
		o.ApprovalID, o.GrantID = r.Grant.RequestID, r.Grant.ID
	}
	return out, o, nil
}

// unmarkableReason turns a marking error into words for the rep.
func unmarkableReason(err error) string {
	switch {
	case errors.Is(err, watermark.ErrUnsupported):
		return "unsupported format or too large: " + err.Error()
	case errors.Is(err, watermark.ErrCorrupt):
		return "corrupt file: " + err.Error()
	}
	return err.Error()
}

// watermarkStep marks every PDF/image part of a "watermark" verdict in place; a part that cannot be
// marked turns the verdict into the policy's "unmarkable" action (default: hold for approval).
type watermarkStep struct{ d *Daemon }

func (watermarkStep) Hook() string { return HookEnforce }
func (s watermarkStep) Run(f *Flow) error {
	if f.Decision.Verdict != policy.Watermark {
		return nil
	}
	for i, p := range f.Files {
		if i >= len(f.Results) || !policy.IsPDFOrImage(f.Results[i].Type) {
			continue
		}
		data, err := p.Data.Bytes(MaxMarkSize)
		if err != nil {
			return s.unmarkable(f, p, fmt.Errorf("%w: %v", watermark.ErrUnsupported, err))
		}
		out, o, err := MarkFile(s.d.DB, s.d.Marker, MarkRequest{User: f.User, Dest: f.Dest, Path: f.Req.URL.Path, FileName: p.FileName,
			Data: data, Template: s.d.Policy.Watermark.Template, Grant: f.Grant, Now: s.d.now()})
		if err != nil {
			return s.unmarkable(f, p, err)
		}
		if f.Replace == nil {
			f.Replace = map[*uploadPart][]byte{}
			f.marks = map[*uploadPart]*store.Outbound{}
		}
		f.Replace[p] = out
		f.marks[p] = o
		f.Outbound = append(f.Outbound, o)
	}
	return nil
}

// unmarkable applies the policy's "unmarkable" action. A file an approval already released leaves
// unmarked but archived and recorded as such: the approvers saw it, and holding it again would loop.
func (s watermarkStep) unmarkable(f *Flow, p *uploadPart, err error) error {
	s.d.log.Warn("file cannot be watermarked", "file", p.FileName, "host", f.Dest.Host, "err", err)
	if f.Grant != nil {
		sum, _, perr := s.d.DB.PutBlob(p.Data.Reader())
		if perr != nil {
			return perr
		}
		f.Outbound = append(f.Outbound, &store.Outbound{Time: s.d.now().UTC(), User: f.User.Name, DisplayName: f.User.Label(),
			StaffID: f.User.StaffID, Host: f.Dest.Host, Category: string(f.Dest.Category), Path: f.Req.URL.Path,
			FileName: p.FileName, OrigSHA256: sum, ApprovalID: f.Grant.RequestID, GrantID: f.Grant.ID,
			Note: "unmarked: " + unmarkableReason(err)})
		return nil
	}
	d := s.d.Policy.UnmarkableDecision(f.Dest, p.FileName, unmarkableReason(err))
	d.Reasons = append(f.Decision.Reasons, d.Reasons...)
	f.Decision = d
	f.Replace, f.Outbound, f.marks = nil, nil, nil
	return nil
}

// ManualMark stamps a file for user as the proxy would for destURL (a URL or host; "" = no destination)
// and records it in the audit log and the outbound archive, like `sluice mark`.
func ManualMark(db *store.DB, m *watermark.Marker, p *policy.Policy, userName, destURL, fileName string, data []byte) ([]byte, *store.Outbound, error) {
	u, err := db.User(userName)
	if err != nil {
		return nil, nil, fmt.Errorf("sluice: no user %q; add it with 'sluice users add %s --display-name 张三 --staff-id A1024'", userName, userName)
	}
	dest := policy.Destination{Host: "(manual)"}
	if destURL != "" {
		d, err := scanreport.Destination(p, destURL)
		if err != nil {
			return nil, nil, err
		}
		dest = *d
	}
	path := dest.Path
	out, o, err := MarkFile(db, m, MarkRequest{User: u, Dest: dest, Path: path, FileName: fileName, Data: data, Template: p.Watermark.Template})
	if err != nil {
		return nil, nil, fmt.Errorf("sluice: cannot mark %s: %w", fileName, err)
	}
	e := &store.Event{Action: "mark.manual", User: u.Name, Host: dest.Host, Category: string(dest.Category), Path: path, Verdict: "watermark",
		Files: []store.FileRecord{{Name: fileName, Size: int64(len(data)), SHA256: o.OrigSHA256, Type: o.Type, Blob: o.OrigSHA256,
			MarkID: store.MarkIDString(o.MarkID), Marked: o.MarkSHA256}}}
	if err := db.AppendEvent(e); err != nil {
		return nil, nil, err
	}
	o.EventID = e.ID
	if err := db.PutOutbound(o); err != nil {
		return nil, nil, err
	}
	return out, o, nil
}
