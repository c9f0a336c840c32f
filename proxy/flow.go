package proxy

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/proxy/upload"
	"github.com/sluice-dlp/sluice/store"
)

// Flow is one intercepted request travelling through the pipeline, like a mitmproxy flow.
type Flow struct {
	Ctx      context.Context
	Req      *http.Request
	User     *store.User
	Dest     policy.Destination
	Body     *upload.Body      // set at HookParts
	Files    []*upload.Part    // file parts, parallel to Results
	Results  []*inspect.Result // set at HookInspect
	Messages []*inspect.Result // text fields / messages
	// Integrity is set when the upload declares the original's hash or size (cannot be rewritten).
	Integrity bool
	Decision  policy.Decision
	Grant     *store.Grant
	Event     *store.Event
	// Replace holds marked content for file parts, applied when the request is forwarded.
	Replace map[*upload.Part][]byte
	// Outbound records to archive once the event id is known (one per file that leaves).
	Outbound []*store.Outbound
	// Response, when set by a step, is sent to the browser instead of forwarding the request.
	Response *http.Response
	Started  time.Time
	extra    []*upload.Spool // rewritten bodies to release with the flow
	marks    map[*uploadPart]*store.Outbound
}

// uploadPart is a short name for the upload package's part type.
type uploadPart = upload.Part

// Named hooks, in the order the pipeline visits them.
const (
	HookParts   = "parts"   // body read and split into parts
	HookInspect = "inspect" // each part scanned
	HookDecide  = "decide"  // policy verdict
	HookEnforce = "enforce" // grants and watermarks may change the verdict or the content
	HookRecord  = "record"  // audit event and outbound archive written
	HookRespond = "respond" // held or blocked: answer the browser, notify, alert
	HookForward = "forward" // allowed: request body prepared for upstream
)

// Step is one pipeline addon: it sees the flow at its hook and may set f.Response to stop it.
type Step interface {
	Hook() string
	Run(f *Flow) error
}

// Pipeline runs steps in hook order.
type Pipeline struct {
	steps  []Step
	log    *slog.Logger
	onFail func(f *Flow, step Step, err error)
}

var hookOrder = map[string]int{HookParts: 0, HookInspect: 1, HookDecide: 2, HookEnforce: 3, HookRecord: 4, HookRespond: 5, HookForward: 6}

// Add appends steps, keeping them sorted by hook (stable within a hook).
func (p *Pipeline) Add(steps ...Step) {
	for _, s := range steps {
		i := len(p.steps)
		for i > 0 && hookOrder[p.steps[i-1].Hook()] > hookOrder[s.Hook()] {
			i--
		}
		p.steps = append(p.steps[:i], append([]Step{s}, p.steps[i:]...)...)
	}
}

// Run passes f through every step until one answers the browser (f.Response). A step error or
// panic fails closed through onFail: the request is never forwarded.
func (p *Pipeline) Run(f *Flow) {
	for _, s := range p.steps {
		if err := p.runStep(s, f); err != nil {
			f.Response = nil
			p.onFail(f, s, err)
			return
		}
		if f.Response != nil {
			return
		}
	}
}

// runStep runs one step and turns its panic into an error: goproxy serves intercepted connections
// in goroutines without recovery, so a panic would stop the daemon.
func (p *Pipeline) runStep(s Step, f *Flow) (err error) {
	defer func() {
		if r := recover(); r != nil {
			p.log.Error("panic in a pipeline step; request stopped", "hook", s.Hook(), "step", fmt.Sprintf("%T", s),
				"panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	return s.Run(f)
}
