package api

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/store"
)

// User is a person as the API shows them: never a password hash.
type User struct {
	Name         string    `json:"name"`
	DisplayName  string    `json:"display_name"`
	StaffID      string    `json:"staff_id"`
	Department   string    `json:"department,omitempty"`
	Lead         string    `json:"lead,omitempty"`
	Head         string    `json:"head,omitempty"`
	Roles        []string  `json:"roles"`
	Disabled     bool      `json:"disabled,omitempty"`
	HasPassword  bool      `json:"has_password"`
	Created      time.Time `json:"created"`
	Departing    string    `json:"departing,omitempty"`     // leaving date (YYYY-MM-DD): the departing rules apply
	LookbackDays int       `json:"lookback_days,omitempty"` // days before it the hand-over report covers
}

// UserOf shows a stored user.
func UserOf(u *store.User) User {
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	return User{Name: u.Name, DisplayName: u.DisplayName, StaffID: u.StaffID, Department: u.Department, Lead: u.Lead,
		Head: u.Head, Roles: roles, Disabled: u.Disabled, HasPassword: u.PasswordHash != "", Created: u.Created,
		Departing: u.Departing, LookbackDays: u.LookbackDays}
}

// NewUser is the body of POST /api/admin/users: a user that must not exist yet.
type NewUser struct {
	User
	Password string `json:"password,omitempty"`
}

// UserChange is the body of PATCH /api/admin/users/{name}: only the fields given change.
type UserChange struct {
	DisplayName *string   `json:"display_name,omitempty"`
	StaffID     *string   `json:"staff_id,omitempty"`
	Department  *string   `json:"department,omitempty"`
	Lead        *string   `json:"lead,omitempty"`
	Head        *string   `json:"head,omitempty"`
	Roles       *[]string `json:"roles,omitempty"`
	Disabled    *bool     `json:"disabled,omitempty"`
	// Departing sets the leaving date (YYYY-MM-DD; "" ends departing mode); LookbackDays the report's window.
	Departing    *string `json:"departing,omitempty"`
	LookbackDays *int    `json:"lookback_days,omitempty"`
}

// Apply writes the given fields into u.
func (c UserChange) Apply(u *store.User) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&u.DisplayName, c.DisplayName)
	set(&u.StaffID, c.StaffID)
	set(&u.Department, c.Department)
	set(&u.Lead, c.Lead)
	set(&u.Head, c.Head)
	if c.Roles != nil {
		u.Roles = *c.Roles
	}
	if c.Disabled != nil {
		u.Disabled = *c.Disabled
	}
	set(&u.Departing, c.Departing)
	if c.LookbackDays != nil {
		u.LookbackDays = *c.LookbackDays
	}
	if u.Departing == "" {
		u.LookbackDays = 0
	} else if u.LookbackDays <= 0 {
		u.LookbackDays = 30
	}
}

// Password is the body of POST /api/admin/users/{name}/password.
type Password struct {
	Password string `json:"password"`
}

// Users is the answer of GET /api/admin/users.
type Users struct {
	Users []User `json:"users"`
}

// Token is the answer of POST /api/admin/users/{name}/token.
type Token struct {
	Token string `json:"token"`
}

// Revoked is the answer of DELETE /api/admin/users/{name}/tokens.
type Revoked struct {
	Revoked int `json:"revoked"`
}

// Events is the answer of GET /api/admin/audit.
type Events struct {
	Events []*store.Event `json:"events"`
}

// Verify is the answer of GET (or, with witnessed heads, POST) /api/admin/audit/verify and `sluice audit verify --json`.
type Verify struct {
	Records   int                  `json:"records"`
	OK        bool                 `json:"ok"`
	Problems  []store.ChainProblem `json:"problems"`
	Head      *store.ChainHead     `json:"head,omitempty"`      // the end of the chain now
	Witnessed int                  `json:"witnessed,omitempty"` // witnessed heads compared with the chain
}

// Witness is the body of POST /api/admin/audit/verify: heads a witness kept, to compare with the chain.
type Witness struct {
	Heads []store.ChainHead `json:"heads"`
}

