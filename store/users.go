package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"golang.org/x/crypto/bcrypt"
)

// Roles a user can hold.
const (
	RoleStaff        = "staff"
	RoleReviewer     = "reviewer"
	RoleAdmin        = "admin"
	RoleInvestigator = "investigator"
)

// ValidRoles lists every role name the store accepts.
var ValidRoles = []string{RoleStaff, RoleReviewer, RoleAdmin, RoleInvestigator}

// User is one person known to Sluice: a rep browsing through the proxy, a reviewer, an admin.
type User struct {
	Name         string    `json:"name"`                 // login name, e.g. zhangsan
	DisplayName  string    `json:"display_name"`         // shown in marks, e.g. 张三
	StaffID      string    `json:"staff_id"`             // e.g. A1024
	Department   string    `json:"department,omitempty"` // e.g. 华东销售部
	Lead         string    `json:"lead,omitempty"`       // login name of the direct lead
	Head         string    `json:"head,omitempty"`       // login name of the department head
	Roles        []string  `json:"roles"`
	PasswordHash string    `json:"password_hash,omitempty"` // bcrypt
	Disabled     bool      `json:"disabled,omitempty"`
	Created      time.Time `json:"created"`
	// Departing is the date (YYYY-MM-DD) the person leaves the company; while set, their uploads follow the
	// policy's stricter departing section, and the hand-over report covers LookbackDays before it.
	Departing    string `json:"departing,omitempty"`
	LookbackDays int    `json:"lookback_days,omitempty"`
}

// HasRole reports whether the user holds role r.
func (u *User) HasRole(r string) bool { return slices.Contains(u.Roles, r) }

// Label returns the display name, or the login name when none is set.
func (u *User) Label() string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return u.Name
}

// ValidateUser checks a user record on its own (names, roles); references to other users are checked when it is saved.
func ValidateUser(u *User) error {
	if u.Name == "" || strings.ContainsAny(u.Name, " :/\t\n\r") || len(u.Name) > 64 {
		return l10n.Errorf(l10n.Invalid, "用户名 %q 为空、过长或含空格、':'、'/'；请使用 zhangsan 这样的登录名",
			"user name %q is empty, too long or contains spaces, ':' or '/'; choose a plain login name like zhangsan", u.Name)
	}
	for _, r := range u.Roles {
		if !slices.Contains(ValidRoles, r) {
			return l10n.Errorf(l10n.Invalid, "用户 %[2]s 的角色 %[1]q 无效；可用：%[3]s", "unknown role %[1]q for user %[2]s; use one of %[3]s",
				r, u.Name, strings.Join(ValidRoles, ", "))
		}
	}
	if u.Lead != "" && u.Lead == u.Name || u.Head != "" && u.Head == u.Name {
		return l10n.Errorf(l10n.Invalid, "用户 %s 不能是自己的直属上级或部门负责人", "user %s cannot be their own lead or department head", u.Name)
	}
	if u.Lead != "" && u.Lead == u.Head {
		return l10n.Errorf(l10n.Invalid, "用户 %s 的直属上级和部门负责人都是 %s；审批需要两个不同的人", "user %s has %s as both lead and head; approval needs two different people", u.Name, u.Lead)
	}
	if u.Departing != "" {
		if _, err := time.Parse("2006-01-02", u.Departing); err != nil {
			return l10n.Errorf(l10n.Invalid, "离职日期 %q 不是 YYYY-MM-DD 格式的日期", "leaving date %q is not a date like YYYY-MM-DD", u.Departing)
		}
		if u.LookbackDays < 1 || u.LookbackDays > 365 {
			return l10n.Errorf(l10n.Invalid, "回溯天数 %d 须在 1 到 365 之间", "look-back of %d days must be between 1 and 365", u.LookbackDays)
		}
	}
	return nil
}

