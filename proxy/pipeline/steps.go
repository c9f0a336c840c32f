package pipeline

import (
	"strings"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/proxy/upload"
)

// WholeBody names the file record of a body Sluice could not split into parts.
const WholeBody = "(request body)"

// partsStep reads the body (spooling to disk past the threshold) and splits it into parts.
type partsStep struct{ d *Deps }

func (partsStep) Hook() Hook { return HookParts }
func (s partsStep) Run(f *Flow) error {
	opts := s.d.Body
	opts.Length = f.Req.ContentLength
	b, err := upload.Read(f.Req.Body, f.Req.Header, f.Req.URL, opts)
	f.Req.Body.Close()
	if err != nil {
		return err
	}
	f.Body = b
	if b.Problem != "" { // unparsed: the whole body is one file nobody could read
		p := &upload.Part{Kind: upload.KindFile, FileName: WholeBody, Data: b.Raw}
		f.Files = append(f.Files, &File{Part: p, Name: WholeBody, Result: &inspect.Result{Type: "unknown", SHA256: b.Raw.SHA256(),
			Size: b.Raw.Size(), Findings: []inspect.Finding{{Kind: inspect.KindUninspectable, Count: 1, Detail: b.Problem}}}})
		return nil
	}
	for _, p := range b.Files() {
		f.Files = append(f.Files, &File{Part: p, Name: p.FileName})
	}
	declared := b.Declared(f.Req.Header)
	for _, name := range f.Dest.Integrity {
		if declared[strings.ToLower(name)] {
			f.Integrity = true
		}
	}
	return nil
}

// inspectStep scans every file part and the text fields (as one message).
type inspectStep struct{ d *Deps }

func (inspectStep) Hook() Hook { return HookInspect }
func (s inspectStep) Run(f *Flow) error {
	if f.Body.Problem != "" {
		return nil
	}
	sc := s.d.Scanner()
	for _, x := range f.Files {
		r, err := sc.Scan(f.Ctx, x.Part.Data, x.Part.Size(), x.Name)
		if err != nil {
			return l10n.Wrap(err, l10n.Internal, "检查「%s」失败", "inspecting %q failed", x.Name)
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

// decideStep asks the policy for a verdict.
type decideStep struct{ d *Deps }

func (decideStep) Hook() Hook { return HookDecide }
func (s decideStep) Run(f *Flow) error {
	in := policy.Input{User: f.User.Name, Dest: f.Dest, Integrity: f.Integrity}
	for _, x := range f.Files {
		if x.Message {
			in.Messages = append(in.Messages, x.Result)
		} else {
			in.Results = append(in.Results, x.Result)
			in.Names = append(in.Names, x.Name)
		}
	}
	f.Decision = s.d.Policy.Decide(in)
	return nil
}
