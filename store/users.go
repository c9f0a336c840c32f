package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
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

// ValidateUser checks a user record before it is saved.
func ValidateUser(u *User) error {
	if u.Name == "" || strings.ContainsAny(u.Name, " :/\t\n") {
		return fmt.Errorf("sluice: user name %q is empty or contains spaces, ':' or '/'; choose a plain login name like zhangsan", u.Name)
	}
	for _, r := range u.Roles {
		if !slices.Contains(ValidRoles, r) {
			return fmt.Errorf("sluice: unknown role %q for user %s; use one of %s", r, u.Name, strings.Join(ValidRoles, ", "))
		}
	}
	if u.Lead != "" && u.Lead == u.Name || u.Head != "" && u.Head == u.Name {
		return fmt.Errorf("sluice: user %s cannot be their own lead or department head", u.Name)
	}
	return nil
}

// HashPassword returns a bcrypt hash of password.
func HashPassword(password string) (string, error) {
	if len(password) < 8 {
		return "", fmt.Errorf("sluice: password too short (%d characters); use at least 8", len(password))
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

// PutUser creates or replaces a user.
func (db *DB) PutUser(u *User) error {
	if err := ValidateUser(u); err != nil {
		return err
	}
	if u.Created.IsZero() {
		u.Created = time.Now().UTC()
	}
	return db.bolt.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketUsers), []byte(u.Name), u)
	})
}

// User loads a user by login name, or returns ErrNotFound.
func (db *DB) User(name string) (*User, error) {
	var u User
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return getJSON(tx.Bucket(bucketUsers), []byte(name), &u)
	})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// Users lists all users sorted by name.
func (db *DB) Users() ([]*User, error) {
	var out []*User
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketUsers).ForEach(func(k, v []byte) error {
			var u User
			if err := getJSON(tx.Bucket(bucketUsers), k, &u); err != nil {
				return err
			}
			out = append(out, &u)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

// NewToken creates a fresh API token for user and returns it; only its hash is stored.
func (db *DB) NewToken(user string) (string, error) {
	if _, err := db.User(user); err != nil {
		return "", fmt.Errorf("sluice: no user %q; add it with 'sluice users add %s'", user, user)
	}
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	tok := "slc_" + hex.EncodeToString(raw)
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTokens).Put(tokenKey(tok), []byte(user))
	})
	return tok, err
}

// UserByToken returns the user an API token belongs to, or ErrNotFound.
func (db *DB) UserByToken(tok string) (*User, error) {
	var name string
	db.bolt.View(func(tx *bolt.Tx) error {
		name = string(tx.Bucket(bucketTokens).Get(tokenKey(tok)))
		return nil
	})
	if name == "" || tok == "" {
		return nil, ErrNotFound
	}
	u, err := db.User(name)
	if err != nil || u.Disabled {
		return nil, ErrNotFound
	}
	return u, nil
}

// RevokeTokens deletes every API token of user.
func (db *DB) RevokeTokens(user string) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTokens)
		var keys [][]byte
		b.ForEach(func(k, v []byte) error {
			if string(v) == user {
				keys = append(keys, append([]byte(nil), k...))
			}
			return nil
		})
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

func tokenKey(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}
