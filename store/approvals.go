package store

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
)

// Request statuses; approved, denied, expired and withdrawn are final.
const (
	StatusPending      = "pending"
	StatusLeadApproved = "lead_approved"
	StatusApproved     = "approved"
	StatusDenied       = "denied"
	StatusExpired      = "expired"
	StatusWithdrawn    = "withdrawn"
)

// Limits on what a requester may ask for, and how long an undecided request waits.
const (
	MaxRequestDays    = 90
	MaxRequestUses    = 100
	DefaultDecideTime = 72 * time.Hour
	maxRequestText    = 500
)

// ErrForbidden means the actor may not perform this step on this request.
var ErrForbidden = l10n.Sentinel(l10n.Forbidden)

// ErrConflict means the request is not in a state that allows this step.
var ErrConflict = l10n.Sentinel(l10n.Conflict)

// Request is one approval request for a held upload; its MAC is checked whenever it is read or acted on.
type Request struct {
	ID              string       `json:"id"` // "R-" + short random
	EventID         uint64       `json:"event_id"`
	Requester       string       `json:"requester"`
	Host            string       `json:"host"`
	Category        string       `json:"category"`
	Files           []FileRecord `json:"files"`
	FindingsSummary []string     `json:"findings_summary"`
	Receiver        string       `json:"receiver"` // 接收方身份
	Purpose         string       `json:"purpose"`  // 资料用途
	Days            int          `json:"days"`     // 使用期限, counted from final approval
	MaxUses         int          `json:"max_uses"`
	AnyHost         bool         `json:"any_host,omitempty"` // grant covers every host of Category, not just Host
	Status          string       `json:"status"`
	Lead            string       `json:"lead"` // who must approve, from the requester's record at filing time
	Head            string       `json:"head"`
	History         []Step       `json:"history"`
	Created         time.Time    `json:"created"`
	DecideBy        time.Time    `json:"decide_by"` // undecided after this → expired
	ApprovedAt      time.Time    `json:"approved_at,omitzero"`
	GrantID         string       `json:"grant_id,omitempty"`  // first grant
	GrantIDs        []string     `json:"grant_ids,omitempty"` // one grant per file
	MAC             string       `json:"mac,omitempty"`       // HMAC under the audit key over all the fields above
}

// Step is one transition in a request's history.
type Step struct {
	Actor      string    `json:"actor"`
	Action     string    `json:"action"` // request, approve, deny, withdraw, expire
	Time       time.Time `json:"time"`
	Comment    string    `json:"comment,omitempty"`
	Substitute bool      `json:"substitute,omitempty"` // an admin acted in place of the lead or head
	Stage      string    `json:"stage,omitempty"`      // lead or head, for approvals
}

// Final reports whether no further transition is possible.
func (r *Request) Final() bool {
	switch r.Status {
	case StatusApproved, StatusDenied, StatusExpired, StatusWithdrawn:
		return true
	}
	return false
}

// Stage returns which approval the request waits for: "lead", "head", or "" when final.
func (r *Request) Stage() string {
	switch r.Status {
	case StatusPending:
		return "lead"
	case StatusLeadApproved:
		return "head"
	}
	return ""
}

// Approver returns who is expected to act at the current stage.
func (r *Request) Approver() string {
	switch r.Stage() {
	case "lead":
		return r.Lead
	case "head":
		return r.Head
	}
	return ""
}

// ValidUntil returns when the grants of an approved request expire (zero before final approval).
func (r *Request) ValidUntil() time.Time {
	if r.ApprovedAt.IsZero() {
		return time.Time{}
	}
	return r.ApprovedAt.Add(time.Duration(r.Days) * 24 * time.Hour)
}

// leadActor returns who did the lead approval, or "".
func (r *Request) leadActor() string {
	for _, s := range r.History {
		if s.Action == "approve" && s.Stage == "lead" {
			return s.Actor
		}
	}
	return ""
}

