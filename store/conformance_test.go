package store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// The conformance suite: every backend must pass each test here (see eachBackend).

func TestConformUsersTokens(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		orgUsers(t, db)
		if err := db.CreateUser("test", &User{Name: "zhang"}); !errors.Is(err, ErrConflict) {
			t.Fatalf("duplicate user: %v", err)
		}
		if err := db.CreateUser("test", &User{Name: "x", Lead: "nobody"}); err == nil {
			t.Fatal("a missing lead was accepted")
		}
		us, err := db.Users()
		if err != nil || len(us) != 4 || us[0].Name != "admin1" {
			t.Fatalf("users: %v %v", us, err)
		}
		if err := db.SetPassword("admin1", "zhang", "correct horse"); err != nil {
			t.Fatal(err)
		}
		if u, _ := db.User("zhang"); !u.CheckPassword("correct horse") {
			t.Fatal("password not kept")
		}
		tok, err := db.NewToken("admin1", "zhang")
		if err != nil {
			t.Fatal(err)
		}
		if u, err := db.UserByToken(tok); err != nil || u.Name != "zhang" {
			t.Fatalf("token: %v %v", u, err)
		}
		if n, err := db.RevokeTokens("admin1", "zhang"); n != 1 || err != nil {
			t.Fatalf("revoke: %d %v", n, err)
		}
		if _, err := db.UserByToken(tok); !errors.Is(err, ErrNotFound) {
			t.Fatalf("revoked token still works: %v", err)
		}
		if _, err := db.User("nobody"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("missing user: %v", err)
		}
		verified(t, db)
	})
}

// verified fails t unless the audit chain verifies.
func verified(t *testing.T, db *DB) int {
	t.Helper()
	n, problems, err := db.VerifyChain()
	if err != nil || len(problems) > 0 {
		t.Fatalf("chain of %d: %v %v", n, problems, err)
	}
	return n
}

func TestConformChainAndEvents(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		for i := range 1200 { // more than one page of the PostgreSQL scan
			if err := db.AppendEvent(&Event{Action: "upload", User: []string{"a", "b"}[i%2], Verdict: "block", Host: "h" + strings.Repeat("x", i%3)}); err != nil {
				t.Fatal(err)
			}
		}
		if n := verified(t, db); n != 1200 {
			t.Fatalf("%d events", n)
		}
		h, err := db.Head()
		if err != nil || h.ID != 1200 || len(h.MAC) != 64 {
			t.Fatalf("head %+v %v", h, err)
		}
		es, err := db.Events(EventFilter{User: "b", Limit: 700})
		if err != nil || len(es) != 600 || es[0].ID != 1200 || es[599].ID != 2 {
			t.Fatalf("events: %d %v", len(es), err)
		}
		if e, err := db.Event(7); err != nil || e.ID != 7 {
			t.Fatalf("event 7: %v %v", e, err)
		}
		if _, err := db.Event(5000); !errors.Is(err, ErrNotFound) {
			t.Fatalf("missing event: %v", err)
		}
		if n, p, err := db.CheckWitness([]ChainHead{h}); n != 1 || len(p) > 0 || err != nil {
			t.Fatalf("witness: %d %v %v", n, p, err)
		}
	})
}

