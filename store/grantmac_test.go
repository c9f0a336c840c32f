package store

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
	bolt "go.etcd.io/bbolt"
)

// reopenEdited closes db, edits its file with bbolt directly (as an attacker with write access would)
// and opens it again with the store.
func reopenEdited(t *testing.T, db *DB, edit func(tx *bolt.Tx)) *DB {
	t.Helper()
	path := db.Path()
	db.Close()
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(tx *bolt.Tx) error { edit(tx); return nil }); err != nil {
		t.Fatal(err)
	}
	b.Close()
	db, err = Open(path, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// editGrant rewrites one stored grant through change.
func editGrant(tx *bolt.Tx, id string, change func(g map[string]any)) {
	b := tx.Bucket(bucketGrants)
	var g map[string]any
	json.Unmarshal(b.Get([]byte(id)), &g)
	change(g)
	data, _ := json.Marshal(g)
	b.Put([]byte(id), data)
}

// tampered reports whether err is the store's "forged or edited record" error that still keeps the
// upload held (it matches ErrNotFound, which the pipeline treats as "not covered").
func tampered(err error) bool {
	return err != nil && errors.Is(err, ErrNotFound) && l10n.CodeOf(err) == "tampered"
}

// TestForgedGrantReleasesNothing is issue #19's finding: a grant written into the database released a
// held customer list. A grant nobody approved, and an approved one edited afterwards, release nothing.
func TestForgedGrantReleasesNothing(t *testing.T) {
	db := approvalDB(t)
	heldEvent(t, db, "zhang", shaA)
	now := t0.Add(time.Hour)
	db = reopenEdited(t, db, func(tx *bolt.Tx) {
		g := Grant{ID: "G-FORGED", RequestID: "R-NOBODY", User: "zhang", SHA256: shaA, Host: "mail.qq.com",
			Category: "personal_mail", Expires: t0.Add(30 * 24 * time.Hour), MaxUses: 5}
		putJSON(tx.Bucket(bucketGrants), []byte(g.ID), &g)
	})
	if gs, err := db.UseGrants("zhang", "mail.qq.com", "personal_mail", []string{shaA}, now); !tampered(err) {
		t.Fatalf("a forged grant: %v %v", gs, err)
	}
	if g, err := db.FindGrant("zhang", shaA, "mail.qq.com", "personal_mail", now); !tampered(err) {
		t.Fatalf("FindGrant of a forged grant: %v %v", g, err)
	}
	if _, err := db.Grant("G-FORGED"); err == nil {
		t.Fatal("Grant returned a forged grant")
	}
}

func TestEditedGrantReleasesNothing(t *testing.T) {
	approved := func(t *testing.T) (*DB, *Request) {
		db := approvalDB(t)
		r := fileReq(t, db, "zhang", heldEvent(t, db, "zhang", shaB))
		db.Act(r.ID, "li", ActApprove, "", t0.Add(time.Minute))
		r, err := db.Act(r.ID, "wang", ActApprove, "", t0.Add(2*time.Minute))
		if err != nil || r.GrantID == "" {
			t.Fatalf("approval: %v", err)
		}
		return db, r
	}
	type use struct{ user, sum, host string }
	genuine, soon, later := use{"zhang", shaB, "mail.qq.com"}, t0.Add(time.Hour), t0.Add(8*24*time.Hour)
	cases := []struct {
		name     string
		usedOnce bool // the genuine grant is used up before the edit
		now      time.Time
		as       use
		edit     func(g map[string]any)
	}{
		{"uses reset", true, soon, genuine, func(g map[string]any) { g["uses"] = 0 }},
		{"more uses", true, soon, genuine, func(g map[string]any) { g["max_uses"] = 100 }},
		{"later expiry", false, later, genuine, func(g map[string]any) { g["expires"] = t0.Add(365 * 24 * time.Hour).Format(time.RFC3339) }},
		{"other user", false, soon, use{"zhao", shaB, "mail.qq.com"}, func(g map[string]any) { g["user"] = "zhao" }},
		{"any host", false, soon, use{"zhang", shaB, "mail.163.com"}, func(g map[string]any) { g["host"] = "" }},
		{"other file", false, soon, use{"zhang", shaA, "mail.qq.com"}, func(g map[string]any) { g["sha256"] = shaA }},
		{"other request", false, soon, genuine, func(g map[string]any) { g["request_id"] = "R-OTHER" }},
		{"other approvers", false, soon, genuine, func(g map[string]any) { g["approvers"] = []string{"li", "admin1"} }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db, r := approved(t)
			if c.usedOnce {
				if _, err := db.UseGrants("zhang", "mail.qq.com", "personal_mail", []string{shaB}, soon); err != nil {
					t.Fatalf("the genuine grant: %v", err)
				}
			}
			db = reopenEdited(t, db, func(tx *bolt.Tx) { editGrant(tx, r.GrantID, c.edit) })
			if gs, err := db.UseGrants(c.as.user, c.as.host, "personal_mail", []string{c.as.sum}, c.now); !tampered(err) {
				t.Fatalf("an edited grant (%s): released %d, err %v", c.name, len(gs), err)
			}
		})
	}
}

// TestEditedRequestIsRefused: an approval request edited in the database (another requester, more
// days) cannot be acted on, so it can never turn into a grant.
func TestEditedRequestIsRefused(t *testing.T) {
	db := approvalDB(t)
	r := fileReq(t, db, "zhang", heldEvent(t, db, "zhang", shaA))
	if _, err := db.Act(r.ID, "li", ActApprove, "", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	db = reopenEdited(t, db, func(tx *bolt.Tx) {
		b := tx.Bucket(bucketApprovals)
		var m map[string]any
		json.Unmarshal(b.Get([]byte(r.ID)), &m)
		m["days"], m["max_uses"] = 90, 100
		data, _ := json.Marshal(m)
		b.Put([]byte(r.ID), data)
	})
	if _, err := db.Act(r.ID, "wang", ActApprove, "", t0.Add(2*time.Minute)); l10n.CodeOf(err) != "tampered" {
		t.Fatalf("an edited request was approved: %v", err)
	}
	if _, err := db.Request(r.ID); l10n.CodeOf(err) != "tampered" {
		t.Fatalf("an edited request was shown as genuine: %v", err)
	}
}
