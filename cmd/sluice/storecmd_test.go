package main

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/sluice-dlp/sluice/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestStoreMigrateToPostgres migrates a populated data dir into PostgreSQL and keeps using the same
// commands against it with --store (before or after the command) and SLUICE_STORE.
func TestStoreMigrateToPostgres(t *testing.T) {
	dir := t.TempDir()
	url := pgtest.URL(t)
	for _, args := range [][]string{{"init"},
		{"users", "add", "lisi", "--display-name", "李四", "--role", "reviewer", "--password", "pass-word-1"},
		{"users", "add", "zhangsan", "--display-name", "张三", "--lead", "lisi", "--password", "pass-word-2"}} {
		if code, out := runCaptured(t, dir, args...); code != 0 {
			t.Fatalf("%v: %d %s", args, code, out)
		}
	}
	if code, out := runCaptured(t, dir, "store", "check"); code != 0 || !strings.Contains(out, "bbolt") {
		t.Fatalf("check bbolt: %d %s", code, out)
	}
	code, out := runCaptured(t, dir, "store", "migrate", "--to", url, "--blobs", "shared", "--json")
	var res struct {
		Before int `json:"verified_before"`
		After  int `json:"verified_after"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res.Before == 0 || res.Before != res.After {
		t.Fatalf("migrate: %d %s", code, out)
	}
	if code, out := runCaptured(t, dir, "store", "migrate", "--to", url); code != exitUsage || !strings.Contains(out+"", "") {
		t.Fatalf("a second migration into a populated database: %d", code)
	}
	if code, out := runCaptured(t, dir, "--store", url, "store", "check", "--json"); code != 0 || !strings.Contains(out, `"backend": "postgres"`) {
		t.Fatalf("check postgres: %d %s", code, out)
	}
	if code, out := runCaptured(t, dir, "users", "add", "wangwu", "--lead", "lisi", "--password", "pass-word-3", "--store", url); code != 0 {
		t.Fatalf("users add on postgres: %d %s", code, out)
	}
	t.Setenv("SLUICE_STORE", url)
	code, out = runCaptured(t, dir, "users", "list", "--json")
	var users struct{ Users []struct{ Name string } }
	if code != 0 || json.Unmarshal([]byte(out), &users) != nil || len(users.Users) != 4 {
		t.Fatalf("users list on postgres: %d %s", code, out)
	}
	if code, out := runCaptured(t, dir, "audit", "verify"); code != 0 {
		t.Fatalf("audit verify on postgres: %d %s", code, out)
	}
	t.Setenv("SLUICE_STORE", "")
	// the bbolt file is untouched: it has one user fewer
	if code, out := runCaptured(t, dir, "users", "list", "--json"); code != 0 || strings.Contains(out, "wangwu") {
		t.Fatalf("bbolt after migration: %d %s", code, out)
	}
	if code, _ := runCaptured(t, dir, "--store", "mysql://x", "users", "list"); code != exitUsage {
		t.Fatalf("unknown store: %d", code)
	}
}

// TestStoreFlagLeavesCATrustStores: `sluice ca install --store nss` keeps its own --store.
func TestStoreFlagLeavesCATrustStores(t *testing.T) {
	got := hoistGlobals([]string{"sluice", "ca", "install", "--store", "nss", "--data", "d"})
	if !slices.Equal(got, []string{"sluice", "--data", "d", "ca", "install", "--store", "nss"}) {
		t.Fatalf("ca: %q", got)
	}
	got = hoistGlobals([]string{"sluice", "--data", "d", "run", "--store", "postgres://h/db"})
	if !slices.Equal(got, []string{"sluice", "--data", "d", "--store", "postgres://h/db", "run"}) {
		t.Fatalf("run: %q", got)
	}
}
