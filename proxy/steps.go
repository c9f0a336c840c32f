package proxy

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/proxy/upload"
	"github.com/sluice-dlp/sluice/store"
)

// Notice is what the daemon tells a user's browser extension (see docs/API.md).
type Notice struct {
	Type        string // blocked | held | approved | denied | expired
	EventID     uint64
	RequestID   string
	Destination string
	Files       []string
	Reasons     []string
	FormURL     string
}

// AlertInfo is what managers are told when something is blocked.
type AlertInfo struct {
	Kind        string // block
	User        string
	DisplayName string
	Destination string
	Files       []string
	Reasons     []string
	EventID     uint64
}

// defaultPipeline assembles the steps every intercepted upload goes through.
func (d *Daemon) defaultPipeline() *Pipeline {
	p := &Pipeline{log: d.log, onFail: d.failClosed}
	p.Add(
		&partsStep{d},
		&inspectStep{d},
		&decideStep{d},
		&grantStep{d},
		&watermarkStep{d},
		&recordStep{d},
		&holdStep{d},
		&blockStep{d},
		&forwardStep{d},
	)
	return p
}

// partsStep reads the body (spooling to disk past the threshold) and splits it into parts.
type partsStep struct{ d *Daemon }

func (partsStep) Hook() string { return HookParts }
func (s partsStep) Run(f *Flow) error {
	b, err := upload.Read(f.Req.Body, f.Req.Header, f.Req.URL, upload.Options{Dir: s.d.paths.Spool,
		SpoolThreshold: s.d.cfg.SpoolThreshold, MaxInspect: s.d.cfg.MaxInspect, Length: f.Req.ContentLength})
	f.Req.Body.Close()
	if err != nil {
		return err
	}
	f.Body = b
	f.Files = b.Files()
	declared := b.Declared(f.Req.Header)
	for _, name := range f.Dest.Integrity {
		if declared[strings.ToLower(name)] {
			f.Integrity = true
		}
	}
	return nil
}

// inspectStep scans every file part and the text fields.
type inspectStep struct{ d *Daemon }