// NewRequest is what a requester fills in when filing a request for a held event.
type NewRequest struct {
	EventID  uint64 `json:"event_id"`
	Receiver string `json:"receiver"`
	Purpose  string `json:"purpose"`
	Days     int    `json:"days"`
	MaxUses  int    `json:"max_uses"`
	AnyHost  bool   `json:"any_host,omitempty"` // ask for every host of the destination's category
}

// Validate checks the requester's fields and applies the default of one use.
func (n *NewRequest) Validate() error {
	n.Receiver, n.Purpose = strings.TrimSpace(n.Receiver), strings.TrimSpace(n.Purpose)
	if n.MaxUses == 0 {
		n.MaxUses = 1
	}
	switch {
	case n.EventID == 0:
		return l10n.New(l10n.Invalid, "缺少事件编号；请使用拦截页面或通知中的编号", "event_id is missing; use the id from the block page or notice")
	case n.Receiver == "" || len(n.Receiver) > maxRequestText:
		return l10n.Errorf(l10n.Invalid, "请填写接收方身份（最多 %d 字节）", "receiver (接收方身份) is required, at most %d bytes", maxRequestText)
	case n.Purpose == "" || len(n.Purpose) > maxRequestText:
		return l10n.Errorf(l10n.Invalid, "请填写资料用途（最多 %d 字节）", "purpose (资料用途) is required, at most %d bytes", maxRequestText)
	case n.Days < 1 || n.Days > MaxRequestDays:
		return l10n.Errorf(l10n.Invalid, "使用期限必须在 1 到 %d 天之间", "days (使用期限) must be between 1 and %d", MaxRequestDays)
	case n.MaxUses < 1 || n.MaxUses > MaxRequestUses:
		return l10n.Errorf(l10n.Invalid, "可发送次数必须在 1 到 %d 之间", "max_uses must be between 1 and %d", MaxRequestUses)
	}
	return nil
}

// ErrInvalid means the caller sent a malformed or out-of-range value.
var ErrInvalid = l10n.Sentinel(l10n.Invalid)

func newRequestID() (string, error) {
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "R-" + base32.StdEncoding.EncodeToString(b[:]), nil
}

// FileRequest creates a pending request for a held (approval-verdict) event of requester,
// records it in the audit chain in the same transaction, and returns it.
func (db *DB) FileRequest(requester string, n NewRequest, now time.Time) (*Request, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	now = now.UTC()
	var req *Request
	err := db.update(func(tx Tx) error {
		var ev Event
		data, err := tx.Event(n.EventID)
		if err != nil {
			return err
		}
		if err := unmarshal(data, &ev); err != nil {
			return l10n.Errorf(l10n.NotFound, "没有编号为 %d 的事件", "no event %d", n.EventID)
		}
		if ev.User != requester {
			return l10n.Errorf(l10n.Forbidden, "事件 %d 属于其他用户，只有 %s 本人可以申请", "event %d belongs to another user; only %s can request it", n.EventID, ev.User)
		}
		if ev.Verdict != "approval" || len(ev.Files) == 0 {
			return l10n.Errorf(l10n.Conflict, "事件 %d 并未被暂扣待审批（结论 %q）", "event %d was not held for approval (verdict %q)", n.EventID, ev.Verdict)
		}
		var u User
		if data, err := tx.User(requester); err != nil {
			return err
		} else if unmarshal(data, &u) != nil {
			return noUser(requester)
		}
		old, err := tx.RequestForEvent(n.EventID)
		if err != nil {
			return err
		}
		if old != "" {
			return l10n.Errorf(l10n.Conflict, "事件 %d 已有申请 %s", "event %d already has request %s", n.EventID, old)
		}
		id, err := newRequestID()
		if err != nil {
			return err
		}
		req = &Request{ID: id, EventID: ev.ID, Requester: requester, Host: ev.Host, Category: ev.Category,
			Files: ev.Files, FindingsSummary: summarize(&ev), Receiver: n.Receiver, Purpose: n.Purpose,
			Days: n.Days, MaxUses: n.MaxUses, AnyHost: n.AnyHost && ev.Category != "", Status: StatusPending, Lead: u.Lead, Head: u.Head,
			Created: now, DecideBy: now.Add(DefaultDecideTime),
			History: []Step{{Actor: requester, Action: "request", Time: now}}}
		if err := db.putRequest(tx, req); err != nil {
			return err
		}
		return db.appendEventTx(tx, &Event{Time: now, Action: "approval.request", User: requester, Host: ev.Host,
			Category: ev.Category, Files: ev.Files, Verdict: "approval", RequestID: id,
			Extra: map[string]string{"event": strconv.FormatUint(ev.ID, 10), "receiver": n.Receiver,
				"purpose": n.Purpose, "days": strconv.Itoa(n.Days), "max_uses": strconv.Itoa(n.MaxUses),
				"lead": u.Lead, "head": u.Head, "any_host": strconv.FormatBool(req.AnyHost)}})
	})
	if err != nil {
		return nil, err
	}
	return req, nil
}

