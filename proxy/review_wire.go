package proxy

import (
	"time"

	"github.com/sluice-dlp/sluice/proxy/review"
)

// wireReview mounts the reviewer console, the extension hub and manager alerts on the console mux
// and connects the pipeline's notices and alerts to them.
func (d *Daemon) wireReview() {
	var channels []review.AlertChannel
	for _, a := range d.Policy.Alerts {
		channels = append(channels, review.AlertChannel{Type: a.Type, URL: a.URL, Secret: a.Secret, On: a.On,
			SMTPAddr: a.SMTPAddr, SMTPUser: a.SMTPUser, SMTPPassword: a.SMTPPassword, From: a.From, To: a.To})
	}
	d.Alerter = review.NewAlerter(channels, d.log)
	d.Hub = review.NewHub(d.DB, d.Policy.ExtensionOrigins, d.cfg.AllowLoopbackWS)
	d.Review = review.NewServer(review.Config{DB: d.DB, Hub: d.Hub, Alerter: d.Alerter, BaseURL: d.ConsoleURL(),
		Logger: d.log, SecureCookies: d.cfg.SecureCookies})
	d.Review.Register(d.consoleMux)
	d.hooks.notify = func(user string, n Notice) {
		d.Hub.Notify(user, review.Notice{Type: n.Type, EventID: n.EventID, RequestID: n.RequestID, Destination: n.Destination,
			Files: n.Files, Reasons: n.Reasons, FormURL: n.FormURL, Time: time.Now().UTC()})
	}
	d.hooks.alert = func(a AlertInfo) {
		d.Alerter.Send(review.Alert{Kind: a.Kind, User: a.User, DisplayName: a.DisplayName, Destination: a.Destination,
			Files: a.Files, Reasons: a.Reasons, EventID: a.EventID, Time: time.Now().UTC(), ConsoleURL: d.ConsoleURL()})
	}
	d.hooks.closers = append(d.hooks.closers, d.Alerter.Close)
	d.hooks.minutely = append(d.hooks.minutely, func(now time.Time) { d.Review.ExpireSweep(now) })
}

func (d *Daemon) notify(user string, n Notice) {
	if d.hooks.notify != nil {
		d.hooks.notify(user, n)
	}
}

func (d *Daemon) alert(a AlertInfo) {
	if d.hooks.alert != nil {
		d.hooks.alert(a)
	}
}

// housekeeping runs periodic work: approval expiry every minute, blob retention daily.
func (d *Daemon) housekeeping() {
	defer d.wg.Done()
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	lastPrune := time.Time{}
	for {
		select {
		case <-d.stop:
			return
		case now := <-tick.C:
			for _, fn := range d.hooks.minutely {
				fn(now)
			}
			if now.Sub(lastPrune) > 24*time.Hour {
				lastPrune = now
				if n, err := d.DB.PruneBlobs(d.Policy.Retention()); err != nil {
					d.log.Warn("blob retention failed", "err", err)
				} else if n > 0 {
					d.log.Info("blob retention removed old archive blobs", "count", n)
				}
			}
		}
	}
}

func (d *Daemon) stopHousekeeping() {
	select {
	case <-d.stop:
	default:
		close(d.stop)
	}
}
