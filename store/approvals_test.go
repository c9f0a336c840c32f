package store

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const (
	shaA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	shaB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// approvalDB opens a temp store with a small org: zhang (staff) → lead li, head wang.
func approvalDB(t *testing.T) *DB {
	t.Helper()
	dir := t.TempDir()
	db, err := Open(filepath.Join(dir, "sluice.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	createUsers(t, db,
		&User{Name: "wang", Roles: []string{RoleReviewer}},
		&User{Name: "li", Roles: []string{RoleReviewer}, Head: "wang"},
		&User{Name: "zhang", DisplayName: "张三", Lead: "li", Head: "wang", Roles: []string{RoleStaff}},
		&User{Name: "admin1", Roles: []string{RoleAdmin}},
		&User{Name: "admin2", Roles: []string{RoleAdmin}},
		&User{Name: "rev2", Roles: []string{RoleReviewer}},
		&User{Name: "eve", Roles: []string{RoleReviewer}},
		&User{Name: "zhao", Lead: "eve", Head: "wang", Roles: []string{RoleStaff}},
	)
	// eve loses the reviewer role after becoming zhao's lead: a lead who can no longer approve
	if _, err := db.UpdateUser("admin1", "eve", func(u *User) error { u.Roles = []string{RoleStaff}; return nil }); err != nil {
		t.Fatal(err)
	}
	return db
}

// createUsers adds users in order (leads and heads first) as the test's admin.
func createUsers(t *testing.T, db *DB, users ...*User) {
	t.Helper()
	for _, u := range users {
		if err := db.CreateUser("test", u); err != nil {
			t.Fatalf("create %s: %v", u.Name, err)
		}
	}
}

// heldEvent records an approval-verdict upload event for user and returns its id.
func heldEvent(t *testing.T, db *DB, user string, shas ...string) uint64 {
	t.Helper()
	e := &Event{Action: "upload", User: user, Host: "mail.qq.com", Category: "personal_mail", Verdict: "approval",
		Reasons: []string{"customer data"}}
	for i, s := range shas {
		e.Files = append(e.Files, FileRecord{Name: "客户清单" + string(rune('A'+i)) + ".pdf", SHA256: s, Blob: s, Findings: []string{"phone×12"}})
	}
	if err := db.AppendEvent(e); err != nil {
		t.Fatal(err)
	}
	return e.ID
}

func fileReq(t *testing.T, db *DB, user string, ev uint64) *Request {
	t.Helper()
	r, err := db.FileRequest(user, NewRequest{EventID: ev, Receiver: "李四 (ACME 采购)", Purpose: "报价确认", Days: 7}, t0)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

type step struct {
	actor, action string
	wantErr       error
	wantStatus    string
}

func TestTransitions(t *testing.T) {
	ok := func(a, act, st string) step { return step{a, act, nil, st} }
	no := func(a, act string, e error) step { return step{a, act, e, ""} }
	cases := []struct {
		name  string
		user  string
		steps []step
	}{
		{"lead then head", "zhang", []step{ok("li", ActApprove, StatusLeadApproved), ok("wang", ActApprove, StatusApproved)}},
		{"self approval refused", "zhang", []step{no("zhang", ActApprove, ErrForbidden)}},
		{"self deny refused", "zhang", []step{no("zhang", ActDeny, ErrForbidden)}},
		{"head cannot skip lead", "zhang", []step{no("wang", ActApprove, ErrForbidden)}},
		{"unrelated reviewer refused", "zhang", []step{no("rev2", ActApprove, ErrForbidden), no("rev2", ActDeny, ErrForbidden)}},
		{"staff refused", "zhang", []step{no("eve", ActApprove, ErrForbidden), no("eve", ActDeny, ErrForbidden)}},
		{"unknown actor refused", "zhang", []step{no("nobody", ActApprove, ErrForbidden)}},
		{"lead twice refused", "zhang", []step{ok("li", ActApprove, StatusLeadApproved), no("li", ActApprove, ErrForbidden)}},
		{"admin substitutes lead", "zhang", []step{ok("admin1", ActApprove, StatusLeadApproved), ok("wang", ActApprove, StatusApproved)}},
		{"admin substitutes both refused", "zhang", []step{ok("admin1", ActApprove, StatusLeadApproved), no("admin1", ActApprove, ErrForbidden), ok("admin2", ActApprove, StatusApproved)}},
		{"lead without reviewer role needs admin", "zhao", []step{no("eve", ActApprove, ErrForbidden), ok("admin1", ActApprove, StatusLeadApproved), ok("wang", ActApprove, StatusApproved)}},
		{"lead denies", "zhang", []step{ok("li", ActDeny, StatusDenied), no("wang", ActApprove, ErrConflict)}},
		{"head denies after lead", "zhang", []step{ok("li", ActApprove, StatusLeadApproved), ok("wang", ActDeny, StatusDenied)}},
		{"admin denies", "zhang", []step{ok("admin2", ActDeny, StatusDenied)}},
		{"withdraw pending", "zhang", []step{ok("zhang", ActWithdraw, StatusWithdrawn), no("li", ActApprove, ErrConflict)}},
		{"withdraw after lead", "zhang", []step{ok("li", ActApprove, StatusLeadApproved), ok("zhang", ActWithdraw, StatusWithdrawn)}},
		{"withdraw only by requester", "zhang", []step{no("li", ActWithdraw, ErrForbidden), no("admin1", ActWithdraw, ErrForbidden)}},
		{"approved is final", "zhang", []step{ok("li", ActApprove, StatusLeadApproved), ok("wang", ActApprove, StatusApproved), no("zhang", ActWithdraw, ErrConflict), no("admin1", ActDeny, ErrConflict)}},
		{"denied is final", "zhang", []step{ok("wang", ActDeny, StatusDenied), no("zhang", ActWithdraw, ErrConflict)}},
		{"unknown action", "zhang", []step{no("li", "bless", ErrInvalid)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := approvalDB(t)
			r := fileReq(t, db, c.user, heldEvent(t, db, c.user, shaA))
			if r.Status != StatusPending || r.Lead == "" || r.Head != "wang" {
				t.Fatalf("filed request = %+v", r)
			}
			for i, s := range c.steps {
				got, err := db.Act(r.ID, s.actor, s.action, "意见", t0.Add(time.Duration(i+1)*time.Minute))
				if s.wantErr != nil {
					if !errors.Is(err, s.wantErr) {
						t.Fatalf("step %d %s %s: err = %v, want %v", i, s.actor, s.action, err, s.wantErr)
					}
					continue
				}
				if err != nil {
					t.Fatalf("step %d %s %s: %v", i, s.actor, s.action, err)
				}
				if got.Status != s.wantStatus {
					t.Fatalf("step %d: status %s, want %s", i, got.Status, s.wantStatus)
				}
			}
			// Every successful step is in the history and in the audit chain.
			final, _ := db.Request(r.ID)
			evs, _ := db.Events(EventFilter{Action: "approval."})
			if len(evs) != len(final.History) {
				t.Fatalf("%d audit events for %d history steps", len(evs), len(final.History))
			}
			if _, probs, err := db.VerifyChain(); err != nil || len(probs) > 0 {
				t.Fatalf("chain: %v %v", err, probs)
			}
		})
	}
}

func TestSubstituteRecorded(t *testing.T) {
	db := approvalDB(t)
	r := fileReq(t, db, "zhang", heldEvent(t, db, "zhang", shaA))
	db.Act(r.ID, "admin1", ActApprove, "代批", t0.Add(time.Minute))
	r, err := db.Act(r.ID, "wang", ActApprove, "", t0.Add(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !r.History[1].Substitute || r.History[1].Stage != "lead" || r.History[2].Substitute || r.History[2].Stage != "head" {
		t.Fatalf("history = %+v", r.History)
	}
	evs, _ := db.Events(EventFilter{Action: "approval.approve"})
	if len(evs) != 2 || evs[1].Extra["substitute"] != "true" || evs[1].RequestID != r.ID || evs[0].Extra["grants"] == "" {
		t.Fatalf("audit = %+v", evs)
	}
}

func TestFilingRules(t *testing.T) {
	db := approvalDB(t)
	ev := heldEvent(t, db, "zhang", shaA)
	good := NewRequest{EventID: ev, Receiver: "李四", Purpose: "报价", Days: 7}
	if _, err := db.FileRequest("li", good, t0); !errors.Is(err, ErrForbidden) {
		t.Fatalf("other user's event: %v", err)
	}
	bad := good
	bad.Days = 0
	if _, err := db.FileRequest("zhang", bad, t0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("days 0: %v", err)
	}
	bad = good
	bad.Receiver = " "
	if _, err := db.FileRequest("zhang", bad, t0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty receiver: %v", err)
	}
	if _, err := db.FileRequest("zhang", NewRequest{EventID: 999, Receiver: "a", Purpose: "b", Days: 1}, t0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing event: %v", err)
	}
	allowed := &Event{Action: "upload", User: "zhang", Verdict: "allow", Files: []FileRecord{{Name: "a", SHA256: shaA}}}
	db.AppendEvent(allowed)
	good2 := good
	good2.EventID = allowed.ID
	if _, err := db.FileRequest("zhang", good2, t0); !errors.Is(err, ErrConflict) {
		t.Fatalf("allow-verdict event: %v", err)
	}
	r, err := db.FileRequest("zhang", good, t0)
	if err != nil || r.MaxUses != 1 || len(r.FindingsSummary) != 2 || !strings.HasPrefix(r.ID, "R-") {
		t.Fatalf("file: %+v %v", r, err)
	}
	if _, err := db.FileRequest("zhang", good, t0); !errors.Is(err, ErrConflict) {
		t.Fatalf("second filing: %v", err)
	}
	if got, err := db.RequestForEvent(ev); err != nil || got.ID != r.ID {
		t.Fatalf("RequestForEvent: %v %v", got, err)
	}
}

func TestExpiry(t *testing.T) {
	db := approvalDB(t)
	r1 := fileReq(t, db, "zhang", heldEvent(t, db, "zhang", shaA))
	r2 := fileReq(t, db, "zhang", heldEvent(t, db, "zhang", shaB))
	db.Act(r2.ID, "li", ActApprove, "", t0.Add(time.Minute))
	if got, _ := db.ExpireRequests(t0.Add(time.Hour)); len(got) != 0 {
		t.Fatalf("expired too early: %v", got)
	}
	late := t0.Add(DefaultDecideTime)
	if _, err := db.Act(r1.ID, "li", ActApprove, "", late); !errors.Is(err, ErrConflict) {
		t.Fatalf("approve after deadline: %v", err)
	}
	got, err := db.ExpireRequests(late)
	if err != nil || len(got) != 2 {
		t.Fatalf("expired %d (%v)", len(got), err)
	}
	for _, id := range []string{r1.ID, r2.ID} {
		r, _ := db.Request(id)
		if r.Status != StatusExpired {
			t.Fatalf("%s status %s", id, r.Status)
		}
	}
	if got, _ := db.ExpireRequests(late.Add(time.Hour)); len(got) != 0 {
		t.Fatalf("expired twice")
	}
	if evs, _ := db.Events(EventFilter{Action: "approval.expire"}); len(evs) != 2 {
		t.Fatalf("expire events %d", len(evs))
	}
}

func TestGrants(t *testing.T) {
	db := approvalDB(t)
	ev := heldEvent(t, db, "zhang", shaA, shaB)
	r, err := db.FileRequest("zhang", NewRequest{EventID: ev, Receiver: "x", Purpose: "y", Days: 3, MaxUses: 2}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.FindGrant("zhang", shaA, "mail.qq.com", "personal_mail", t0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("grant before approval: %v", err)
	}
	db.Act(r.ID, "li", ActApprove, "", t0.Add(time.Hour))
	approvedAt := t0.Add(48 * time.Hour) // validity counts from final approval
	r, err = db.Act(r.ID, "wang", ActApprove, "", approvedAt)
	if err != nil || len(r.GrantIDs) != 2 || r.GrantID != r.GrantIDs[0] {
		t.Fatalf("final approval: %+v %v", r, err)
	}
	now := approvedAt.Add(time.Hour)
	g, err := db.FindGrant("zhang", shaA, "MAIL.qq.com", "personal_mail", now)
	if err != nil || g.RequestID != r.ID || !g.Expires.Equal(approvedAt.Add(72*time.Hour)) {
		t.Fatalf("FindGrant: %+v %v", g, err)
	}
	for _, miss := range []struct{ user, sha, host string }{
		{"li", shaA, "mail.qq.com"},                       // other user
		{"zhang", strings.Repeat("c", 64), "mail.qq.com"}, // other file
		{"zhang", shaA, "mail.163.com"},                   // other host
	} {
		if _, err := db.FindGrant(miss.user, miss.sha, miss.host, "personal_mail", now); !errors.Is(err, ErrNotFound) {
			t.Fatalf("FindGrant%v: %v", miss, err)
		}
	}
	if _, err := db.FindGrant("zhang", shaA, "mail.qq.com", "personal_mail", approvedAt.Add(72*time.Hour)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("expired grant found: %v", err)
	}
	use := func(at time.Time, sums ...string) error {
		_, err := db.UseGrants("zhang", "mail.qq.com", "personal_mail", sums, at)
		return err
	}
	if err := use(now, shaA); err != nil {
		t.Fatal(err)
	}
	if err := use(now, shaA); err != nil {
		t.Fatal(err)
	}
	if err := use(now, shaA); !errors.Is(err, ErrNotFound) {
		t.Fatalf("third use of a 2-use grant: %v", err)
	}
	if _, err := db.FindGrant("zhang", shaA, "mail.qq.com", "personal_mail", now); !errors.Is(err, ErrNotFound) {
		t.Fatalf("exhausted grant found: %v", err)
	}
	// both files in one upload: shaA is used up, so neither grant is used (all or none)
	gb, err := db.FindGrant("zhang", shaB, "mail.qq.com", "", now)
	if err != nil {
		t.Fatal(err)
	}
	if err := use(now, shaB, shaA); !errors.Is(err, ErrNotFound) {
		t.Fatalf("upload with an uncovered file: %v", err)
	}
	if g, _ := db.Grant(gb.ID); g.Uses != 0 {
		t.Fatalf("the covered file's grant was used although the upload stayed held: %d uses", g.Uses)
	}
	if err := db.RefundGrants([]string{g.ID}); err != nil {
		t.Fatal(err)
	}
	if err := use(now, shaB, shaA); err != nil {
		t.Fatalf("after a refund both files are covered: %v", err)
	}
	if g, _ := db.Grant(gb.ID); g.Uses != 1 {
		t.Fatalf("grant of the second file: %d uses", g.Uses)
	}
	if err := use(approvedAt.Add(73*time.Hour), shaB); !errors.Is(err, ErrNotFound) {
		t.Fatalf("use after expiry: %v", err)
	}
	if err := db.RefundGrants([]string{"G-NOPE"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown grant: %v", err)
	}
}

func TestCategoryGrant(t *testing.T) {
	db := approvalDB(t)
	r, err := db.FileRequest("zhang", NewRequest{EventID: heldEvent(t, db, "zhang", shaA), Receiver: "x", Purpose: "y", Days: 1, AnyHost: true}, t0)
	if err != nil || !r.AnyHost {
		t.Fatalf("file: %+v %v", r, err)
	}
	for i, who := range []string{"li", "wang"} {
		if _, err := db.Act(r.ID, who, ActApprove, "", t0.Add(time.Duration(i+1)*time.Minute)); err != nil {
			t.Fatalf("%s approves: %v", who, err)
		}
	}
	now := t0.Add(time.Hour)
	if g, err := db.FindGrant("zhang", shaA, "mail.163.com", "personal_mail", now); err != nil || g.Host != "" {
		t.Fatalf("another webmail host: %v %v", g, err)
	}
	if _, err := db.FindGrant("zhang", shaA, "pan.baidu.com", "netdisk", now); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another category: %v", err)
	}
}

func TestQueueFilter(t *testing.T) {
	db := approvalDB(t)
	r1 := fileReq(t, db, "zhang", heldEvent(t, db, "zhang", shaA))
	r2 := fileReq(t, db, "zhang", heldEvent(t, db, "zhang", shaB))
	db.Act(r2.ID, "li", ActApprove, "", t0.Add(time.Minute))
	q, _ := db.Requests(RequestFilter{Approver: "li"})
	if len(q) != 1 || q[0].ID != r1.ID {
		t.Fatalf("li's queue = %v", q)
	}
	q, _ = db.Requests(RequestFilter{Approver: "wang"})
	if len(q) != 1 || q[0].ID != r2.ID {
		t.Fatalf("wang's queue = %v", q)
	}
	mine, _ := db.Requests(RequestFilter{Requester: "zhang"})
	if len(mine) != 2 {
		t.Fatalf("mine = %d", len(mine))
	}
	r3 := fileReq(t, db, "zhao", heldEvent(t, db, "zhao", shaA)) // lead eve, head wang
	db.Act(r3.ID, "admin1", ActApprove, "", t0.Add(time.Minute))
	for user, want := range map[string]int{"li": 2, "wang": 3, "admin1": 1, "rev2": 0, "zhao": 1} {
		if got, _ := db.Requests(RequestFilter{Involves: user}); len(got) != want {
			t.Errorf("requests involving %s: %d, want %d", user, len(got), want)
		}
	}
}