// AuditValues encodes an audit filter as query parameters.
func AuditValues(f store.EventFilter) url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"user": f.User, "verdict": f.Verdict, "action": f.Action, "host": f.Host, "category": f.Category, "q": f.Text} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if !f.Since.IsZero() {
		q.Set("since", f.Since.Format(time.RFC3339))
	}
	if !f.Until.IsZero() {
		q.Set("until", f.Until.Format(time.RFC3339))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	return q
}

// AuditFilter decodes what AuditValues encoded.
func AuditFilter(q url.Values) (store.EventFilter, error) {
	f := store.EventFilter{User: q.Get("user"), Verdict: q.Get("verdict"), Host: q.Get("host"), Action: q.Get("action"),
		Category: q.Get("category"), Text: q.Get("q")}
	var err error
	if f.Since, err = ParseTime(q.Get("since"), false); err != nil {
		return f, err
	}
	if f.Until, err = ParseTime(q.Get("until"), true); err != nil {
		return f, err
	}
	if s := q.Get("limit"); s != "" {
		if f.Limit, err = strconv.Atoi(s); err != nil || f.Limit < 0 {
			return f, l10n.Errorf(l10n.Invalid, "limit=%q 不是正整数", "limit=%q is not a positive number", s)
		}
	}
	return f, nil
}

// ParseTime reads a date (local midnight, or the end of that day when end is set) or an RFC 3339 time; "" is zero.
func ParseTime(s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation("2006-01-02", s, time.Local)
	if err != nil {
		return t, l10n.Errorf(l10n.Invalid, "%q 不是 2026-11-22 这样的日期，也不是 2026-11-22T09:00:00+08:00 这样的时间",
			"%q is not a date like 2026-11-22 or a time like 2026-11-22T09:00:00+08:00", s)
	}
	if end {
		t = t.Add(24*time.Hour - time.Nanosecond)
	}
	return t, nil
}

// Cleared is the answer of POST /api/admin/customers/clear.
type Cleared struct {
	Cleared int `json:"cleared"`
}

// Fingerprints is the answer of GET /api/admin/fingerprints.
type Fingerprints struct {
	Fingerprints []store.Fingerprint `json:"fingerprints"`
}

// ScanRequest says what a scanned file would be decided for (the query of POST /api/admin/scan).
type ScanRequest struct {
	Name string // file name the upload would carry
	Dest string // destination URL or host; "" = every watched category
	User string // user the upload would come from
}

// Values encodes the request as query parameters.
func (s ScanRequest) Values() url.Values {
	return url.Values{"name": {s.Name}, "dest": {s.Dest}, "user": {s.User}}
}

// ScanReport is one scanned file in the shape `sluice scan --json` prints (DESIGN.md).
type ScanReport struct {
	File        string                     `json:"file"`
	Type        string                     `json:"type"`
	MIME        string                     `json:"mime"`
	Size        int64                      `json:"size"`
	SHA256      string                     `json:"sha256"`
	Findings    []inspect.Finding          `json:"findings"`
	Sensitive   bool                       `json:"sensitive"`
	Dest        *policy.Destination        `json:"dest,omitempty"`
	Verdict     policy.Verdict             `json:"verdict"`
	Verdicts    map[policy.Category]string `json:"verdicts,omitempty"`
	Reasons     []string                   `json:"reasons"`
	ReasonCodes []string                   `json:"reason_codes"`
	Excerpt     string                     `json:"excerpt,omitempty"`
	OCR         *inspect.OCRReport         `json:"ocr,omitempty"` // what was read from images, when any were met
}

// MarkRequest says whom a manual mark names and where the file is meant to go (the query of POST /api/admin/mark).
type MarkRequest struct {
	User string
	Dest string
	Name string
}

// Values encodes the request as query parameters.
func (m MarkRequest) Values() url.Values {
	return url.Values{"user": {m.User}, "dest": {m.Dest}, "name": {m.Name}}
}

// Marked describes a file marked by hand; the marked bytes travel beside it (the response body).
type Marked struct {
	MarkID   string `json:"mark_id"`
	Type     string `json:"type"`
	ResendOf string `json:"resend_of,omitempty"` // the mark the file already carried (it keeps it)
	Weak     bool   `json:"weak,omitempty"`      // the new mark could not be read back
}

