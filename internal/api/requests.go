package api

import (
	"fmt"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/store"
)

// Request is an approval request as the API shows it: the stored record plus who it waits for.
type Request struct {
	*store.Request
	Stage      string `json:"stage,omitempty"`       // lead or head while undecided
	WaitingFor string `json:"waiting_for,omitempty"` // login name expected to act next
	URL        string `json:"url"`                   // console page of the request
	// Filled by the console's request routes (empty elsewhere): what people read about the request.
	WaitingForName string      `json:"waiting_for_name,omitempty"` // display name of WaitingFor
	Usage          *GrantUsage `json:"usage,omitempty"`            // once approved: sends used and left, end date
	Findings       []string    `json:"findings,omitempty"`         // per file in words ("客户.csv：手机号 60 个、…"), then the reasons
	FileWords      []FileWords `json:"file_words,omitempty"`       // the files with their findings in words
	Reviewers      []Reviewer  `json:"reviewers,omitempty"`        // lead and head, with display names
}

// GrantUsage says how much of an approval is left: the fewest sends left over its files' grants.
type GrantUsage struct {
	Uses     int       `json:"uses"`      // sends already made (the most over the request's grants)
	MaxUses  int       `json:"max_uses"`  // sends the approval allows
	UsesLeft int       `json:"uses_left"` // MaxUses - Uses, never below 0
	Expires  time.Time `json:"expires"`   // end of validity
	Expired  bool      `json:"expired,omitempty"`
}

// Reviewer is one person who approves a request, in order: the requester's lead, then the head.
type Reviewer struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name,omitempty"`
	Stage       string `json:"stage"` // lead | head
}

// PastApproval is an earlier approval of the same file that no longer covers it, so a refusal can say
// why the rep's retry was held again ("申请 R-… 已使用 1/1 次", "已于 … 过期").
type PastApproval struct {
	RequestID string    `json:"request_id"`
	State     string    `json:"state"` // used_up | expired
	Uses      int       `json:"uses"`
	MaxUses   int       `json:"max_uses"`
	Expires   time.Time `json:"expires"`
}

// Text says in lang why the earlier approval no longer covers the file.
func (p *PastApproval) Text(lang l10n.Lang) string {
	if p.State == "expired" {
		return lang.Pick(fmt.Sprintf("申请 %s 的批准已于 %s 过期", p.RequestID, p.Expires.Local().Format("2006-01-02 15:04")),
			fmt.Sprintf("the approval of request %s expired on %s", p.RequestID, p.Expires.Local().Format("2006-01-02 15:04")))
	}
	return lang.Pick(fmt.Sprintf("申请 %s 已使用 %d/%d 次", p.RequestID, p.Uses, p.MaxUses),
		fmt.Sprintf("request %s has been used %d of %d times", p.RequestID, p.Uses, p.MaxUses))
}

// Requests is the answer of GET /api/requests and GET /api/queue.
type Requests struct {
	Requests []Request `json:"requests"`
}

// RequestQuery selects requests: the caller's own, the ones waiting for the caller, or by status.
type RequestQuery struct {
	Mine   bool
	Queue  bool
	Status string
}

// Filed is the answer of POST /api/requests.
type Filed struct {
	RequestID string `json:"request_id"`
	Status    string `json:"status"`
	URL       string `json:"url"`
}

// Comment is the optional body of POST /api/requests/{id}/{action}.
type Comment struct {
	Comment string `json:"comment"`
}

// Notice is one message to a user's browser extension over the /ws WebSocket (docs/API.md).
type Notice struct {
	Type        string    `json:"type"` // blocked, held, approved, denied, expired
	ID          uint64    `json:"id"`
	EventID     uint64    `json:"event_id,omitempty"`
	RequestID   string    `json:"request_id,omitempty"`
	Destination string    `json:"destination,omitempty"`
	Files       []string  `json:"files,omitempty"`
	Reasons     []string  `json:"reasons,omitempty"`
	FormURL     string    `json:"form_url,omitempty"`
	Time        time.Time `json:"time"`
	// What a person reads, for held and blocked notices (all omitted when empty).
	Findings  []string               `json:"findings,omitempty"`  // per file, in words: "客户.csv：手机号 60 个、…"
	Reviewers []Reviewer             `json:"reviewers,omitempty"` // who approves, in order (held)
	Approval  *PastApproval          `json:"approval,omitempty"`  // an earlier approval that no longer covers the file (held)
	AgainURL  string                 `json:"again_url,omitempty"` // console form for a new request, filled from Approval's
	Texts     map[string]NoticeTexts `json:"texts,omitempty"`     // the human texts per language ("zh-CN", "en")
}

// NoticeTexts are a notice's human texts in one language; the extension shows the ones of its own language.
type NoticeTexts struct {
	Message  string   `json:"message,omitempty"`
	Reasons  []string `json:"reasons,omitempty"`
	Findings []string `json:"findings,omitempty"`
}

// Alert is one manager alert (an upload was blocked, or a request was filed), as webhooks receive it.
type Alert struct {
	Kind        string    `json:"kind"` // block | request
	User        string    `json:"user"`
	DisplayName string    `json:"display_name"`
	Destination string    `json:"destination"`
	Files       []string  `json:"files"`
	Reasons     []string  `json:"reasons"`
	EventID     uint64    `json:"event_id"`
	RequestID   string    `json:"request_id,omitempty"`
	Time        time.Time `json:"time"`
	ConsoleURL  string    `json:"console_url,omitempty"`
	To          []string  `json:"to,omitempty"` // the people it is for (a rep's lead and head), by name
}

// DepartureReport is the hand-over report of a leaving employee: everything they sent out, tried to send,
// or had held or blocked in the look-back window (GET /api/admin/report/departing/{name}).
type DepartureReport struct {
	User      User          `json:"user"`
	From      time.Time     `json:"from"`
	To        time.Time     `json:"to"`
	Sent      int           `json:"sent"`      // uploads and messages that left (allowed or watermarked)
	Held      int           `json:"held"`      // held for approval
	Blocked   int           `json:"blocked"`   // blocked
	Customers int           `json:"customers"` // distinct customer-list entries in everything above
	Events    []ReportEvent `json:"events"`    // oldest first
	Requests  []string      `json:"requests"`  // approval requests filed in the window
}

// ReportEvent is one upload or message in a report.
type ReportEvent struct {
	ID       uint64       `json:"id"`
	Time     time.Time    `json:"time"`
	Action   string       `json:"action"`
	Host     string       `json:"host"`
	Category string       `json:"category"`
	Verdict  string       `json:"verdict"`
	Reasons  []string     `json:"reasons,omitempty"`
	Approval string       `json:"approval,omitempty"`
	Files    []ReportFile `json:"files"`
}

// ReportFile is one file or message of a reported event, with its findings in words and a link to its archived copy.
type ReportFile struct {
	Name      string `json:"name"`
	Type      string `json:"type,omitempty"`
	Size      int64  `json:"size"`
	Findings  string `json:"findings,omitempty"`
	Customers int    `json:"customers,omitempty"`
	MarkID    string `json:"mark_id,omitempty"`
	Copy      string `json:"copy,omitempty"` // console link to the archived copy
}
