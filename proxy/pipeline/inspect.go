package pipeline

import (
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/proxy/upload"
)

// inspectStep scans every file part and the text fields (as one message).
type inspectStep struct{ d *Deps }

func (inspectStep) Hook() Hook { return HookInspect }
func (s inspectStep) Run(f *Flow) error {
	if f.Body.Problem != "" {
		return nil
	}
	if err := s.d.acquire(f); err != nil {
		return err
	}
	defer s.d.release()
	sc := s.d.Scanner()
	for _, x := range f.Files {
		if x.Result != nil {
			continue // judged already (a slice nobody can judge alone)
		}
		start := time.Now()
		r, err := sc.Scan(f.Ctx, x.Part.Data, x.Part.Size(), x.Name)
		if err != nil {
			return l10n.Wrap(err, l10n.Internal, "检查「%s」失败", "inspecting %q failed", x.Name)
		}
		s.d.Metrics.Inspected(r.Type, time.Since(start))
		if r.OCR != nil && r.OCR.Read > 0 {
			s.d.Metrics.OCR(time.Duration(r.OCR.Millis) * time.Millisecond)
		}
		x.Result = r
	}
	if x := declaredFile(sc.Fingerprints(), f); x != nil {
		f.Files = append(f.Files, x)
	}
	var text strings.Builder
	for _, p := range f.Body.Fields() {
		data, err := p.Data.Bytes(4 << 20)
		if err != nil {
			continue
		}
		text.Write(data)
		text.WriteByte('\n')
	}
	if text.Len() > 0 {
		msg := text.String()
		r, err := sc.Scan(f.Ctx, strings.NewReader(msg), int64(len(msg)), "message.txt")
		if err != nil {
			return l10n.Wrap(err, l10n.Internal, "检查消息文字失败", "inspecting the message text failed")
		}
		part := &upload.Part{Kind: upload.KindField, Field: "(message)", Data: upload.SpoolBytes([]byte(msg))}
		f.Files = append(f.Files, &File{Part: part, Message: true, Result: r})
	}
	return nil
}
