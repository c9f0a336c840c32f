package store

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// This file holds the approval transitions (approve, deny, withdraw, expire) and the grants
// that a final approval creates.

// Grant lets one user send one file (by sha256) to one host (or any host of a category) a few times until it expires.
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
		return nil, fmt.Errorf("%w: comment longer than %d bytes", ErrInvalid, maxComment)
	}
	now = now.UTC()
	var req Request
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		if err := getJSON(tx.Bucket(bucketApprovals), []byte(id), &req); err != nil {
			return fmt.Errorf("sluice: no request %s: %w", id, err)
		}
		var u User
		if err := getJSON(tx.Bucket(bucketUsers), []byte(actor), &u); err != nil || u.Disabled {
			return fmt.Errorf("%w: %s is not an active user", ErrForbidden, actor)
		}
		if req.Final() {
			return fmt.Errorf("%w: request %s is already %s", ErrConflict, id, req.Status)
		}
		if !now.Before(req.DecideBy) {
			return fmt.Errorf("%w: request %s passed its decision deadline %s", ErrConflict, id, req.DecideBy.Format(time.RFC3339))
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
				if err := createGrants(tx, &req, now); err != nil {
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
				return fmt.Errorf("%w: only the requester %s can withdraw", ErrForbidden, req.Requester)
			}
			req.Status = StatusWithdrawn
		default:
			return fmt.Errorf("%w: unknown action %q; use approve, deny or withdraw", ErrInvalid, action)
		}
		req.History = append(req.History, step)
		if err := putJSON(tx.Bucket(bucketApprovals), []byte(id), &req); err != nil {
			return err
		}
		return appendEventTx(tx, stepEvent(&req, step))
	})
	if err != nil {
		return nil, err
	}
	return &req, nil
}

// CheckDenier says why u may not deny r now (nil: u may): never the requester; the
// requester's lead or head, or an admin, with the reviewer or admin role.
func (r *Request) CheckDenier(u *User) error {
	if u.Name == r.Requester {
		return fmt.Errorf("%w: you cannot decide your own request; withdraw it instead", ErrForbidden)
	}
	if !u.HasRole(RoleReviewer) && !u.HasRole(RoleAdmin) {
		return fmt.Errorf("%w: %s needs the reviewer or admin role", ErrForbidden, u.Name)
	}
	if u.Name != r.Lead && u.Name != r.Head && !u.HasRole(RoleAdmin) {
		return fmt.Errorf("%w: only %s's lead (%s), head (%s) or an admin can deny", ErrForbidden, r.Requester, r.Lead, r.Head)
	}
	return nil
}

// CheckApprover says why u may not approve r's current stage (nil: u may).
func (r *Request) CheckApprover(u *User) error {
	if u.Name == r.Requester {
		return fmt.Errorf("%w: you cannot approve your own request", ErrForbidden)
	}
	admin := u.HasRole(RoleAdmin)
	if !admin && !u.HasRole(RoleReviewer) {
		return fmt.Errorf("%w: %s needs the reviewer or admin role", ErrForbidden, u.Name)
	}
	if u.Name != r.Approver() && !admin {
		return fmt.Errorf("%w: this step waits for %s (the requester's %s), or an admin as substitute", ErrForbidden, r.Approver(), r.Stage())
	}
	if r.Stage() == "head" && u.Name == r.leadActor() {
		return fmt.Errorf("%w: %s already gave the lead approval; a second person must approve", ErrForbidden, u.Name)
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

func createGrants(tx *bolt.Tx, r *Request, now time.Time) error {
	b := tx.Bucket(bucketGrants)
	seen := map[string]bool{}
	for _, f := range r.Files {
		if f.SHA256 == "" || seen[f.SHA256] {
			continue
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
			Expires: r.ValidUntil(), MaxUses: max(r.MaxUses, 1)}
		if err := putJSON(b, []byte(g.ID), &g); err != nil {
			return err
		}
		r.GrantIDs = append(r.GrantIDs, g.ID)
	}
	if len(r.GrantIDs) == 0 {
		return fmt.Errorf("sluice: request %s has no file checksums to grant", r.ID)
	}
	r.GrantID = r.GrantIDs[0]
	return nil
}

// ExpireRequests marks every undecided request whose deadline passed as expired (audited) and returns them.
func (db *DB) ExpireRequests(now time.Time) ([]*Request, error) {
	now = now.UTC()
	var out []*Request
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketApprovals)
		var due []*Request
		err := b.ForEach(func(k, v []byte) error {
			var r Request
			if v == nil || json.Unmarshal(v, &r) != nil || r.Final() || now.Before(r.DecideBy) {
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
			if err := putJSON(b, []byte(r.ID), r); err != nil {
				return err
			}
			if err := appendEventTx(tx, stepEvent(r, s)); err != nil {
				return err
			}
		}
		out = due
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// FindGrant returns a valid grant for user sending the file sha256 to host (or to any host of
// category when the grant was for a category), or ErrNotFound.
func (db *DB) FindGrant(user, sha256, host, category string, now time.Time) (*Grant, error) {
	var found *Grant
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketGrants).ForEach(func(k, v []byte) error {
			var g Grant
			if found != nil || json.Unmarshal(v, &g) != nil {
				return nil
			}
			if g.User != user || g.SHA256 != sha256 || !g.Valid(now) {
				return nil
			}
			if g.Host != "" && !strings.EqualFold(g.Host, host) || g.Host == "" && (g.Category == "" || g.Category != category) {
				return nil
			}
			found = &g
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, ErrNotFound
	}
	return found, nil
}

// UseGrant atomically counts one use of a grant; it fails when the grant is exhausted or expired.
func (db *DB) UseGrant(id string, now time.Time) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		var g Grant
		if err := getJSON(tx.Bucket(bucketGrants), []byte(id), &g); err != nil {
			return fmt.Errorf("sluice: no grant %s: %w", id, err)
		}
		if !g.Valid(now) {
			return fmt.Errorf("%w: grant %s is used up (%d/%d) or expired (%s)", ErrConflict, id, g.Uses, g.MaxUses, g.Expires.Format(time.RFC3339))
		}
		g.Uses++
		return putJSON(tx.Bucket(bucketGrants), []byte(id), &g)
	})
}

// Grant loads one grant by id, or returns ErrNotFound.
func (db *DB) Grant(id string) (*Grant, error) {
	var g Grant
	err := db.bolt.View(func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bucketGrants), []byte(id), &g) })
	if err != nil {
		return nil, err
	}
	return &g, nil
}

func sortRequests(rs []*Request) {
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].Created.After(rs[j].Created) })
}
