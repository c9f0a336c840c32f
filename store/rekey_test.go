package store

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
	bolt "go.etcd.io/bbolt"
)

// legacyDB writes a database as Sluice wrote it before keyed chains: SHA-256 chained events, a head
// of id and hash, a grant without a MAC, and no audit key.
func legacyDB(t *testing.T, edit func(evs []*Event)) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sluice.db")
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	evs := []*Event{{Action: "user.add", User: "admin"}, {Action: "upload", User: "zhang", Verdict: "approval", Host: "mail.qq.com"},
		{Action: "approval.approve", User: "wang", RequestID: "R-OLD"}}
	prev := ""
	for i, e := range evs {
		e.ID, e.Time, e.Prev = uint64(i+1), t0.Add(time.Duration(i)*time.Minute), prev
		e.Hash, _ = chainHash(e)
		prev = e.Hash
	}
	if edit != nil {
		edit(evs)
	}
	err = b.Update(func(tx *bolt.Tx) error {
		for _, n := range allBuckets {
			tx.CreateBucketIfNotExists(n)
		}
		for _, e := range evs {
			putJSON(tx.Bucket(bucketEvents), u64(e.ID), e)
		}
		tx.Bucket(bucketEvents).SetSequence(uint64(len(evs)))
		tx.Bucket(bucketMeta).Put([]byte(metaAuditHead), append(u64(3), prev...))
		g := Grant{ID: "G-OLD", RequestID: "R-OLD", User: "zhang", SHA256: shaA, Host: "mail.qq.com", Expires: t0.Add(48 * time.Hour), MaxUses: 2}
		return putJSON(tx.Bucket(bucketGrants), []byte(g.ID), &g)
	})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	return path
}

// TestRekeyMigratesLegacyChainVisibly: an unkeyed database is never silently accepted. It opens, its
// chain is reported as not keyed, nothing can be appended, and `Rekey` verifies the old chain, records
// the migration and from then on protects the old records too.
func TestRekeyMigratesLegacyChainVisibly(t *testing.T) {
	path := legacyDB(t, nil)
	db, err := Open(path, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if !db.Legacy() {
		t.Fatal("an unkeyed database opened as keyed")
	}
	if _, problems, _ := db.VerifyChain(); len(problems) != 1 || !strings.Contains(problems[0].Reason, "sluice audit rekey") {
		t.Fatalf("an unkeyed chain verified: %v", problems)
	}
	if err := db.AppendEvent(&Event{Action: "x", User: "y"}); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "rekey") {
		t.Fatalf("appended to an unkeyed chain: %v", err)
	}
	if _, err := db.UseGrants("zhang", "mail.qq.com", "", []string{shaA}, t0); err == nil {
		t.Fatal("an unkeyed database released an upload")
	}
	res, err := db.Rekey("admin", false)
	if err != nil || res.OldRecords != 3 || res.Grants != 1 || res.Event != 4 || res.OldHead == "" {
		t.Fatalf("rekey: %+v %v", res, err)
	}
	if _, problems, _ := db.VerifyChain(); len(problems) != 0 {
		t.Fatalf("after rekey: %v", problems)
	}
	ev, _ := db.Event(4)
	if ev.Action != "audit.rekey" || ev.Extra["old_chain"] != "intact" || ev.Extra["old_head"] != res.OldHead || ev.Prev != res.OldHead {
		t.Fatalf("migration event: %+v", ev)
	}
	if _, err := db.UseGrants("zhang", "mail.qq.com", "", []string{shaA}, t0); err != nil {
		t.Fatalf("the grant present at migration: %v", err)
	}
	if _, err := db.Rekey("admin", false); !errors.Is(err, ErrConflict) {
		t.Fatalf("second rekey: %v", err)
	}
	db.Close()
	// the old records are covered now: an edit with recomputed SHA-256 hashes no longer verifies
	for name, edit := range map[string]func(tx *bolt.Tx){
		"old record edited": func(tx *bolt.Tx) {
			evs := readEvents(tx)
			evs[1].Verdict = "allow"
			for i := 1; i < 3; i++ {
				evs[i].Prev = evs[i-1].Hash
				evs[i].Hash, _ = chainHash(evs[i])
				data, _ := json.Marshal(evs[i])
				tx.Bucket(bucketEvents).Put(u64(evs[i].ID), data)
			}
		},
		"marker removed": func(tx *bolt.Tx) { tx.Bucket(bucketMeta).Delete([]byte(metaKeyed)) },
		"marker moved": func(tx *bolt.Tx) {
			var m keyMarker
			json.Unmarshal(tx.Bucket(bucketMeta).Get([]byte(metaKeyed)), &m)
			m.From = 5
			putJSON(tx.Bucket(bucketMeta), []byte(metaKeyed), &m)
		},
	} {
		if problems := tamperCopy(t, path, edit); len(problems) == 0 {
			t.Errorf("%s: not reported", name)
		}
	}
}

func TestRekeyRefusesABrokenOldChain(t *testing.T) {
	path := legacyDB(t, func(evs []*Event) { evs[1].Verdict = "allow" }) // edited before the upgrade
	db, err := Open(path, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Rekey("admin", false); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("rekey of a broken chain: %v", err)
	}
	res, err := db.Rekey("admin", true)
	if err != nil || len(res.OldProblems) == 0 {
		t.Fatalf("forced rekey: %+v %v", res, err)
	}
	if ev, _ := db.Event(res.Event); !strings.Contains(ev.Extra["old_chain"], "--force") {
		t.Fatalf("the forced migration does not say so: %v", ev.Extra)
	}
}

// TestAuditKeyLivesOutsideTheDatabase: the key is a 0600 file beside the database by default, can be
// given as a file elsewhere or as bytes, and a missing or wrong key is refused rather than replaced.
func TestAuditKeyLivesOutsideTheDatabase(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sluice.db")
	db, err := Open(path, "")
	if err != nil {
		t.Fatal(err)
	}
	db.AppendEvent(&Event{Action: "x", User: "y"})
	id := db.KeyID()
	db.Close()
	st, err := os.Stat(filepath.Join(dir, "audit.key"))
	if err != nil || st.Mode().Perm() != 0o600 || st.Size() != AuditKeySize {
		t.Fatalf("audit.key: %v %v", st, err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "sluice.db"))
	key, _ := os.ReadFile(filepath.Join(dir, "audit.key"))
	if strings.Contains(string(data), string(key)) {
		t.Fatal("the key is in the database")
	}
	elsewhere := filepath.Join(t.TempDir(), "k")
	os.Rename(filepath.Join(dir, "audit.key"), elsewhere)
	if _, err := Open(path, ""); l10n.CodeOf(err) != l10n.Unavailable || !strings.Contains(err.Error(), "--audit-key") {
		t.Fatalf("missing key: %v", err)
	}
	if exists(filepath.Join(dir, "audit.key")) {
		t.Fatal("a new key was made for a keyed database")
	}
	if db, err := OpenWith(path, Options{KeyFile: elsewhere}); err != nil || db.KeyID() != id {
		t.Fatalf("key file elsewhere: %v", err)
	} else {
		db.Close()
	}
	if db, err := OpenWith(path, Options{Key: key}); err != nil {
		t.Fatalf("key as bytes: %v", err)
	} else {
		db.Close()
	}
	if _, err := OpenWith(path, Options{Key: []byte("another key, 32 bytes long......")}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("wrong key: %v", err)
	}
	os.Chmod(elsewhere, 0o644)
	if _, err := OpenWith(path, Options{KeyFile: elsewhere}); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("readable key: %v", err)
	}
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }
