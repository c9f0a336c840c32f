package store

import (
	"slices"
	"testing"
	"time"
)

// Conformance of the records' later fields and the queries the risk engine, the hand-over report and
// "who sent these customers" make: every backend keeps them and answers alike.

func TestConformDepartingUser(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		orgUsers(t, db)
		if _, err := db.UpdateUser("admin1", "zhang", func(u *User) error {
			u.Departing, u.LookbackDays = "2026-12-31", 90
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if u, err := db.User("zhang"); err != nil || u.Departing != "2026-12-31" || u.LookbackDays != 90 {
			t.Fatalf("departing not kept: %+v %v", u, err)
		}
		if _, err := db.UpdateUser("admin1", "zhang", func(u *User) error { u.LookbackDays = 0; return nil }); err == nil {
			t.Fatal("a departure without a look-back was accepted")
		}
		es, err := db.Events(EventFilter{Action: "user.depart", Limit: 10})
		if err != nil || len(es) != 1 || es[0].Extra["departing"] != " → 2026-12-31" || es[0].Extra["target"] != "zhang" {
			t.Fatalf("user.depart events: %v %v", es, err)
		}
		verified(t, db)
	})
}

func TestConformProvenanceAndWindows(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		sent := []uint64{40, 7, 12}
		for i, u := range []string{"zhang", "li", "zhang", "zhang"} {
			e := &Event{Time: t0.Add(time.Duration(i) * time.Hour), Action: "upload", User: u, Verdict: "approval",
				Files: []FileRecord{{Name: "list.csv", Customers: EncodeCustomers(sent[:1+i%3])}}}
			if err := db.AppendEvent(e); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.AppendEvent(&Event{Time: t0.Add(5 * time.Hour), Action: "risk.alert", User: "sluice"}); err != nil {
			t.Fatal(err)
		}
		// the hand-over report: one user since a time; early warning: everything since a time
		es, err := db.Events(EventFilter{User: "zhang", Since: t0.Add(90 * time.Minute), Limit: 100})
		if err != nil || len(es) != 2 || es[0].ID != 4 || es[1].ID != 3 {
			t.Fatalf("zhang's window: %v %v", es, err)
		}
		if got := DecodeCustomers(es[1].Files[0].Customers); !slices.Equal(got, []uint64{7, 12, 40}) {
			t.Fatalf("customers carried: %v", got)
		}
		if es, err := db.Events(EventFilter{Since: t0.Add(150 * time.Minute), Limit: 100}); err != nil || len(es) != 2 {
			t.Fatalf("window of all users: %v %v", es, err)
		}
		// who sent these customers: uploads only, newest first
		es, err = db.Events(EventFilter{Action: "upload", Limit: 100})
		if err != nil || len(es) != 4 || Overlap(DecodeCustomers(es[3].Files[0].Customers), []uint64{7}) != 0 ||
			Overlap(DecodeCustomers(es[2].Files[0].Customers), []uint64{7, 40}) != 2 || es[2].User != "li" {
			t.Fatalf("uploads: %v %v", es, err)
		}
		// a node following the others: after an id, oldest first, at most limit
		es, err = db.EventsAfter(2, 2)
		if err != nil || len(es) != 2 || es[0].ID != 3 || es[1].ID != 4 {
			t.Fatalf("events after 2: %v %v", es, err)
		}
		if es, err := db.EventsAfter(5, 10); err != nil || len(es) != 0 {
			t.Fatalf("events after the last: %v %v", es, err)
		}
		verified(t, db)
	})
}

func TestConformResendAndWeakMarks(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		first, err := db.NewMarkID()
		if err != nil {
			t.Fatal(err)
		}
		again, err := db.NewMarkID()
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		if err := db.PutOutbound(&Outbound{MarkID: first, User: "zhang", Time: t0, FileName: "a.png", Host: "mail.qq.com", Weak: true}); err != nil {
			t.Fatal(err)
		}
		if err := db.PutOutbound(&Outbound{MarkID: again, User: "li", Time: t0.Add(time.Hour), FileName: "a.png", Host: "pan.baidu.com", ResendOf: first}); err != nil {
			t.Fatal(err)
		}
		if o, err := db.Outbound(first); err != nil || !o.Weak || o.ResendOf != 0 {
			t.Fatalf("first send: %+v %v", o, err)
		}
		if o, err := db.Outbound(again); err != nil || o.ResendOf != first || o.Weak {
			t.Fatalf("re-send: %+v %v", o, err)
		}
	})
}

// TestConformCustomerIDsNotReused: a record names customer entries by id, so an id cleared with the
// list is never given to an entry of a later import (it would name the wrong customer).
func TestConformCustomerIDsNotReused(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		lookup := func(phone string) uint64 {
			t.Helper()
			salt, err := db.CustomerSalt()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.ImportCustomers([]CustomerHashes{{CustomerKey(salt, "phone", phone)}}); err != nil {
				t.Fatal(err)
			}
			ix, err := db.LoadCustomerIndex()
			if err != nil {
				t.Fatal(err)
			}
			id, ok := ix.LookupCustomer("phone", phone)
			if !ok {
				t.Fatalf("%s not in the list after import", phone)
			}
			return id
		}
		old := lookup("13800138000")
		if _, err := db.ClearCustomers("admin1"); err != nil {
			t.Fatal(err)
		}
		if id := lookup("13900139000"); id <= old {
			t.Fatalf("entry id %d given again after clearing (was %d)", id, old)
		}
	})
}

// TestConformHasMarks: unmarked archive records are no marks; one marked file is.
func TestConformHasMarks(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		if has, err := db.HasMarks(); err != nil || has {
			t.Fatalf("empty store: %v %v", has, err)
		}
		if err := db.PutOutbound(&Outbound{User: "zhang", Time: time.Now(), FileName: "a.txt", Note: "unmarked"}); err != nil {
			t.Fatal(err)
		}
		if has, err := db.HasMarks(); err != nil || has {
			t.Fatalf("only an unmarked record: %v %v", has, err)
		}
		id, err := db.NewMarkID()
		if err != nil {
			t.Fatal(err)
		}
		if err := db.PutOutbound(&Outbound{MarkID: id, User: "zhang", Time: time.Now(), FileName: "a.png"}); err != nil {
			t.Fatal(err)
		}
		if has, err := db.HasMarks(); err != nil || !has {
			t.Fatalf("a marked file: %v %v", has, err)
		}
	})
}
