package store

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
)

// This file holds the approval transitions (approve, deny, withdraw, expire) and the grants
// that a final approval creates.

// Grant lets one user send one file (by sha256) to one host (or any host of a category) a few times until it
// expires; its MAC is checked whenever it is used.
type Grant struct {
	ID        string    `json:"id"`
	RequestID string    `json:"request_id"`
	User      string    `json:"user"`
	SHA256    string    `json:"sha256"`
	Host      string    `json:"host,omitempty"`     // empty: any host of Category
	Category  string    `json:"category,omitempty"` // for information when Host is set
	Expires   time.Time `json:"expires"`
	MaxUses   int       `json:"max_uses"`
	Uses      int       `json:"uses"`
	Approvers []string  `json:"approvers,omitempty"` // who gave the lead and the final approval
	MAC       string    `json:"mac,omitempty"`       // HMAC under the audit key over all the fields above
}

// Valid reports whether the grant is unexpired and has uses left at now.
func (g *Grant) Valid(now time.Time) bool { return now.Before(g.Expires) && g.Uses < g.MaxUses }

const maxComment = 1000

// Actions a person can take on a request.
const (
	ActApprove  = "approve"
	ActDeny     = "deny"
	ActWithdraw = "withdraw"
)

// Act applies action (approve, deny, withdraw) by actor to request id, records the step in the
// audit chain in the same transaction, and returns the updated request. Final approval creates grants.
func (db *DB) Act(id, actor, action, comment string, now time.Time) (*Request, error) {
	comment = strings.TrimSpace(comment)
	if len(comment) > maxComment {
		return nil, l10n.Errorf(l10n.Invalid, "意见超过 %d 字节", "comment longer than %d bytes", maxComment)
	}
	now = now.UTC()
	var req Request
	var forged *Request
	err := db.update(func(tx Tx) error {
		forged = nil
		data, err := tx.Request(id)
		if err != nil {
			return err
		}
		if err := unmarshal(data, &req); err != nil {
			return noRequest(id)
		}
		if !db.requestOK(&req) {
			forged = &req
			return tamperedError("request", id)
		}
		var u User
		if data, err := tx.User(actor); err != nil {
			return err
		} else if unmarshal(data, &u) != nil || u.Disabled {
			return l10n.Errorf(l10n.Forbidden, "%s 不是有效用户", "%s is not an active user", actor)
		}
		if req.Final() {
			zh := map[string]string{StatusApproved: "已批准", StatusDenied: "已拒绝", StatusExpired: "已过期", StatusWithdrawn: "已撤回"}[req.Status]
			return l10n.Errorf(l10n.Conflict, "申请 %[1]s %[3]s，不能再审批", "request %[1]s is already %[2]s", id, req.Status, zh)
		}
		if !now.Before(req.DecideBy) {
			return l10n.Errorf(l10n.Conflict, "申请 %s 已超过审批期限 %s", "request %s passed its decision deadline %s", id, req.DecideBy.Local().Format("2006-01-02 15:04"))
		}
		step := Step{Actor: actor, Action: action, Time: now, Comment: comment}
		switch action {
		case ActApprove:
			if err := req.CheckApprover(&u); err != nil {
				return err
			}
			step.Stage = req.Stage()
			step.Substitute = actor != req.Approver()
			if req.Status == StatusPending {
				req.Status = StatusLeadApproved
			} else {
				req.Status = StatusApproved
				req.ApprovedAt = now
				if err := db.createGrants(tx, &req, actor); err != nil {
					return err
				}
			}
		case ActDeny:
			if err := req.CheckDenier(&u); err != nil {
				return err
			}
			step.Stage = req.Stage()
			step.Substitute = actor != req.Lead && actor != req.Head
			req.Status = StatusDenied
		case ActWithdraw:
			if actor != req.Requester {
				return l10n.Errorf(l10n.Forbidden, "只有申请人 %s 可以撤回", "only the requester %s can withdraw", req.Requester)
			}
			req.Status = StatusWithdrawn
		default:
			return l10n.Errorf(l10n.Invalid, "未知操作 %q；可用 approve、deny 或 withdraw", "unknown action %q; use approve, deny or withdraw", action)
		}
		req.History = append(req.History, step)
		if err := db.putRequest(tx, &req); err != nil {
			return err
		}
		return db.appendEventTx(tx, stepEvent(&req, step))
	})
	if forged != nil {
		db.reportRequest(forged)
	}
	if err != nil {
		return nil, err
	}
	return &req, nil
}

// CheckDenier says why u may not deny r now (nil: u may): never the requester; the
// requester's lead or head, or an admin, with the reviewer or admin role.
func (r *Request) CheckDenier(u *User) error {
	if u.Name == r.Requester {
		return l10n.New(l10n.Forbidden, "不能审批自己的申请；如需取消请撤回", "you cannot decide your own request; withdraw it instead")
	}
	if !u.HasRole(RoleReviewer) && !u.HasRole(RoleAdmin) {
		return l10n.Errorf(l10n.Forbidden, "%s 没有审批人或管理员角色", "%s needs the reviewer or admin role", u.Name)
	}
	if u.Name != r.Lead && u.Name != r.Head && !u.HasRole(RoleAdmin) {
		return l10n.Errorf(l10n.Forbidden, "只有 %s 的直属上级（%s）、部门负责人（%s）或管理员可以拒绝", "only %s's lead (%s), head (%s) or an admin can deny", r.Requester, r.Lead, r.Head)
	}
	return nil
}

