package store

import (
	"crypto/sha256"
	"time"
)

// Console sessions are stored (only a hash of the session id), so a restart or another node keeps
// reviewers signed in.

func sessionKey(id string) []byte { s := sha256.Sum256([]byte("session:" + id)); return s[:] }

// PutSession records that the console session id belongs to user until expires, and drops expired ones.
func (db *DB) PutSession(id, user string, expires time.Time) error {
	return db.update(func(tx Tx) error {
		if _, err := tx.PruneSessions(time.Now().Unix()); err != nil {
			return err
		}
		return tx.PutSession(sessionKey(id), user, expires.Unix())
	})
}

// SessionUser returns the user of a live console session, or "" when it is unknown or expired at now.
func (db *DB) SessionUser(id string, now time.Time) (string, error) {
	var user string
	var exp int64
	err := db.view(func(tx Tx) error {
		var err error
		user, exp, err = tx.Session(sessionKey(id))
		return err
	})
	if err != nil || user == "" || now.Unix() > exp {
		return "", err
	}
	return user, nil
}

// DropSession ends a console session.
func (db *DB) DropSession(id string) error {
	return db.update(func(tx Tx) error { return tx.DeleteSession(sessionKey(id)) })
}
