package pipeline

import (
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/internal/metrics"
	"log/slog"
	"time"

	"github.com/sluice-dlp/sluice/internal/ops"
	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/proxy/upload"
	"github.com/sluice-dlp/sluice/store"
	"github.com/sluice-dlp/sluice/watermark"
)

// Deps is everything the steps use: the daemon fills it, a test builds its own.
type Deps struct {
	Scanner    func() *inspect.Scanner // the inspection engine in use (rebuilt when the customer list changes)
	Policy     *policy.Policy
	DB         *store.DB
	Marker     *watermark.Marker
	Notifier   ops.Notifier     // the rep's extension and the managers' alerts (nil: nobody is told)
	Now        func() time.Time // the clock (tests move it to expire grants)
	ConsoleURL func() string    // where reps file requests
	Body       upload.Options   // how bodies are read: spool dir, thresholds, limits
	Sessions   *upload.Sessions // files sent in slices, held until whole (nil: slices are judged one by one)
	Metrics    *metrics.Metrics // counters and latencies (nil: off)
	// Recent, when set, says what a user's uploads that left since a time carried (a list sent in pieces).
	Recent func(user string, since time.Time) *policy.Recent
	// Observe, when set, is told every recorded upload or message with its user (early warning).
	Observe func(u *store.User, e *store.Event)
	// Work bounds how many flows inspect or watermark at once (their memory and CPU); the others wait
	// their turn on the disk spool. nil: no bound.
	Work chan struct{}
	Log  *slog.Logger
}

func (d *Deps) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// acquire waits for a turn to inspect or watermark; it gives up when the client has gone.
func (d *Deps) acquire(f *Flow) error {
	if d.Work == nil {
		return nil
	}
	select {
	case d.Work <- struct{}{}:
		return nil
	case <-f.Ctx.Done():
		return l10n.Wrap(f.Ctx.Err(), l10n.Unavailable, "客户端在检查开始前断开", "the client left before the upload was inspected")
	}
}

// release ends a turn taken by acquire.
func (d *Deps) release() {
	if d.Work != nil {
		<-d.Work
	}
}