// CheckApprover says why u may not approve r's current stage (nil: u may).
func (r *Request) CheckApprover(u *User) error {
	if u.Name == r.Requester {
		return l10n.New(l10n.Forbidden, "不能批准自己的申请", "you cannot approve your own request")
	}
	admin := u.HasRole(RoleAdmin)
	if !admin && !u.HasRole(RoleReviewer) {
		return l10n.Errorf(l10n.Forbidden, "%s 没有审批人或管理员角色", "%s needs the reviewer or admin role", u.Name)
	}
	if u.Name != r.Approver() && !admin {
		stage := map[string]string{"lead": "直属上级", "head": "部门负责人"}[r.Stage()]
		return l10n.Errorf(l10n.Forbidden, "这一步等待 %[1]s（申请人的%[3]s）审批，或由管理员代批", "this step waits for %[1]s (the requester's %[2]s), or an admin as substitute", r.Approver(), r.Stage(), stage)
	}
	if r.Stage() == "head" && u.Name == r.leadActor() {
		return l10n.Errorf(l10n.Forbidden, "%s 已给出直属上级审批；第二步必须由另一个人批准", "%s already gave the lead approval; a second person must approve", u.Name)
	}
	return nil
}

// stepEvent is the audit record of one transition.
func stepEvent(r *Request, s Step) *Event {
	ex := map[string]string{"status": r.Status}
	if s.Comment != "" {
		ex["comment"] = s.Comment
	}
	if s.Stage != "" {
		ex["stage"] = s.Stage
	}
	if s.Substitute {
		ex["substitute"] = "true"
	}
	if r.GrantID != "" {
		ex["grants"] = strings.Join(r.GrantIDs, ",")
		ex["expires"] = r.ValidUntil().Format(time.RFC3339)
	}
	ex["requester"] = r.Requester
	return &Event{Time: s.Time, Action: "approval." + s.Action, User: s.Actor, Host: r.Host, Category: r.Category,
		RequestID: r.ID, Extra: ex}
}

// createGrants makes one grant per approved file, naming the lead approver and final approver.
func (db *DB) createGrants(tx Tx, r *Request, finalActor string) error {
	seen := map[string]bool{}
	files := 0
	for _, f := range r.Files {
		if f.Kind != FileKindMessage {
			files++
		}
	}
	for _, f := range r.Files {
		if f.SHA256 == "" || seen[f.SHA256] || f.Kind == FileKindMessage && files > 0 {
			continue // a message beside files is the site's form fields, not what was approved
		}
		seen[f.SHA256] = true
		var raw [5]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return err
		}
		host := r.Host
		if r.AnyHost {
			host = "" // any host of r.Category
		}
		g := Grant{ID: "G-" + base32.StdEncoding.EncodeToString(raw[:]), RequestID: r.ID, User: r.Requester,
			SHA256: f.SHA256, Host: host, Category: r.Category,
			Expires: r.ValidUntil(), MaxUses: max(r.MaxUses, 1), Approvers: []string{r.leadActor(), finalActor}}
		if err := db.putGrant(tx, &g); err != nil {
			return err
		}
		r.GrantIDs = append(r.GrantIDs, g.ID)
	}
	if len(r.GrantIDs) == 0 {
		return l10n.Errorf(l10n.Conflict, "申请 %s 没有可授权的文件校验值", "request %s has no file checksums to grant", r.ID)
	}
	r.GrantID = r.GrantIDs[0]
	return nil
}

// ExpireRequests marks every undecided request whose deadline passed as expired (audited) and returns them.
func (db *DB) ExpireRequests(now time.Time) ([]*Request, error) {
	now = now.UTC()
	var out, forged []*Request
	err := db.update(func(tx Tx) error {
		forged = nil
		var due []*Request
		err := tx.ForEachRequest(func(k string, v []byte) error {
			var r Request
			if json.Unmarshal(v, &r) != nil || r.Final() || now.Before(r.DecideBy) {
				return nil
			}
			if !db.requestOK(&r) {
				forged = append(forged, &r)
				return nil
			}
			due = append(due, &r)
			return nil
		})
		if err != nil {
			return err
		}
		for _, r := range due {
			s := Step{Actor: "sluice", Action: "expire", Time: now, Comment: "decision deadline " + r.DecideBy.Format(time.RFC3339)}
			r.Status = StatusExpired
			r.History = append(r.History, s)
			if err := db.putRequest(tx, r); err != nil {
				return err
			}
			if err := db.appendEventTx(tx, stepEvent(r, s)); err != nil {
				return err
			}
		}
		out = due
		return nil
	})
	for _, r := range forged {
		db.reportRequest(r)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

func sortRequests(rs []*Request) {
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].Created.After(rs[j].Created) })
}
