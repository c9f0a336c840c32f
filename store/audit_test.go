package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func copyFile(t *testing.T, src, dst string) {
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, _ := os.Create(dst)
	io.Copy(out, in)
	out.Close()
}

func TestAuditChainDetectsTampering(t *testing.T) {
	db := openTestDB(t)
	for i, u := range []string{"zhangsan", "lisi", "zhangsan", "wangwu", "zhangsan"} {
		e := &Event{Action: "upload", User: u, Host: "pan.baidu.com", Verdict: []string{"block", "allow"}[i%2],
			Files: []FileRecord{{Name: "客户清单.xlsx", Size: 100, SHA256: strings.Repeat("a", 64)}}}
		if err := db.AppendEvent(e); err != nil {
			t.Fatal(err)
		}
	}
	n, problems, err := db.VerifyChain()
	if err != nil || n != 5 || len(problems) != 0 {
		t.Fatalf("clean chain: n=%d problems=%v err=%v", n, problems, err)
	}
	if evs, _ := db.Events(EventFilter{User: "zhangsan", Verdict: "block"}); len(evs) != 3 {
		t.Fatalf("filter found %d", len(evs))
	}
	src := db.Path()
	db.Close()
	tamper := func(name string, edit func(b *bolt.Bucket)) []ChainProblem {
		return tamperCopy(t, src, func(tx *bolt.Tx) { edit(tx.Bucket(bucketEvents)) })
	}
	edited := tamper("edit", func(b *bolt.Bucket) {
		var e Event
		json.Unmarshal(b.Get(u64(3)), &e)
		e.Verdict = "allow" // someone hides a block
		data, _ := json.Marshal(e)
		b.Put(u64(3), data)
	})
	if len(edited) == 0 || edited[0].ID != 3 || !strings.Contains(edited[0].Reason, "edited") {
		t.Fatalf("edit not named: %+v", edited)
	}
	deleted := tamper("delete", func(b *bolt.Bucket) { b.Delete(u64(2)) })
	if len(deleted) == 0 || deleted[0].ID != 2 {
		t.Fatalf("deletion not named: %+v", deleted)
	}
	last := tamper("deletelast", func(b *bolt.Bucket) { b.Delete(u64(5)) })
	if len(last) == 0 {
		t.Fatal("deleting the newest record went unnoticed")
	}
	raw := tamper("raw", func(b *bolt.Bucket) {
		b.Put(u64(4), bytes.Replace(b.Get(u64(4)), []byte("wangwu"), []byte("nobody"), 1))
	})
	if len(raw) == 0 || raw[0].ID != 4 {
		t.Fatalf("raw byte edit not named: %+v", raw)
	}
}

func TestUsersAndTokens(t *testing.T) {
	db := openTestDB(t)
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := HashPassword("short"); err == nil {
		t.Fatal("short password accepted")
	}
	u := &User{Name: "zhangsan", DisplayName: "张三", StaffID: "A1024", Lead: "lisi", Head: "wangwu", Roles: []string{RoleStaff}, PasswordHash: h}
	if err := db.CreateUser("admin", u); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "sluice users add lisi") {
		t.Fatalf("a lead that does not exist: %v", err)
	}
	for _, r := range []*User{{Name: "lisi", Roles: []string{RoleReviewer}}, {Name: "wangwu", Roles: []string{RoleReviewer}}, u} {
		if err := db.CreateUser("admin", r); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.CreateUser("admin", &User{Name: "zhangsan", StaffID: "B9"}); !errors.Is(err, ErrConflict) {
		t.Fatalf("existing user overwritten: %v", err)
	}
	if got, _ := db.User("zhangsan"); got.StaffID != "A1024" || !got.CheckPassword("correct horse") || got.CheckPassword("wrong") {
		t.Fatalf("user changed or password check wrong: %+v", got)
	}
	if err := db.CreateUser("admin", &User{Name: "bad name"}); err == nil {
		t.Fatal("user name with a space accepted")
	}
	if err := db.CreateUser("admin", &User{Name: "x", Roles: []string{"god"}}); err == nil || !strings.Contains(err.Error(), "staff, reviewer") {
		t.Fatalf("unknown role: %v", err)
	}
	if _, err := db.UpdateUser("admin", "zhangsan", func(u *User) error { u.Roles = []string{RoleStaff, RoleReviewer}; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := db.SetPassword("admin", "zhangsan", "another horse"); err != nil {
		t.Fatal(err)
	}
	tok, err := db.NewToken("admin", "zhangsan")
	if err != nil {
		t.Fatal(err)
	}
	if who, err := db.UserByToken(tok); err != nil || who.Name != "zhangsan" {
		t.Fatalf("token lookup: %v", err)
	}
	if _, err := db.UserByToken(tok + "x"); err == nil {
		t.Fatal("wrong token accepted")
	}
	data, _ := os.ReadFile(db.Path())
	if bytes.Contains(data, []byte(tok)) || bytes.Contains(data, []byte("another horse")) {
		t.Fatal("token or password stored in plaintext")
	}
	if n, err := db.RevokeTokens("admin", "zhangsan"); err != nil || n != 1 {
		t.Fatalf("revoke: %d %v", n, err)
	}
	if _, err := db.UserByToken(tok); err == nil {
		t.Fatal("revoked token still works")
	}
	// every change is in the audit chain, with who did it and to whom
	evs, _ := db.Events(EventFilter{User: "admin"})
	var got []string
	for i := len(evs) - 1; i >= 0; i-- {
		got = append(got, evs[i].Action+":"+evs[i].Extra["target"])
	}
	want := "user.add:lisi user.add:wangwu user.add:zhangsan user.update:zhangsan user.passwd:zhangsan token.issue:zhangsan token.revoke:zhangsan"
	if strings.Join(got, " ") != want {
		t.Fatalf("audited admin changes:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	if evs[3].Extra["roles"] != "staff → staff,reviewer" || evs[3].Extra["password"] != "" {
		t.Fatalf("role change record: %v", evs[3].Extra)
	}
	if _, _, err := db.VerifyChain(); err != nil {
		t.Fatal(err)
	}
}

func TestBlobsAreContentAddressed(t *testing.T) {
	db := openTestDB(t)
	a, err := db.PutBlobBytes([]byte("客户清单"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := db.PutBlobBytes([]byte("客户清单"))
	if a != b || len(a) != 64 {
		t.Fatalf("dedup failed: %s %s", a, b)
	}
	if _, err := db.OpenBlob(a); err == nil {
		t.Fatal("a blob no record refers to is already in the archive")
	}
	if err := db.AppendEvent(&Event{Action: "upload", User: "zhangsan", Files: []FileRecord{{Name: "a", SHA256: a, Blob: a}}}); err != nil {
		t.Fatal(err)
	}
	f, err := db.OpenBlob(a)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(f)
	f.Close()
	if string(got) != "客户清单" {
		t.Fatal("blob content differs")
	}
	if _, err := db.OpenBlob("../../etc/passwd"); err == nil {
		t.Fatal("path traversal in blob id accepted")
	}
}
