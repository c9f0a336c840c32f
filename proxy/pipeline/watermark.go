package pipeline

import (
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/internal/marking"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/watermark"
)

// watermarkStep marks every PDF/image file of a "watermark" verdict in place; a file that cannot be
// marked turns the verdict into the policy's "unmarkable" action (default: hold for approval), unless an
// approval already released it: then it leaves unmarked, archived and recorded as such.
type watermarkStep struct{ d *Deps }

func (watermarkStep) Hook() Hook { return HookEnforce }
func (s watermarkStep) Run(f *Flow) error {
	if f.Decision.Verdict != policy.Watermark {
		return nil
	}
	if err := s.d.acquire(f); err != nil {
		return err
	}
	defer s.d.release()
	var unmarkable []policy.Reason
	for _, x := range f.FilesOnly() {
		if x.Declared || x.Result == nil || !policy.IsPDFOrImage(x.Result.Type) {
			continue
		}
		data, err := x.Part.Data.Bytes(marking.MaxMarkSize)
		if err != nil {
			err = l10n.Wrap(watermark.ErrUnsupported, l10n.TooLarge, "文件过大", "too large to mark")
		}
		if err == nil {
			start := time.Now()
			x.Marked, x.Out, err = marking.Mark(s.d.DB, s.d.Marker, marking.Request{User: f.User, Dest: f.Dest, Path: f.Req.URL.Path,
				FileName: x.Name, Data: data, Template: s.d.template(f), Grant: x.Grant, Now: s.d.now()})
			s.d.Metrics.Watermarked(time.Since(start))
		}
		if err != nil {
			s.d.Log.Warn("file cannot be watermarked", "file", x.Name, "host", f.Dest.Host, "err", err)
			zh, en := marking.Unmarkable(err)
			if x.Grant != nil {
				x.Marked, x.Out = nil, nil // the approvers saw it: it leaves unmarked, noted in the archive
				continue
			}
			d := s.d.Policy.UnmarkableDecision(f.Dest, x.Name, zh, en)
			unmarkable = append(unmarkable, d.Reasons...)
		}
	}
	if len(unmarkable) > 0 {
		d := s.d.Policy.UnmarkableDecision(f.Dest, "", "", "")
		f.Decision = policy.Decision{Verdict: d.Verdict, Sensitive: f.Decision.Sensitive, Reasons: append(f.Decision.Reasons, unmarkable...)}
		for _, x := range f.Files { // nothing leaves marked when the upload is held
			x.Marked, x.Out = nil, nil
		}
	}
	return nil
}

// template is the visible watermark of a flow.
func (d *Deps) template(f *Flow) string { return d.Policy.MarkTemplate(f.User.Departing != "") }
