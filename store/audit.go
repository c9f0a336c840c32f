package store

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
)

// FileRecord describes one file or part seen in an upload.
type FileRecord struct {
	Name     string   `json:"name"`
	Size     int64    `json:"size"`
	SHA256   string   `json:"sha256"`
	Type     string   `json:"type,omitempty"`
	Findings []string `json:"findings,omitempty"` // masked summary, e.g. "phone×12"
	Blob     string   `json:"blob,omitempty"`     // sha256 of the kept original in the blob area
	MarkID   string   `json:"mark_id,omitempty"`  // set when the file left with a watermark
	Marked   string   `json:"marked_sha256,omitempty"`
	Kind     string   `json:"kind,omitempty"` // "message" for an upload's text fields; "" for a file
	// Customers are the customer-list entries the file carried (EncodeCustomers), for "who sent these customers".
	Customers string `json:"customers,omitempty"`
	// Unarchived says why the original was not kept (over the archive quota); SHA256 and Size still name it.
	Unarchived string `json:"unarchived,omitempty"`
}

// FileKindMessage marks the file record of an upload's text fields (a chat message, a mail body).
const FileKindMessage = "message"

// Event is one audit record; events are chained by a keyed MAC so edits and deletions are detectable.
type Event struct {
	ID        uint64            `json:"id"`
	Time      time.Time         `json:"time"`
	Action    string            `json:"action"` // upload, message, approval.request, approval.approve, grant.use, ...
	User      string            `json:"user"`
	Host      string            `json:"host,omitempty"`
	Category  string            `json:"category,omitempty"`
	Method    string            `json:"method,omitempty"`
	Path      string            `json:"path,omitempty"`
	Files     []FileRecord      `json:"files,omitempty"`
	Verdict   string            `json:"verdict,omitempty"`
	Reasons   []string          `json:"reasons,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
	Extra     map[string]string `json:"extra,omitempty"`
	Prev      string            `json:"prev"`
	Hash      string            `json:"hash"`
}

// AppendEvent assigns the event its id, time (if unset) and chain MAC, and stores it; concurrent
// appends may share one transaction (batch.go).
func (db *DB) AppendEvent(e *Event) error {
	return db.batched(func(tx Tx) error { return db.appendEventTx(tx, e) })
}

// Event loads one audit event by id.
func (db *DB) Event(id uint64) (*Event, error) {
	var e Event
	err := db.view(func(tx Tx) error {
		data, err := tx.Event(id)
		return getJSON(data, err, &e)
	})
	if err != nil {
		return nil, l10n.Errorf(l10n.NotFound, "没有编号为 %d 的事件", "no event %d", id)
	}
	return &e, nil
}

// EventFilter selects audit events; zero fields match everything.
type EventFilter struct {
	User     string
	Verdict  string
	Action   string // prefix match
	Host     string // substring match on host
	Category string
	Since    time.Time
	Until    time.Time
	Text     string // substring of a file name or sha256
	Limit    int    // newest first; 0 = 100
}

func (f *EventFilter) match(e *Event) bool {
	switch {
	case f.User != "" && e.User != f.User,
		f.Verdict != "" && e.Verdict != f.Verdict,
		f.Action != "" && !strings.HasPrefix(e.Action, f.Action),
		f.Host != "" && !strings.Contains(e.Host, f.Host),
		f.Category != "" && e.Category != f.Category,
		!f.Since.IsZero() && e.Time.Before(f.Since),
		!f.Until.IsZero() && e.Time.After(f.Until):
		return false
	}
	if f.Text != "" {
		for _, fr := range e.Files {
			if strings.Contains(strings.ToLower(fr.Name), strings.ToLower(f.Text)) || strings.HasPrefix(fr.SHA256, strings.ToLower(f.Text)) || fr.MarkID == f.Text {
				return true
			}
		}
		return false
	}
	return true
}

// Events returns the events matching f, newest first.
func (db *DB) Events(f EventFilter) ([]*Event, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	var out []*Event
	err := db.view(func(tx Tx) error {
		return tx.ScanEvents(0, true, func(id uint64, v []byte) (bool, error) {
			var e Event
			if err := json.Unmarshal(v, &e); err != nil {
				return false, l10n.Wrap(err, l10n.Internal, "审计记录 %d 无法读取", "audit record %d is unreadable", id)
			}
			if f.match(&e) {
				out = append(out, &e)
			}
			return len(out) < limit, nil
		})
	})
	return out, err
}

// AuditAdmin records an administrative change (customer list import, fingerprint added, …) in the audit chain.
func (db *DB) AuditAdmin(actor, action string, extra map[string]string) error {
	return db.AppendEvent(&Event{Action: action, User: actor, Extra: extra})
}

// EventsAfter returns up to limit events with ids above id, oldest first (a node following what the
// others record).
func (db *DB) EventsAfter(id uint64, limit int) ([]*Event, error) {
	var out []*Event
	err := db.view(func(tx Tx) error {
		return tx.ScanEvents(id+1, false, func(id uint64, v []byte) (bool, error) {
			var e Event
			if err := json.Unmarshal(v, &e); err != nil {
				return false, l10n.Wrap(err, l10n.Internal, "审计记录 %d 无法读取", "audit record %d is unreadable", id)
			}
			out = append(out, &e)
			return len(out) < limit, nil
		})
	})
	return out, err
}
