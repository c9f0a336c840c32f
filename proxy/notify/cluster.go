package notify

import (
	"encoding/json"
	"strconv"

	"github.com/sluice-dlp/sluice/store"
)

// Cross-node delivery: with a shared (PostgreSQL) store, a notice is stored with a company-wide id
// handed out in commit order, and every node is signalled; each node hands it to the extensions
// connected to it. A reconnecting extension replays with since= from the store, whichever node it
// reaches, so nothing decided on one node is missed on another.

// shared reports whether notices go through the store.
func (h *Hub) shared() bool { return h.db != nil && h.db.Shared() }

// follow subscribes the hub to the notices stored by every node.
func (h *Hub) follow() {
	h.db.Subscribe(func(s store.Signal) {
		if s.Kind != store.SignalNotice {
			return
		}
		id, err := strconv.ParseUint(s.Data, 10, 64)
		if err != nil {
			return
		}
		user, data, err := h.db.Notice(id)
		var n Notice
		if err != nil || json.Unmarshal(data, &n) != nil {
			return
		}
		h.deliver(user, n)
	})
}

// publish stores n for user under the next company-wide id; every node (this one included) delivers it
// when the signal arrives.
func (h *Hub) publish(user string, n Notice) error {
	_, err := h.db.AddNotice(user, func(id uint64) ([]byte, error) {
		n.ID = id
		return json.Marshal(n)
	})
	return err
}

// storedSince returns user's stored notices after since (at most the replay backlog).
func (h *Hub) storedSince(user string, since uint64) []Notice {
	raw, err := h.db.NoticesSince(user, since, backlogPerUser)
	if err != nil {
		return nil
	}
	out := make([]Notice, 0, len(raw))
	for _, data := range raw {
		var n Notice
		if json.Unmarshal(data, &n) == nil {
			out = append(out, n)
		}
	}
	return out
}