func TestConformApprovalAndGrants(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		orgUsers(t, db)
		ev := heldEvent(t, db, "zhang", shaA, shaB)
		r, err := db.FileRequest("zhang", NewRequest{EventID: ev, Receiver: "客户", Purpose: "报价", Days: 7, MaxUses: 2}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.FileRequest("zhang", NewRequest{EventID: ev, Receiver: "x", Purpose: "y", Days: 1}, t0); !errors.Is(err, ErrConflict) {
			t.Fatalf("second request for one event: %v", err)
		}
		if got, err := db.RequestForEvent(ev); err != nil || got.ID != r.ID {
			t.Fatalf("by event: %v %v", got, err)
		}
		if _, err := db.Act(r.ID, "wang", ActApprove, "", t0); !errors.Is(err, ErrForbidden) {
			t.Fatalf("head before lead: %v", err)
		}
		if _, err := db.Act(r.ID, "li", ActApprove, "ok", t0); err != nil {
			t.Fatal(err)
		}
		r, err = db.Act(r.ID, "wang", ActApprove, "", t0)
		if err != nil || r.Status != StatusApproved || len(r.GrantIDs) != 2 {
			t.Fatalf("final approval: %+v %v", r, err)
		}
		now := t0.Add(time.Hour)
		// all files or none: shaC has no grant, so neither A nor B is used
		const shaC = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
		if _, err := db.UseGrants("zhang", "mail.qq.com", "personal_mail", []string{shaA, shaC}, now); !errors.Is(err, ErrNotFound) {
			t.Fatalf("uncovered file: %v", err)
		}
		for i := range 2 {
			gs, err := db.UseGrants("zhang", "mail.qq.com", "personal_mail", []string{shaA, shaB, shaA}, now)
			if err != nil || len(gs) != 3 || gs[0].Uses != i+1 {
				t.Fatalf("use %d: %v %v", i, gs, err)
			}
		}
		if _, err := db.UseGrants("zhang", "mail.qq.com", "personal_mail", []string{shaA}, now); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a third use: %v", err)
		}
		if err := db.RefundGrants(r.GrantIDs[:1]); err != nil {
			t.Fatal(err)
		}
		if g, err := db.FindGrant("zhang", shaA, "mail.qq.com", "personal_mail", now); err != nil || g.Uses != 1 {
			t.Fatalf("after refund: %v %v", g, err)
		}
		if gs, err := db.GrantsFor("zhang", shaB); err != nil || len(gs) != 1 || gs[0].Uses != 2 {
			t.Fatalf("grants for B: %v %v", gs, err)
		}
		if rs, err := db.Requests(RequestFilter{Involves: "li"}); err != nil || len(rs) != 1 {
			t.Fatalf("requests: %v %v", rs, err)
		}
		ev2 := heldEvent(t, db, "zhang", shaB)
		r2, _ := db.FileRequest("zhang", NewRequest{EventID: ev2, Receiver: "a", Purpose: "b", Days: 1}, t0)
		if exp, err := db.ExpireRequests(t0.Add(DefaultDecideTime + time.Minute)); err != nil || len(exp) != 1 || exp[0].ID != r2.ID {
			t.Fatalf("expire: %v %v", exp, err)
		}
		verified(t, db)
	})
}

func TestConformMarksAndArchive(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		seen := map[uint64]bool{}
		for range 50 {
			id, err := db.NewMarkID()
			if err != nil || id == 0 || id > MaxMarkID || seen[id] {
				t.Fatalf("mark id %d %v", id, err)
			}
			seen[id] = true
		}
		id, _ := db.NewMarkID()
		if _, err := db.Outbound(id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a reserved id is not a record: %v", err)
		}
		sum, err := db.PutBlobBytes([]byte("marked pdf"))
		if err != nil {
			t.Fatal(err)
		}
		if err := db.PutOutbound(&Outbound{MarkID: id, User: "zhang", Time: t0, FileName: "报价.pdf", Host: "mail.qq.com", OrigSHA256: sum}); err != nil {
			t.Fatal(err)
		}
		if err := db.PutOutbound(&Outbound{User: "zhang", Time: t0.Add(time.Minute), FileName: "plain.txt", Host: "mail.qq.com"}); err != nil {
			t.Fatal(err)
		}
		if o, err := db.Outbound(id); err != nil || o.FileName != "报价.pdf" {
			t.Fatalf("outbound: %v %v", o, err)
		}
		if as, err := db.Archive(ArchiveFilter{User: "zhang"}); err != nil || len(as) != 2 || as[0].FileName != "plain.txt" {
			t.Fatalf("archive: %v %v", as, err)
		}
		f, err := db.OpenBlob(sum)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(f)
		f.Close()
		if string(data) != "marked pdf" {
			t.Fatalf("blob %q", data)
		}
	})
}

