package api

import (
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
