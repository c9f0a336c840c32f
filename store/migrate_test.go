package store

import (
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/internal/pgtest"
)

// populated fills a store with one of everything.
func populated(t *testing.T, db *DB) (grant string, mark uint64, blob string) {
	t.Helper()
	orgUsers(t, db)
	if _, err := db.NewToken("admin1", "zhang"); err != nil {
		t.Fatal(err)
	}
	blob, _ = db.PutBlobBytes([]byte("客户清单 original"))
	ev := &Event{Action: "upload", User: "zhang", Host: "mail.qq.com", Category: "personal_mail", Verdict: "approval",
		Files: []FileRecord{{Name: "客户清单.pdf", SHA256: shaA, Blob: blob}}}
	if err := db.AppendEvent(ev); err != nil {
		t.Fatal(err)
	}
	r, err := db.FileRequest("zhang", NewRequest{EventID: ev.ID, Receiver: "r", Purpose: "p", Days: 3, MaxUses: 2}, t0)
	if err != nil {
		t.Fatal(err)
	}
	db.Act(r.ID, "li", ActApprove, "", t0)
	if r, err = db.Act(r.ID, "wang", ActApprove, "", t0); err != nil {
		t.Fatal(err)
	}
	mark, _ = db.NewMarkID()
	db.PutOutbound(&Outbound{MarkID: mark, User: "zhang", FileName: "报价.pdf", Time: t0, OrigSHA256: blob})
	db.PutOutbound(&Outbound{User: "zhang", FileName: "plain.txt", Time: t0})
	salt, _ := db.CustomerSalt()
	db.ImportCustomers([]CustomerHashes{{CustomerKey(salt, "phone", "13800138000")}, {CustomerKey(salt, "email", "a@b.cn")}})
	fp, _ := ComputeFingerprint(strings.NewReader("price list"), "价格表.xlsx")
	db.AddFingerprint(fp, "admin1")
	db.PutPairingCode("zhang", "654321", time.Now().Add(time.Hour))
	return r.GrantID, mark, blob
}

// TestMigrateBoltToPostgresAndBack copies a populated bbolt store into PostgreSQL (blobs shared) and
// back into a new bbolt file: the chain verifies at every step and every kind of record still works.
func TestMigrateBoltToPostgresAndBack(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	src, err := OpenWith(filepath.Join(t.TempDir(), "sluice.db"), Options{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	grant, mark, blob := populated(t, src)
	n := verified(t, src)
	pg, err := OpenWith(filepath.Join(t.TempDir(), "x.db"), Options{Store: pgtest.URL(t), Key: key, SharedBlobs: true})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	res, err := src.CopyTo(pg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Events != n || res.Users != 4 || res.Grants != 1 || res.Marks < 2 || res.Customers != 2 || res.Fingerprints != 1 || res.Blobs != 1 {
		t.Fatalf("copied %+v (chain of %d)", res, n)
	}
	if m := verified(t, pg); m != n {
		t.Fatalf("%d events after migration, %d before", m, n)
	}
	if _, err := src.CopyTo(pg); !errors.Is(err, ErrConflict) {
		t.Fatalf("a second copy into a populated store: %v", err)
	}
	check := func(db *DB) {
		t.Helper()
		if g, err := db.Grant(grant); err != nil || g.User != "zhang" {
			t.Fatalf("grant: %v %v", g, err)
		}
		if o, err := db.Outbound(mark); err != nil || o.FileName != "报价.pdf" {
			t.Fatalf("mark: %v %v", o, err)
		}
		ix, err := db.LoadCustomerIndex()
		if err != nil || ix.Len() != 2 {
			t.Fatalf("customers: %v", err)
		}
		if _, ok := ix.LookupCustomer("phone", "13800138000"); !ok {
			t.Fatal("customer lookup after migration")
		}
		f, err := db.OpenBlob(blob)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(f)
		f.Close()
		if string(data) != "客户清单 original" {
			t.Fatalf("blob %q", data)
		}
		if _, _, err := db.RedeemPairingCode("654321", time.Now()); err != nil {
			t.Fatalf("pairing: %v", err)
		}
		if _, err := db.UseGrants("zhang", "mail.qq.com", "personal_mail", []string{shaA}, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := db.AppendEvent(&Event{Action: "after.migration", User: "sluice"}); err != nil {
			t.Fatal(err)
		}
		verified(t, db)
	}
	// back into bbolt (before the PostgreSQL copy is used, so both start from the same records)
	back, err := OpenWith(filepath.Join(t.TempDir(), "back.db"), Options{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	if _, err := pg.CopyTo(back); err != nil {
		t.Fatal(err)
	}
	if m := verified(t, back); m != n {
		t.Fatalf("%d events after copying back, %d before", m, n)
	}
	check(pg)
	check(back)
}