// HashPassword returns a bcrypt hash of password.
func HashPassword(password string) (string, error) {
	if len(password) < 8 {
		return "", l10n.Errorf(l10n.Invalid, "密码太短（%d 个字符）；至少 8 个", "password too short (%d characters); use at least 8", len(password))
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	return string(h), err
}

// CheckPassword reports whether password matches the user's bcrypt hash.
func (u *User) CheckPassword(password string) bool {
	if u.PasswordHash == "" {
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) == nil
}

// noUser is the error for a user name that is not in the store, with the fix.
func noUser(name string) error {
	return l10n.Errorf(l10n.NotFound, "没有用户 %s；先用 'sluice users add %s' 添加", "no user %s; add it first with 'sluice users add %s'", name, name)
}

// checkRefs refuses a lead or head that does not exist, is disabled or cannot approve.
func checkRefs(tx Tx, u *User) error {
	for _, ref := range []struct{ name, zh, en string }{{u.Lead, "直属上级", "lead"}, {u.Head, "部门负责人", "department head"}} {
		if ref.name == "" {
			continue
		}
		var r User
		data, err := tx.User(ref.name)
		if err != nil {
			return err
		}
		if err := unmarshal(data, &r); err != nil {
			return l10n.Errorf(l10n.Invalid, "%[2]s %[1]s 不存在；先用 'sluice users add %[1]s --role reviewer' 添加", "the %[2]s %[1]s does not exist; add them first with 'sluice users add %[1]s --role reviewer'",
				ref.name, ref.zh, ref.en)
		}
		if r.Disabled || !r.HasRole(RoleReviewer) && !r.HasRole(RoleAdmin) {
			return l10n.Errorf(l10n.Invalid, "%[2]s %[1]s 没有审批权限；用 'sluice users set %[1]s --role reviewer' 授予", "the %[2]s %[1]s cannot approve; give them the role with 'sluice users set %[1]s --role reviewer'",
				ref.name, ref.zh, ref.en)
		}
	}
	return nil
}

// CreateUser adds a new user (refusing an existing name) and records it in the audit chain as actor.
func (db *DB) CreateUser(actor string, u *User) error {
	if err := ValidateUser(u); err != nil {
		return err
	}
	if u.Created.IsZero() {
		u.Created = time.Now().UTC()
	}
	return db.update(func(tx Tx) error {
		if old, err := tx.User(u.Name); err != nil || old != nil {
			if err != nil {
				return err
			}
			return l10n.Errorf(l10n.Conflict, "用户 %s 已存在；修改请用 'sluice users set %s'", "user %s exists; change it with 'sluice users set %s'", u.Name, u.Name)
		}
		if err := checkRefs(tx, u); err != nil {
			return err
		}
		if err := putUser(tx, u); err != nil {
			return err
		}
		ex := userFields(u)
		ex["password"] = strconv.FormatBool(u.PasswordHash != "")
		return db.appendEventTx(tx, &Event{Action: "user.add", User: actor, Extra: withTarget(ex, u.Name)})
	})
}

// UpdateUser applies change to an existing user, validates and saves it, and records what changed as actor.
func (db *DB) UpdateUser(actor, name string, change func(u *User) error) (*User, error) {
	var out User
	err := db.update(func(tx Tx) error {
		var old User
		data, err := tx.User(name)
		if err != nil {
			return err
		}
		if err := unmarshal(data, &old); err != nil {
			return noUser(name)
		}
		u := old
		u.Roles = slices.Clone(old.Roles)
		if err := change(&u); err != nil {
			return err
		}
		u.Name, u.Created = old.Name, old.Created
		if err := ValidateUser(&u); err != nil {
			return err
		}
		if u.Lead != old.Lead || u.Head != old.Head {
			if err := checkRefs(tx, &u); err != nil {
				return err
			}
		}
		if err := putUser(tx, &u); err != nil {
			return err
		}
		out = u
		ex := map[string]string{}
		was, now := userFields(&old), userFields(&u)
		for k, v := range now {
			if was[k] != v {
				ex[k] = was[k] + " → " + v
			}
		}
		if u.PasswordHash != old.PasswordHash {
			ex["password"] = "changed"
		}
		if len(ex) == 0 {
			return nil
		}
		action := "user.update"
		if len(ex) == 1 && ex["password"] != "" {
			action = "user.passwd"
		}
		if ex["departing"] != "" {
			action = "user.depart"
		}
		return db.appendEventTx(tx, &Event{Action: action, User: actor, Extra: withTarget(ex, name)})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// SetPassword sets a user's password and records the change (never the password) as actor.
func (db *DB) SetPassword(actor, name, password string) error {
	h, err := HashPassword(password)
	if err != nil {
		return err
	}
	_, err = db.UpdateUser(actor, name, func(u *User) error { u.PasswordHash = h; return nil })
	return err
}

// userFields lists the audited fields of a user as text.
func userFields(u *User) map[string]string {
	return map[string]string{"display_name": u.DisplayName, "staff_id": u.StaffID, "department": u.Department,
		"lead": u.Lead, "head": u.Head, "roles": strings.Join(u.Roles, ","), "disabled": strconv.FormatBool(u.Disabled),
		"departing": u.Departing, "lookback_days": strconv.Itoa(u.LookbackDays)}
}

func withTarget(ex map[string]string, target string) map[string]string {
	ex["target"] = target
	return ex
}

// User loads a user by login name, or returns an error matching ErrNotFound.
func (db *DB) User(name string) (*User, error) {
	var u User
	err := db.view(func(tx Tx) error {
		data, err := tx.User(name)
		return getJSON(data, err, &u)
	})
	if err != nil {
		if l10n.CodeOf(err) != l10n.NotFound {
			return nil, err
		}
		return nil, noUser(name)
	}
	return &u, nil
}

// Users lists all users sorted by name.
func (db *DB) Users() ([]*User, error) {
	var out []*User
	err := db.view(func(tx Tx) error {
		out = nil
		return tx.ForEachUser(func(k string, v []byte) error {
			var u User
			if err := unmarshal(v, &u); err != nil {
				return err
			}
			out = append(out, &u)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

// NewToken creates a fresh API token for user, records the issue as actor, and returns it; only its hash is stored.
func (db *DB) NewToken(actor, user string) (string, error) {
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	tok := "slc_" + hex.EncodeToString(raw)
	err := db.update(func(tx Tx) error {
		if err := userExists(tx, user); err != nil {
			return err
		}
		key := tokenKey(tok)
		if err := tx.PutToken(key, user); err != nil {
			return err
		}
		return db.appendEventTx(tx, &Event{Action: "token.issue", User: actor, Extra: map[string]string{"target": user, "token_id": hex.EncodeToString(key[:6])}})
	})
	return tok, err
}

// UserByToken returns the user an API token belongs to, or an error matching ErrNotFound.
func (db *DB) UserByToken(tok string) (*User, error) {
	var name string
	err := db.view(func(tx Tx) error {
		var err error
		name, err = tx.TokenUser(tokenKey(tok))
		return err
	})
	if err != nil {
		return nil, err
	}
	if name == "" || tok == "" {
		return nil, ErrNotFound
	}
	u, err := db.User(name)
	if err != nil || u.Disabled {
		return nil, ErrNotFound
	}
	return u, nil
}

// RevokeTokens deletes every API token of user, records it as actor, and returns how many were deleted.
func (db *DB) RevokeTokens(actor, user string) (int, error) {
	n := 0
	err := db.update(func(tx Tx) error {
		if err := userExists(tx, user); err != nil {
			return err
		}
		var err error
		if n, err = tx.DeleteTokens(user); err != nil {
			return err
		}
		return db.appendEventTx(tx, &Event{Action: "token.revoke", User: actor, Extra: map[string]string{"target": user, "revoked": strconv.Itoa(n)}})
	})
	return n, err
}

// userExists returns noUser unless name is a stored user.
func userExists(tx Tx, name string) error {
	data, err := tx.User(name)
	if err == nil && data == nil {
		err = noUser(name)
	}
	return err
}

// putUser stores u.
func putUser(tx Tx, u *User) error {
	data, err := marshal(u)
	if err != nil {
		return err
	}
	return tx.PutUser(u.Name, data)
}

func tokenKey(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}