// Trace is the answer of `sluice trace` and POST /api/admin/trace (DESIGN.md).
type Trace struct {
	Found       bool    `json:"found"`
	MarkID      string  `json:"mark_id,omitempty"`
	User        string  `json:"user,omitempty"`
	DisplayName string  `json:"display_name,omitempty"`
	StaffID     string  `json:"staff_id,omitempty"`
	Time        string  `json:"time,omitempty"`
	Destination string  `json:"destination,omitempty"`
	Category    string  `json:"category,omitempty"`
	FileName    string  `json:"file_name,omitempty"`
	Approval    string  `json:"approval,omitempty"`
	EventID     uint64  `json:"event_id,omitempty"`
	Confidence  float64 `json:"confidence"`
	Layer       string  `json:"layer,omitempty"`
	Note        string  `json:"note,omitempty"`
	// Resends are later sends of the same marked file (it kept its first mark), oldest first.
	Resends []Resend `json:"resends,omitempty"`
	// Provenance answers "who sent these customers" for a file without a mark: the uploads that carried
	// the most of the customer-list entries this file holds.
	Provenance *Provenance `json:"provenance,omitempty"`
}

// Resend is one later send of a file that already carried a mark.
type Resend struct {
	MarkID      string `json:"mark_id"`
	User        string `json:"user"`
	DisplayName string `json:"display_name,omitempty"`
	StaffID     string `json:"staff_id,omitempty"`
	Time        string `json:"time"`
	Destination string `json:"destination"`
	FileName    string `json:"file_name"`
	Approval    string `json:"approval,omitempty"`
	EventID     uint64 `json:"event_id"`
}

// Provenance ranks recorded uploads by how many of a file's customer-list entries each carried.
type Provenance struct {
	Customers int         `json:"customers"` // customer-list entries found in the file
	Matches   []Provenant `json:"matches"`   // best first; empty when no upload carried any of them
}

// Provenant is one recorded upload (sent, held or blocked) and its overlap with the file.
type Provenant struct {
	Overlap     int    `json:"overlap"` // entries of the file this upload carried
	Carried     int    `json:"carried"` // entries the upload carried in all
	EventID     uint64 `json:"event_id"`
	Time        string `json:"time"`
	User        string `json:"user"`
	DisplayName string `json:"display_name,omitempty"`
	StaffID     string `json:"staff_id,omitempty"`
	Host        string `json:"destination"`
	Category    string `json:"category,omitempty"`
	FileName    string `json:"file_name"`
	Verdict     string `json:"verdict"`
	Approval    string `json:"approval,omitempty"`
}

// ArchiveRecord is one outbound archive record with the people who approved it.
type ArchiveRecord struct {
	*store.Outbound
	MarkIDText string   `json:"mark_id_text,omitempty"` // 12 hex digits, as sluice trace prints it
	Receiver   string   `json:"receiver,omitempty"`
	Purpose    string   `json:"purpose,omitempty"`
	Approvers  []string `json:"approvers,omitempty"`
}

// Archive is the answer of GET /api/archive.
type Archive struct {
	Records []ArchiveRecord `json:"records"`
}

// ArchiveValues encodes an archive filter as query parameters.
func ArchiveValues(f store.ArchiveFilter) url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"user": f.User, "host": f.Host, "q": f.Text} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if !f.Since.IsZero() {
		q.Set("since", f.Since.Format(time.RFC3339))
	}
	if !f.Until.IsZero() {
		q.Set("until", f.Until.Format(time.RFC3339))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	return q
}

// ArchiveFilter decodes what ArchiveValues encoded (dates may also be YYYY-MM-DD).
func ArchiveFilter(q url.Values) (store.ArchiveFilter, error) {
	f := store.ArchiveFilter{User: q.Get("user"), Host: q.Get("host"), Text: q.Get("q")}
	var err error
	if f.Since, err = ParseTime(q.Get("since"), false); err != nil {
		return f, err
	}
	if f.Until, err = ParseTime(q.Get("until"), true); err != nil {
		return f, err
	}
	if s := q.Get("limit"); s != "" {
		f.Limit, _ = strconv.Atoi(s)
	}
	return f, nil
}

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