func (inspectStep) Hook() string { return HookInspect }
func (s inspectStep) Run(f *Flow) error {
	if f.Body.Problem != "" {
		return nil
	}
	for _, p := range f.Files {
		r, err := s.d.Scanner().Scan(f.Ctx, p.Data, p.Size(), p.FileName)
		if err != nil {
			return fmt.Errorf("inspecting %q: %w", p.FileName, err)
		}
		f.Results = append(f.Results, r)
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
	if p, r := s.d.declaredPart(f); p != nil {
		f.Files = append(f.Files, p)
		f.Results = append(f.Results, r)
	}
	if text.Len() > 0 {
		msg := text.String()
		r, err := s.d.Scanner().Scan(f.Ctx, strings.NewReader(msg), int64(len(msg)), "message.txt")
		if err != nil {
			return fmt.Errorf("inspecting message text: %w", err)
		}
		f.Messages = append(f.Messages, r)
	}
	return nil
}

// decideStep asks the policy for a verdict.
type decideStep struct{ d *Daemon }

func (decideStep) Hook() string { return HookDecide }
func (s decideStep) Run(f *Flow) error {
	if f.Body.Problem != "" {
		f.Decision = s.d.Policy.UninspectableDecision(f.Dest, f.Body.Problem)
		return nil
	}
	names := make([]string, len(f.Files))
	for i, p := range f.Files {
		names[i] = p.FileName
	}
	f.Decision = s.d.Policy.Decide(policy.Input{User: f.User.Name, Dest: f.Dest, Results: f.Results, Names: names,
		Messages: f.Messages, Integrity: f.Integrity})
	return nil
}

// recordStep writes the hash-chained audit event (and keeps held originals as blobs).
type recordStep struct{ d *Daemon }

func (recordStep) Hook() string { return HookRecord }
func (s recordStep) Run(f *Flow) error {
	e := &store.Event{Action: "upload", User: f.User.Name, Host: f.Dest.Host, Category: string(f.Dest.Category),
		Method: f.Req.Method, Path: f.Req.URL.Path, Verdict: string(f.Decision.Verdict), Reasons: f.Decision.Texts("zh-CN")}
	if len(f.Files) == 0 && len(f.Messages) > 0 {
		e.Action = "message"
	}
	keep := f.Decision.Verdict == policy.Approval
	for i, p := range f.Files {
		fr := store.FileRecord{Name: p.FileName, Size: p.Size(), SHA256: p.SHA256()}
		if i < len(f.Results) {
			fr.Type = f.Results[i].Type
			fr.Findings = summarize(f.Results[i])
		}
		if keep {
			sum, _, err := s.d.DB.PutBlob(p.Data.Reader())
			if err != nil {
				return err
			}
			fr.Blob = sum
		}
		if o := f.marks[p]; o != nil {
			fr.MarkID, fr.Marked, fr.Blob = store.MarkIDString(o.MarkID), o.MarkSHA256, o.OrigSHA256
		}
		e.Files = append(e.Files, fr)
	}
	if f.Body.Problem != "" { // unparsed body: keep it whole
		fr := store.FileRecord{Name: "(request body)", Size: f.Body.Raw.Size(), SHA256: f.Body.Raw.SHA256()}
		if keep {
			sum, _, err := s.d.DB.PutBlob(f.Body.Raw.Reader())
			if err != nil {
				return err
			}
			fr.Blob = sum
		}
		e.Files = append(e.Files, fr)
	}
	for _, m := range f.Messages {
		e.Files = append(e.Files, store.FileRecord{Name: "(message)", Size: m.Size, SHA256: m.SHA256, Type: "text", Findings: summarize(m)})
	}
	if f.Grant != nil {
		e.RequestID = f.Grant.RequestID
		e.Extra = map[string]string{"grant": f.Grant.ID, "approval": f.Grant.RequestID}
	}
	if err := s.d.DB.AppendEvent(e); err != nil {
		return err
	}
	f.Event = e
	for _, o := range f.Outbound {
		o.EventID = e.ID
		if err := s.d.DB.PutOutbound(o); err != nil {
			return err
		}
	}
	return nil
}

// summarize turns findings into short masked strings for the audit record.
func summarize(r *inspect.Result) []string {
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

// holdStep answers a held upload with the request form link and tells the extension.
type holdStep struct{ d *Daemon }

func (holdStep) Hook() string { return HookRespond }
func (s holdStep) Run(f *Flow) error {
	if f.Decision.Verdict != policy.Approval {
		return nil
	}
	resp, ref := s.d.refuse(f, "held_for_approval")
	f.Response = resp
	s.d.notify(f.User.Name, Notice{Type: "held", EventID: ref.EventID, Destination: ref.Destination, Files: ref.Files, Reasons: ref.Reasons, FormURL: ref.FormURL})
	return nil
}

// blockStep refuses a blocked upload, tells the extension and alerts managers.
type blockStep struct{ d *Daemon }

func (blockStep) Hook() string { return HookRespond }
func (s blockStep) Run(f *Flow) error {
	if f.Decision.Verdict != policy.Block {
		return nil
	}
	resp, ref := s.d.refuse(f, "blocked_by_sluice")
	f.Response = resp
	s.d.notify(f.User.Name, Notice{Type: "blocked", EventID: ref.EventID, Destination: ref.Destination, Files: ref.Files, Reasons: ref.Reasons})
	s.d.alert(AlertInfo{Kind: "block", User: f.User.Name, DisplayName: f.User.Label(), Destination: ref.Destination, Files: ref.Files, Reasons: f.Decision.Texts("zh-CN"), EventID: ref.EventID})
	return nil
}

// forwardStep hands the (possibly rewritten) body back to the request for upstream.
type forwardStep struct{ d *Daemon }

func (forwardStep) Hook() string { return HookForward }
func (s forwardStep) Run(f *Flow) error {
	out := f.Body.Raw
	if len(f.Replace) > 0 {
		nb, err := f.Body.Rewrite(f.Replace)
		if err != nil {
			return fmt.Errorf("rewriting the upload: %w", err)
		}
		out = nb
		f.extra = append(f.extra, nb)
	}
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
	b.f.close()
	return nil
}

// failClosed answers a flow whose step failed: nothing is forwarded, the failure is audited.
func (d *Daemon) failClosed(f *Flow, step Step, err error) {
	d.log.Error("upload pipeline failed; request stopped", "step", step.Hook(), "host", f.Dest.Host, "user", f.User.Name, "err", err)
	f.Decision = policy.Decision{Verdict: policy.Block, Reasons: []policy.Reason{{Code: "error",
		ZH: "Sluice 处理失败：" + err.Error(), EN: "Sluice failed: " + err.Error()}}}
	if f.Event == nil {
		e := &store.Event{Action: "upload", User: f.User.Name, Host: f.Dest.Host, Category: string(f.Dest.Category),
			Method: f.Req.Method, Path: f.Req.URL.Path, Verdict: "error", Reasons: f.Decision.Texts("zh-CN")}
		if aerr := d.DB.AppendEvent(e); aerr == nil {
			f.Event = e
		}
	}
	resp, _ := d.refuse(f, "sluice_error")
	resp.StatusCode, resp.Status = http.StatusBadGateway, http.StatusText(http.StatusBadGateway)
	f.Response = resp
}

// close releases the flow's temp files.
func (f *Flow) close() {
	if f.Body != nil {
		f.Body.Close()
	}
	for _, s := range f.extra {
		s.Close()
	}
	f.extra = nil
}
