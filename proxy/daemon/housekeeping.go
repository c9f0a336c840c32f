package daemon

import (
	"time"
)

// housekeeping runs periodic work: approval expiry every minute, archive retention daily.
func (d *Daemon) housekeeping() {
	defer d.wg.Done()
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	lastPrune := time.Time{}
	for {
		select {
		case <-d.stop:
			return
		case <-tick.C:
			d.Sweep()
			if n, held := d.Sessions.Sweep(); n > 0 {
				d.log.Debug("upload sessions waiting for slices", "sessions", n, "bytes", held)
			}
			now := d.now()
			if now.Sub(lastPrune) > 24*time.Hour {
				lastPrune = now
				if n, err := d.DB.PruneBlobs(d.Policy.Retention()); err != nil {
					d.log.Warn("archive retention failed", "err", err)
				} else if n > 0 {
					d.log.Info("archive retention removed old blobs", "count", n)
				}
			}
		}
	}
}

// Sweep expires undecided approval requests past their deadline and tells their requesters.
func (d *Daemon) Sweep() {
	if err := d.Ops.ExpireRequests(); err != nil {
		d.log.Error("approval expiry sweep failed", "err", err)
	}
}