func TestConformCustomersFingerprintsPairing(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		orgUsers(t, db)
		salt, err := db.CustomerSalt()
		if err != nil || len(salt) != 32 {
			t.Fatal(err)
		}
		again, _ := db.CustomerSalt()
		if !bytes.Equal(salt, again) {
			t.Fatal("salt changed")
		}
		e1 := CustomerHashes{CustomerKey(salt, "phone", "13800138000"), CustomerKey(salt, "company", "华东贸易")}
		e2 := CustomerHashes{CustomerKey(salt, "phone", "13900139000")}
		res, err := db.ImportCustomers([]CustomerHashes{e1, e2, e1, nil})
		if err != nil || res.Added != 2 || res.Duplicates != 1 || res.Empty != 1 {
			t.Fatalf("import: %+v %v", res, err)
		}
		st, err := db.CustomerStats()
		if err != nil || st.Entries != 2 || st.Values != 3 || st.ByField["phone"] != 2 || st.Imported.IsZero() {
			t.Fatalf("stats: %+v %v", st, err)
		}
		ix, err := db.LoadCustomerIndex()
		if err != nil || ix.Len() != 3 {
			t.Fatal(err)
		}
		if _, ok := ix.LookupCustomer("phone", "13900139000"); !ok {
			t.Fatal("lookup")
		}
		if n, err := db.ClearCustomers("admin1"); n != 2 || err != nil {
			t.Fatalf("clear: %d %v", n, err)
		}
		if st, _ := db.CustomerStats(); st.Values != 0 || st.Entries != 0 {
			t.Fatalf("after clear: %+v", st)
		}
		fp, _ := ComputeFingerprint(strings.NewReader("secret price list"), "价格表.xlsx")
		if err := db.AddFingerprint(fp, "admin1"); err != nil {
			t.Fatal(err)
		}
		fx, err := db.LoadFingerprintIndex()
		if err != nil || fx.Len() != 1 {
			t.Fatal(err)
		}
		if name, ok := fx.LookupMD5(fp.MD5); !ok || name != "价格表.xlsx" {
			t.Fatal("fingerprint lookup")
		}
		if err := db.PutPairingCode("zhang", "123456", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		u, tok, err := db.RedeemPairingCode("123456", t0)
		if err != nil || u.Name != "zhang" || tok == "" {
			t.Fatalf("pair: %v %v", u, err)
		}
		if _, _, err := db.RedeemPairingCode("123456", t0); !errors.Is(err, ErrNotFound) {
			t.Fatalf("code used twice: %v", err)
		}
		if err := db.PutSession("sid", "li", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if u, err := db.SessionUser("sid", t0); u != "li" || err != nil {
			t.Fatalf("session: %q %v", u, err)
		}
		if u, _ := db.SessionUser("sid", t0.Add(2*time.Hour)); u != "" {
			t.Fatal("expired session still valid")
		}
		db.DropSession("sid")
		if u, _ := db.SessionUser("sid", t0); u != "" {
			t.Fatal("dropped session still valid")
		}
		verified(t, db)
	})
}

func TestConformBlobsSweep(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		kept, _ := db.PutBlobBytes([]byte("kept original"))
		lost, _ := db.PutBlobBytes([]byte("record never committed"))
		if err := db.AppendEvent(&Event{Action: "upload", User: "z", Files: []FileRecord{{Name: "a", SHA256: kept, Blob: kept}}}); err != nil {
			t.Fatal(err)
		}
		if _, shared := db.blob.(*pgBlobs); shared {
			p := db.be.(*pgBackend)
			// a shared archive spares blobs staged or archived in the last hour (other nodes' uploads)
			if s, _ := db.SweepBlobs(0); s.Changed() {
				t.Fatalf("the sweep touched recent shared blobs: %+v", s)
			}
			p.pool.Exec(context.Background(), `UPDATE sluice_blobs SET mod = mod - interval '2 hours'`)
		}
		s, err := db.SweepBlobs(0)
		if err != nil || s.Unrecorded != 1 || len(s.Removed) != 1 || s.Removed[0] != lost {
			t.Fatalf("sweep: %+v %v", s, err)
		}
		if _, err := db.OpenBlob(lost); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unrecorded blob: %v", err)
		}
		f, err := db.OpenBlob(kept)
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		if used, _ := db.ArchiveUsage(); used != int64(len("kept original")) {
			t.Fatalf("usage %d", used)
		}
		verified(t, db)
	})
}
