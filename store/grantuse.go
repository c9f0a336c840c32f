package store

import (
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
)

// matches reports whether g lets user send the file sum to host (or any host of category) at now.
func (g *Grant) matches(user, sum, host, category string, now time.Time) bool {
	if g.User != user || g.SHA256 != sum || !g.Valid(now) {
		return false
	}
	if g.Host != "" {
		return strings.EqualFold(g.Host, host)
	}
	return g.Category != "" && g.Category == category
}

// findGrant returns a genuine grant matching the arguments with its stored bytes, and every matching
// grant whose MAC does not verify (forged or edited: never used).
func (db *DB) findGrant(tx Tx, user, sum, host, category string, now time.Time) (found *Grant, stored []byte, forged []*Grant, err error) {
	err = tx.GrantsOf(user, sum, func(_ string, v []byte) error {
		var g Grant
		if json.Unmarshal(v, &g) != nil || !g.matches(user, sum, host, category, now) {
			return nil
		}
		switch {
		case !db.grantOK(&g):
			forged = append(forged, &g)
		case found == nil:
			found, stored = &g, append([]byte(nil), v...)
		}
		return nil
	})
	return found, stored, forged, err
}

// noGrant is the error for a file no genuine grant covers; forged says a forged one would have.
func noGrant(sum string, forged []*Grant) error {
	if len(forged) > 0 {
		return tamperedError("grant", forged[0].ID)
	}
	return l10n.Errorf(l10n.NotFound, "没有覆盖此文件的有效授权", "no valid grant covers this file (sha256 %.12s)", sum)
}

// UseGrants finds a valid grant for user sending each file (by sha256) to host or its category, and
// counts one use of each, all in one transaction: either every file is covered and every grant used,
// or nothing changes and the error matches ErrNotFound. The same file twice counts once. A grant
// whose MAC does not verify is never used: when only such a grant covers a file, the error also
// matches ErrTampered, and the grant is reported (audit event and OnTamper).
func (db *DB) UseGrants(user, host, category string, sums []string, now time.Time) ([]*Grant, error) {
	if db.legacy {
		return nil, errLegacy()
	}
	var out, forged []*Grant
	// most uploads have no grant: find that out without the writer lock (checked again under it)
	var missing string
	err := db.view(func(tx Tx) error {
		for _, sum := range sums {
			found, _, bad, err := db.findGrant(tx, user, sum, host, category, now)
			if err != nil || found == nil {
				missing, forged = sum, bad
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if missing != "" {
		for _, g := range forged {
			db.reportGrant(g)
		}
		return nil, noGrant(missing, forged)
	}
	err = db.update(func(tx Tx) error {
		out, forged = nil, nil
		byID := map[string]*Grant{}
		old := map[string][]byte{}
		for _, sum := range sums {
			found, stored, bad, err := db.findGrant(tx, user, sum, host, category, now)
			if err != nil {
				return err
			}
			forged = append(forged, bad...)
			if found == nil {
				return noGrant(sum, bad)
			}
			if byID[found.ID] == nil {
				byID[found.ID], old[found.ID] = found, stored
			}
			out = append(out, byID[found.ID])
		}
		for id, g := range byID {
			g.Uses++
			data, err := db.sealGrant(g)
			if err != nil {
				return err
			}
			// conditional on the bytes read above: a use counted by another node in between fails the
			// whole transaction instead of being lost
			if ok, err := tx.SwapGrant(id, old[id], data); err != nil || !ok {
				if err == nil {
					err = l10n.Errorf(l10n.Conflict, "授权 %s 同时被另一处使用；请重试", "grant %s was used elsewhere at the same moment; try again", id)
				}
				return err
			}
		}
		return nil
	})
	for _, g := range forged {
		db.reportGrant(g)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RefundGrants gives back one use of each grant (an upload they released never reached the site).
// A grant whose MAC does not verify is left as it is and reported.
func (db *DB) RefundGrants(ids []string) error {
	var forged []*Grant
	err := db.update(func(tx Tx) error {
		forged = nil
		seen := map[string]bool{}
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			var g Grant
			data, err := tx.Grant(id)
			if err != nil {
				return err
			}
			if err := unmarshal(data, &g); err != nil {
				return l10n.Errorf(l10n.NotFound, "没有授权 %s", "no grant %s", id)
			}
			if !db.grantOK(&g) {
				forged = append(forged, &g)
				continue
			}
			if g.Uses > 0 {
				g.Uses--
			}
			if err := db.putGrant(tx, &g); err != nil {
				return err
			}
		}
		return nil
	})
	for _, g := range forged {
		db.reportGrant(g)
	}
	return err
}

// GrantsFor returns every genuine grant (valid or not) that user holds for the file sum, newest first,
// so a refusal can say why an approval no longer applies (used up, expired, other site).
func (db *DB) GrantsFor(user, sum string) ([]*Grant, error) {
	var out, forged []*Grant
	err := db.view(func(tx Tx) error {
		out, forged = nil, nil
		return tx.GrantsOf(user, sum, func(k string, v []byte) error {
			var g Grant
			if json.Unmarshal(v, &g) == nil && g.User == user && g.SHA256 == sum {
				if db.grantOK(&g) {
					out = append(out, &g)
				} else {
					forged = append(forged, &g)
				}
			}
			return nil
		})
	})
	for _, g := range forged {
		db.reportGrant(g)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Expires.After(out[j].Expires) })
	return out, err
}

// FindGrant returns a valid grant for user sending the file sha256 to host (or to any host of
// category when the grant was for a category), without using it; the error matches ErrNotFound
// (and ErrTampered when only a forged or edited grant would have covered it).
func (db *DB) FindGrant(user, sha256, host, category string, now time.Time) (*Grant, error) {
	var found *Grant
	var forged []*Grant
	err := db.view(func(tx Tx) error {
		var err error
		found, _, forged, err = db.findGrant(tx, user, sha256, host, category, now)
		return err
	})
	for _, g := range forged {
		db.reportGrant(g)
	}
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, noGrant(sha256, forged)
	}
	return found, nil
}

// Grant loads one grant by id, or returns ErrNotFound (and ErrTampered for a forged or edited one).
func (db *DB) Grant(id string) (*Grant, error) {
	var g Grant
	err := db.view(func(tx Tx) error {
		data, err := tx.Grant(id)
		return getJSON(data, err, &g)
	})
	if err != nil {
		return nil, l10n.Errorf(l10n.NotFound, "没有授权 %s", "no grant %s", id)
	}
	if !db.grantOK(&g) {
		db.reportGrant(&g)
		return nil, tamperedError("grant", id)
	}
	return &g, nil
}
