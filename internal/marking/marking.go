// Package marking stamps a file that leaves with the sender's visible and hidden marks and makes
// its outbound archive record: the proxy's watermark step and `sluice mark` both call it.
package marking

import (
	"errors"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/store"
	"github.com/sluice-dlp/sluice/watermark"
)

// MaxMarkSize is the largest file Sluice rewrites with a watermark; larger ones are "unmarkable".
const MaxMarkSize = 64 << 20

// Request describes one file to mark exactly as the proxy would.
type Request struct {
	User     *store.User
	Dest     policy.Destination
	Path     string // URL path it was sent to
	FileName string
	Data     []byte
	Template string       // visible template from the policy
	Grant    *store.Grant // approval that released it, if any
	Now      time.Time
}

// Mark allocates a mark id, stamps the visible and hidden marks, archives the original and the marked
// bytes, and returns the marked bytes with the outbound record (not yet saved: the caller adds the event id).
func Mark(db *store.DB, m *watermark.Marker, r Request) ([]byte, *store.Outbound, error) {
	if len(r.Data) > MaxMarkSize {
		return nil, nil, l10n.Wrap(watermark.ErrUnsupported, l10n.TooLarge, "%d MB 超过加水印上限 %d MB", "%d MB is over the %d MB marking limit",
			len(r.Data)>>20, MaxMarkSize>>20)
	}
	id, err := db.NewMarkID()
	if err != nil {
		return nil, nil, err
	}
	now := r.Now
	if now.IsZero() {
		now = time.Now()
	}
	res, err := m.StampFile(r.Data, watermark.Mark{ID: id, Name: r.User.Label(), StaffID: r.User.StaffID, Time: now, Template: r.Template})
	if err != nil {
		return nil, nil, err
	}
	out, typ := res.Out, res.Type
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
		OrigSHA256: orig, MarkSHA256: marked, Weak: res.Weak}
	if res.Existing.Found && res.MarkID != id { // sent again: the file keeps its first mark
		o.ResendOf = res.MarkID
	}
	if r.Grant != nil {
		o.ApprovalID, o.GrantID = r.Grant.RequestID, r.Grant.ID
	}
	return out, o, nil
}

// Unmarkable says in both languages why a file could not be marked.
func Unmarkable(err error) (zh, en string) {
	switch {
	case errors.Is(err, watermark.ErrUnsupported):
		return "格式不支持或文件过大：" + l10n.Text(err, l10n.ZH), "unsupported format or too large: " + l10n.Text(err, l10n.EN)
	case errors.Is(err, watermark.ErrCorrupt):
		return "文件已损坏：" + l10n.Text(err, l10n.ZH), "corrupt file: " + l10n.Text(err, l10n.EN)
	}
	return l10n.Text(err, l10n.ZH), l10n.Text(err, l10n.EN)
}
