package daemon

import (
	"sync"
	"time"
)

// Several nodes on one store: each node's early-warning engine also learns what the others record, so
// a rep's activity counts whichever node carried it, a list sent in pieces through two nodes is still
// one list, and an alert one node sent is not sent again by another. A node feeds its own uploads to
// the engine at once (observe) and reads the others' from the audit log every followEvery.

// followEvery is how often a node reads the events the other nodes recorded.
const followEvery = time.Second

// riskFeed makes sure each event reaches the engine once: own uploads at once, the rest when the
// follower passes them.
type riskFeed struct {
	mu     sync.Mutex
	shared bool            // the store is shared: follow the others
	seen   uint64          // the follower has fed every event up to this id
	own    map[uint64]bool // own events above seen already fed
}

// ownEvent says whether to feed an event this node just recorded: not when the follower already passed it.
func (f *riskFeed) ownEvent(id uint64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.shared {
		return true
	}
	if id <= f.seen {
		return false
	}
	if f.own == nil {
		f.own = map[uint64]bool{}
	}
	f.own[id] = true
	return true
}

// followRisk starts the follower on a shared store.
func (d *Daemon) followRisk() {
	if !d.riskFeed.shared {
		return
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		tick := time.NewTicker(followEvery)
		defer tick.Stop()
		for {
			select {
			case <-d.stop:
				return
			case <-tick.C:
				if err := d.followOnce(); err != nil {
					d.log.Warn("cannot read the other nodes' events for the early warning; trying again", "err", err)
				}
			}
		}
	}()
}

// followOnce feeds the engine the events recorded since the last call that it has not had yet.
func (d *Daemon) followOnce() error {
	f := &d.riskFeed
	for {
		f.mu.Lock()
		from := f.seen
		f.mu.Unlock()
		evs, err := d.DB.EventsAfter(from, 1000)
		if err != nil || len(evs) == 0 {
			return err
		}
		f.mu.Lock()
		for _, e := range evs {
			if e.ID <= f.seen {
				continue
			}
			switch {
			case f.own[e.ID]:
				delete(f.own, e.ID)
			case e.Action == "upload" || e.Action == "message":
				d.Risk.Observe(e.User, e)
			case e.Action == "risk.alert":
				d.Risk.Alerted(e.Extra["target"], e.Time)
			}
			f.seen = e.ID
		}
		f.mu.Unlock()
	}
}
