// Package pipeline judges one intercepted request that may carry an upload: it splits the body into
// parts, inspects them, asks the policy, applies grants and watermarks, answers refusals and, once the
// outcome is known, writes one audit event. Each hook is a Step that depends only on Deps, so a step can
// be tested with a constructed Flow, the way mitmproxy tests an addon.
package pipeline

import (
	"context"
	"fmt"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/proxy/upload"
	"github.com/sluice-dlp/sluice/store"
)

// File is everything the pipeline learns about one file or message of an upload.
type File struct {
	Part     *upload.Part    // where its bytes are; a declared-by-hash file has a part holding the declaration
	Name     string          // the name it was sent under
	Message  bool            // the upload's text fields (a chat message, a mail body), not a file
	Declared bool            // known only by the hashes the upload declared (a netdisk "rapid upload")
	Result   *inspect.Result // what inspection found
	Grant    *store.Grant    // the approval grant that released it
	Marked   []byte          // its watermarked replacement
	Out      *store.Outbound // its outbound archive record, saved once it has left
	Blob     string          // sha256 of its kept original (held files)
}

// Outcome is what finally happened to a flow.
type Outcome struct {
	Refused    bool  // Sluice answered the browser itself (held or blocked)
	Status     int   // upstream status when forwarded
	Err        error // the upstream could not be reached, or a step failed
	Forwarding bool  // the request was handed to the upstream
}

// Flow is one intercepted request travelling through the pipeline.
type Flow struct {
	Ctx       context.Context
	Req       *http.Request
	User      *store.User
	Dest      policy.Destination
	Body      *upload.Body // set at HookParts
	Files     []*File      // files first, then the message, in body order
	Integrity bool         // the upload declares the original's hash or size (cannot be rewritten)
	Decision  policy.Decision
	Event     *store.Event // the audit event, once recorded
	Outcome   Outcome
	// Response, when set by a step, is sent to the browser instead of forwarding the request.
	Response *http.Response
	// Held is set when the request was a slice of a file that is not whole yet: Response is the
	// service's answer given in its place, and nothing is recorded until the file completes.
	Held bool
	// Replay holds the earlier slices of a file this request completed: they reach the site first.
	Replay *upload.Replay
	// Forward is the body prepared for the site (the front may swap in the site's own values after a replay).
	Forward   *upload.Spool
	Started   time.Time
	extra     []*upload.Spool // rewritten bodies to release with the flow
	assembled *upload.Assembled
}

// FilesOnly returns the flow's files, without the message.
func (f *Flow) FilesOnly() []*File {
	var out []*File
	for _, x := range f.Files {
		if !x.Message {
			out = append(out, x)
		}
	}
	return out
}

// Grants returns the grants that released the flow's files.
func (f *Flow) Grants() []*store.Grant {
	var out []*store.Grant
	seen := map[string]bool{}
	for _, x := range f.Files {
		if x.Grant != nil && !seen[x.Grant.ID] {
			seen[x.Grant.ID] = true
			out = append(out, x.Grant)
		}
	}
	return out
}

// Hook is a point in a flow's life; steps run in hook order.
type Hook int

// The hooks, in the order the pipeline visits them.
const (
	HookParts   Hook = iota // body read and split into parts
	HookInspect             // each part scanned
	HookDecide              // policy verdict
	HookEnforce             // grants and watermarks may change the verdict or the content
	HookRespond             // held or blocked: the audit event is recorded and the browser answered
	HookForward             // allowed: the request body is prepared for the upstream
	HookRecord              // after the upstream answered (or failed): the audit event is recorded
)

var hookNames = [...]string{"parts", "inspect", "decide", "enforce", "respond", "forward", "record"}

// String names the hook.
func (h Hook) String() string {
	if h >= 0 && int(h) < len(hookNames) {
		return hookNames[h]
	}
	return fmt.Sprintf("hook(%d)", int(h))
}

// Step is one pipeline addon: it sees the flow at its hook and may set f.Response to stop it.
type Step interface {
	Hook() Hook
	Run(f *Flow) error
}

// Pipeline runs steps in hook order.
type Pipeline struct {
	deps  *Deps
	steps []Step
}

// New returns a pipeline with the default steps.
func New(d *Deps) *Pipeline {
	p := &Pipeline{deps: d}
	p.Add(partsStep{d}, sliceStep{d}, inspectStep{d}, decideStep{d}, grantStep{d}, watermarkStep{d},
		refuseStep{d}, forwardStep{d}, recordStep{d})
	return p
}

// Add inserts steps, keeping them sorted by hook (stable within a hook).
func (p *Pipeline) Add(steps ...Step) {
	for _, s := range steps {
		i := len(p.steps)
		for i > 0 && p.steps[i-1].Hook() > s.Hook() {
			i--
		}
		p.steps = append(p.steps[:i], append([]Step{s}, p.steps[i:]...)...)
	}
}

// Run passes f through every step up to forwarding. It returns with f.Response set when Sluice answers
// the browser itself (held, blocked, or a failed step: nothing is forwarded then), else with f.Req ready
// for the upstream; the caller reports the upstream's answer with Finish.
func (p *Pipeline) Run(f *Flow) {
	for _, s := range p.steps {
		if s.Hook() == HookRecord {
			break
		}
		if err := p.runStep(s, f); err != nil {
			p.failClosed(f, s, err)
			return
		}
		if f.Response != nil {
			f.Outcome.Refused = !f.Held
			return
		}
	}
	f.Outcome.Forwarding = true
}

// Finish records what the upstream did with a forwarded flow: its answer, or the error that stopped it.
func (p *Pipeline) Finish(f *Flow, resp *http.Response, err error) {
	if resp != nil {
		f.Outcome.Status = resp.StatusCode
	}
	f.Outcome.Err = err
	for _, s := range p.steps {
		if s.Hook() != HookRecord {
			continue
		}
		if err := p.runStep(s, f); err != nil {
			p.deps.Log.Error("the upload left but its audit record could not be written", "host", f.Dest.Host, "user", f.User.Name, "err", err)
		}
	}
}

// runStep runs one step and turns its panic into an error: goproxy serves intercepted connections
// in goroutines without recovery, so a panic would stop the daemon.
func (p *Pipeline) runStep(s Step, f *Flow) (err error) {
	defer func() {
		if r := recover(); r != nil {
			p.deps.Log.Error("panic in a pipeline step; request stopped", "hook", s.Hook(), "step", fmt.Sprintf("%T", s),
				"panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	return s.Run(f)
}

// Close releases the flow's temp files.
func (f *Flow) Close() {
	if f.Body != nil {
		f.Body.Close()
	}
	for _, s := range f.extra {
		s.Close()
	}
	f.extra = nil
	if f.assembled != nil {
		f.assembled.Close()
		f.assembled = nil
	}
}
