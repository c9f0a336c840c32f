package pipeline

import (
	"io"
	"strconv"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/proxy/upload"
)

// forwardStep hands the (possibly watermarked) body back to the request for the upstream.
type forwardStep struct{ d *Deps }

func (forwardStep) Hook() Hook { return HookForward }
func (s forwardStep) Run(f *Flow) error {
	out := f.Body.Raw
	replace := map[*upload.Part][]byte{}
	for _, x := range f.Files {
		if x.Marked != nil {
			replace[x.Part] = x.Marked
		} else if x.Grant != nil && x.Blob == "" { // archived now: the body is gone once it is sent
			sum, _, err := s.d.DB.PutBlob(x.Part.Data.Reader())
			if err != nil {
				return err
			}
			x.Blob = sum
		}
	}
	if len(replace) > 0 {
		nb, err := f.Body.Rewrite(replace)
		if err != nil {
			return l10n.Wrap(err, l10n.Internal, "无法改写上传内容", "rewriting the upload failed")
		}
		out = nb
		f.extra = append(f.extra, nb)
	}
	f.Forward = out
	f.Req.Body = &flowBody{Reader: out.Reader(), f: f}
	f.Req.ContentLength = out.Size()
	f.Req.Header.Set("Content-Length", strconv.FormatInt(out.Size(), 10))
	f.Req.TransferEncoding = nil
	f.Req.GetBody = nil
	return nil
}

// flowBody streams the forwarded body and releases the flow's spools when the transport closes it.
type flowBody struct {
	io.Reader
	f *Flow
}

func (b *flowBody) Close() error {
	b.f.Close()
	return nil
}
