package pipeline

import (
	"net/http"
	"strings"

	"github.com/sluice-dlp/sluice/proxy/inspect"
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
	if f.Req.Body == nil { // a bodiless request that may complete a sliced upload
		f.Req.Body = http.NoBody
	}
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
		if !p.Rewritable() {
			f.Integrity = true // decoded from a field or transfer encoding: it cannot be marked in place
		}
	}
	declared := b.Declared(f.Req.Header)
	for _, name := range f.Dest.Integrity {
		if declared[strings.ToLower(name)] {
			f.Integrity = true
		}
	}
	return nil
}