// summarize collects the masked findings and reasons of an event, without duplicates.
func summarize(ev *Event) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, f := range ev.Files {
		for _, s := range f.Findings {
			add(s)
		}
	}
	for _, s := range ev.Reasons {
		add(s)
	}
	return out
}

// Request loads one request by id, or returns ErrNotFound (ErrTampered for a forged or edited one).
func (db *DB) Request(id string) (*Request, error) {
	var r Request
	err := db.view(func(tx Tx) error {
		data, err := tx.Request(id)
		return getJSON(data, err, &r)
	})
	if err != nil {
		if l10n.CodeOf(err) != l10n.NotFound {
			return nil, err
		}
		return nil, noRequest(id)
	}
	if !db.requestOK(&r) {
		db.reportRequest(&r)
		return nil, tamperedError("request", id)
	}
	return &r, nil
}

// noRequest is the error for a request id that is not in the store.
func noRequest(id string) error {
	return l10n.Errorf(l10n.NotFound, "没有申请 %s", "no request %s", id)
}

// RequestForEvent returns the request filed for an event, or ErrNotFound.
func (db *DB) RequestForEvent(eventID uint64) (*Request, error) {
	var id string
	if err := db.view(func(tx Tx) error {
		var err error
		id, err = tx.RequestForEvent(eventID)
		return err
	}); err != nil {
		return nil, err
	}
	if id == "" {
		return nil, ErrNotFound
	}
	return db.Request(id)
}

// RequestFilter selects requests; zero fields match everything.
type RequestFilter struct {
	Requester string
	Status    string
	Approver  string // waiting for this user as lead (pending) or head (lead_approved)
	Involves  string // this user is the requester, the lead, the head, or acted on it
	Limit     int    // newest first; 0 = 200
}

// involves reports whether user filed, must decide, or acted on r.
func (r *Request) involves(user string) bool {
	if r.Requester == user || r.Lead == user || r.Head == user {
		return true
	}
	for _, s := range r.History {
		if s.Actor == user {
			return true
		}
	}
	return false
}

// Requests returns the genuine requests matching f, newest first; forged or edited ones are left out
// and reported.
func (db *DB) Requests(f RequestFilter) ([]*Request, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 200
	}
	var out, forged []*Request
	err := db.view(func(tx Tx) error {
		out, forged = nil, nil
		return tx.ForEachRequest(func(k string, v []byte) error {
			var r Request
			if err := json.Unmarshal(v, &r); err != nil {
				return l10n.Wrap(err, l10n.Internal, "审批记录 %s 无法读取", "approval record %s is unreadable", k)
			}
			if !db.requestOK(&r) {
				forged = append(forged, &r)
				return nil
			}
			if f.Requester != "" && r.Requester != f.Requester || f.Status != "" && r.Status != f.Status ||
				f.Approver != "" && (r.Approver() != f.Approver || r.leadActor() == f.Approver) ||
				f.Involves != "" && !r.involves(f.Involves) {
				return nil
			}
			out = append(out, &r)
			return nil
		})
	})
	for _, r := range forged {
		db.reportRequest(r)
	}
	sortRequests(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, err
}
