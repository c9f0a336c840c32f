package store

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func openTestDB(t *testing.T) *DB {
	t.Helper()
	dir := t.TempDir()
	db, err := Open(filepath.Join(dir, "sluice.db"), filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestCustomerImportLookupStatsClear(t *testing.T) {
	db := openTestDB(t)
	salt, err := db.CustomerSalt()
	if err != nil {
		t.Fatal(err)
	}
	salt2, _ := db.CustomerSalt()
	if len(salt) != 32 || !bytes.Equal(salt, salt2) {
		t.Fatalf("salt not stable: %x vs %x", salt, salt2)
	}
	entries := []CustomerHashes{
		{CustomerKey(salt, "company", "星河贸易有限公司"), CustomerKey(salt, "phone", "13812345678"), CustomerKey(salt, "email", "a@xinghe.cn")},
		{CustomerKey(salt, "company", "星河贸易有限公司"), CustomerKey(salt, "contact", "李娜"), CustomerKey(salt, "phone", "13912345678")},
		{},
	}
	res, err := db.ImportCustomers(entries)
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 2 || res.Empty != 1 || res.Duplicates != 0 {
		t.Errorf("import result = %+v", res)
	}
	res, _ = db.ImportCustomers(entries[:2])
	if res.Added != 0 || res.Duplicates != 2 {
		t.Errorf("re-import result = %+v, want 2 duplicates", res)
	}
	st, err := db.CustomerStats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Entries != 2 || st.Values != 5 || st.ByField["company"] != 2 || st.ByField["phone"] != 2 || st.Imported.IsZero() {
		t.Errorf("stats = %+v", st)
	}
	ix, err := db.LoadCustomerIndex()
	if err != nil {
		t.Fatal(err)
	}
	id1, ok1 := ix.LookupCustomer("phone", "13812345678")
	id2, ok2 := ix.LookupCustomer("phone", "13912345678")
	idc, okc := ix.LookupCustomer("company", "星河贸易有限公司")
	if !ok1 || !ok2 || !okc || id1 == id2 || idc != id1 {
		t.Errorf("lookups: %d %v, %d %v, company %d %v", id1, ok1, id2, ok2, idc, okc)
	}
	if _, ok := ix.LookupCustomer("email", "13812345678"); ok {
		t.Error("a phone value must not match in the email field")
	}
	if _, ok := ix.LookupCustomer("phone", "13812345679"); ok {
		t.Error("unknown phone matched")
	}
	before, _ := db.CustomerStats()
	if n, err := db.ClearCustomers("admin"); err != nil || n != before.Entries || n == 0 {
		t.Fatalf("clear: %d entries (had %d), %v", n, before.Entries, err)
	}
	if evs, _ := db.Events(EventFilter{User: "admin"}); len(evs) != 1 || evs[0].Action != "customers.clear" || evs[0].Extra["entries"] != fmt.Sprint(before.Entries) {
		t.Fatalf("clear not audited: %+v", evs)
	}
	if st, err = db.CustomerStats(); err != nil || st.Entries != 0 || st.Values != 0 {
		t.Errorf("after clear: %+v", st)
	}
	salt3, _ := db.CustomerSalt()
	if bytes.Equal(salt, salt3) {
		t.Error("clear must rotate the salt")
	}
	ix, _ = db.LoadCustomerIndex()
	if _, ok := ix.LookupCustomer("phone", "13812345678"); ok || ix.Len() != 0 {
		t.Error("index not empty after clear")
	}
}

func TestCustomerStoreHoldsNoPlaintext(t *testing.T) {
	db := openTestDB(t)
	salt, _ := db.CustomerSalt()
	values := map[string]string{"company": "星河贸易有限公司", "contact": "李娜", "phone": "13812345678", "email": "lina@xinghe.cn"}
	var e CustomerHashes
	for f, v := range values {
		e = append(e, CustomerKey(salt, f, v))
	}
	if _, err := db.ImportCustomers([]CustomerHashes{e}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := os.ReadFile(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range values {
		if bytes.Contains(raw, []byte(v)) {
			t.Errorf("database file contains plaintext %q", v)
		}
	}
}
