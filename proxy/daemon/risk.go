package daemon

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/proxy/risk"
	"github.com/sluice-dlp/sluice/store"
)

// startRisk builds the early-warning engine from the audit log of the baseline period (and the alerts
// already sent in it, so a restart does not report anyone twice).
func (d *Daemon) startRisk() error {
	depts := &deptCache{db: d.DB, m: map[string]deptEntry{}}
	d.Risk = risk.New(d.Policy.Risk, depts.of)
	s := d.Policy.Risk
	since := d.now().Add(-s.Window() - time.Duration(s.BaselineDays)*24*time.Hour)
	head, err := d.DB.Head()
	if err != nil {
		return err
	}
	d.riskFeed = riskFeed{shared: d.DB.Shared(), seen: head.ID} // later events: observe, followRisk
	evs, err := d.DB.Events(store.EventFilter{Since: since, Limit: 10_000_000})
	if err != nil {
		return err
	}
	for i := len(evs) - 1; i >= 0; i-- { // oldest first
		if evs[i].ID > head.ID {
			continue
		}
		switch e := evs[i]; e.Action {
		case "upload", "message":
			d.Risk.Observe(e.User, e)
		case "risk.alert":
			d.Risk.Alerted(e.Extra["target"], e.Time)
		}
	}
	return nil
}

// observe feeds a recorded upload to the engine and, when the rep's activity crosses a threshold for the
// first time in the window, records it and alerts their lead and head with the counts.
func (d *Daemon) observe(u *store.User, e *store.Event) {
	if d.riskFeed.ownEvent(e.ID) {
		d.Risk.Observe(u.Name, e)
	}
	st, alert := d.Risk.Check(u.Name, e.Time)
	if !alert {
		return
	}
	zh, en := st.Reasons()
	var to []string
	for _, name := range []string{u.Lead, u.Head} {
		if p, err := d.DB.User(name); err == nil {
			to = append(to, p.Label())
		}
	}
	ev := &store.Event{Time: e.Time, Action: "risk.alert", User: "sluice", Reasons: zh,
		Extra: map[string]string{"target": u.Name, "reasons_en": strings.Join(en, "; "), "to": strings.Join(to, ","), "trigger": itoa(e.ID)}}
	if err := d.DB.AppendEvent(ev); err != nil {
		d.log.Error("cannot record a risk alert", "user", u.Name, "err", err)
	}
	d.log.Warn("early warning: unusual activity", "user", u.Name, "reasons", strings.Join(en, "; "))
	d.Alert(api.Alert{Kind: "risk", User: u.Name, DisplayName: u.Label(), Reasons: zh, EventID: ev.ID, Time: e.Time,
		ConsoleURL: d.ConsoleURL() + "/risk", To: to})
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// deptCache names users' departments for the department baseline, re-reading each every few minutes.
type deptCache struct {
	db *store.DB
	mu sync.Mutex
	m  map[string]deptEntry
}

type deptEntry struct {
	dept string
	at   time.Time
}

func (c *deptCache) of(user string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[user]; ok && time.Since(e.at) < 5*time.Minute {
		return e.dept
	}
	dept := ""
	if u, err := c.db.User(user); err == nil {
		dept = u.Department
	}
	c.m[user] = deptEntry{dept: dept, at: time.Now()}
	return dept
}

// recent says what user's uploads that left since since carried, for the split-list check.
func (d *Daemon) recent(user string, since time.Time) *policy.Recent {
	contacts, ids := d.Risk.Recent(user, since)
	if contacts == 0 && len(ids) == 0 {
		return nil
	}
	return &policy.Recent{ContactRecords: contacts, Customers: ids}
}
