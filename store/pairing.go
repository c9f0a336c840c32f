package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
)

type pairingCode struct {
	User    string    `json:"user"`
	Expires time.Time `json:"expires"`
}

func pairingKey(code string) []byte { s := sha256.Sum256([]byte("pair:" + code)); return s[:] }

// PutPairingCode stores a one-time code for user until expires (only its hash is kept), dropping the
// user's earlier code and every expired one.
func (db *DB) PutPairingCode(user, code string, expires time.Time) error {
	return db.update(func(tx Tx) error {
		if err := userExists(tx, user); err != nil {
			return err
		}
		var drop [][]byte
		tx.ForEachPairing(func(k, v []byte) error {
			var p pairingCode
			if unmarshal(v, &p) != nil || p.User == user || time.Now().After(p.Expires) {
				drop = append(drop, append([]byte(nil), k...))
			}
			return nil
		})
		for _, k := range drop {
			if err := tx.PutPairing(k, nil); err != nil {
				return err
			}
		}
		data, err := marshal(pairingCode{User: user, Expires: expires})
		if err != nil {
			return err
		}
		return tx.PutPairing(pairingKey(code), data)
	})
}

// RedeemPairingCode consumes a live code and, in the same transaction, issues an API token for its user
// (recorded in the audit chain as token.pair); an unknown, used or expired code matches ErrNotFound.
func (db *DB) RedeemPairingCode(code string, now time.Time) (*User, string, error) {
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return nil, "", err
	}
	tok := "slc_" + hex.EncodeToString(raw)
	var u User
	err := db.update(func(tx Tx) error {
		var p pairingCode
		key := pairingKey(code)
		if data, err := tx.Pairing(key); err != nil {
			return err
		} else if unmarshal(data, &p) != nil {
			return ErrNotFound
		}
		if err := tx.PutPairing(key, nil); err != nil { // single use, even when expired
			return err
		}
		if now.After(p.Expires) {
			return ErrNotFound
		}
		if data, err := tx.User(p.User); err != nil {
			return err
		} else if unmarshal(data, &u) != nil || u.Disabled {
			return ErrNotFound
		}
		tk := tokenKey(tok)
		if err := tx.PutToken(tk, u.Name); err != nil {
			return err
		}
		return db.appendEventTx(tx, &Event{Action: "token.pair", User: u.Name, Extra: map[string]string{"target": u.Name, "token_id": hex.EncodeToString(tk[:6])}})
	})
	if err != nil {
		if l10n.CodeOf(err) == l10n.NotFound {
			return nil, "", ErrNotFound
		}
		return nil, "", err
	}
	return &u, tok, nil
}
