package pipeline

import (
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/proxy/upload"
)

// sliceStep (at HookParts, after the body is split) catches requests that carry a slice of a file sent in
// several: it holds each slice, answering as the service would, until the file is whole; then the flow of
// the completing request judges the whole file, and if it may leave, the held slices reach the site first
// (the front replays them). A slice Sluice cannot hold gets the "can't inspect" verdict. No slice of an
// unjudged file is ever forwarded.
type sliceStep struct{ d *Deps }

func (sliceStep) Hook() Hook { return HookParts }
func (s sliceStep) Run(f *Flow) error {
	if s.d.Sessions == nil || f.Body == nil {
		return nil
	}
	sl := upload.Recognize(f.Req, f.Body)
	if sl == nil {
		if sl = s.d.Sessions.CommitFor(f.User.Name, f.Req, f.Body); sl == nil {
			return nil
		}
	}
	if sl.ID == "start" && registeredDeclaration(s.d.Scanner().Fingerprints(), f) {
		return nil // it opens an upload of a registered sensitive file: judged now, not held
	}
	if f.Body.Problem != "" && !sl.Closed && !sl.Abort && f.Body.Format != "raw" {
		sl.Closed, sl.Why = true, [2]string{"分片内容无法解析：" + f.Body.Problem, "the slice cannot be parsed: " + f.Body.Problem}
	}
	switch {
	case sl.Abort:
		s.d.Sessions.Hold(f.User.Name, f.Dest.Service, sl, f.Req, f.Body)
		return nil
	case sl.Closed:
		f.Files = []*File{closedFile(f, sl.Name, sl.Why)}
		return nil
	}
	resp, asm, err := s.d.Sessions.Hold(f.User.Name, f.Dest.Service, sl, f.Req, f.Body)
	switch {
	case err != nil:
		zh, en := l10n.Text(err, l10n.ZH), l10n.Text(err, l10n.EN)
		f.Files = []*File{closedFile(f, sl.Name, [2]string{zh, en})}
	case resp != nil: // held: the session owns the body now
		f.Body, f.Response, f.Held = nil, resp, true
	case asm != nil:
		f.assembled = asm
		f.Replay = asm.Replay
		part := &upload.Part{Kind: upload.KindFile, FileName: asm.Name, Data: asm.File}
		files := []*File{{Part: part, Name: asm.Name}}
		for _, x := range f.Files { // the completing request's own file part was one of the slices
			if x.Part.Data != sl.Data && x.Part.Data != f.Body.Raw {
				files = append(files, x)
			}
		}
		f.Files = files
		f.Integrity = true // the site knows the slices' sizes and hashes: a sliced file cannot be marked in flight
	}
	return nil
}

// closedFile stands for a slice nobody can judge alone: the "can't inspect" verdict applies to it.
func closedFile(f *Flow, name string, why [2]string) *File {
	data := f.Body.Raw
	if name == "" {
		name = WholeBody
	}
	return &File{Part: &upload.Part{Kind: upload.KindFile, FileName: name, Data: data}, Name: name,
		Result: &inspect.Result{Type: "slice", SHA256: data.SHA256(), Size: data.Size(),
			Findings: []inspect.Finding{{Kind: inspect.KindUninspectable, Count: 1, Detail: why[1]}}}}
}
