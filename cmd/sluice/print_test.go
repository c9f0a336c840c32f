package main

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/store"
)

// evil is a crafted file name (X-File-Name): it clears the screen, returns the cursor, starts a forged
// row, reverses the text direction so "exe.xlsx" reads as ".xlsx", and carries C1, DEL and isolates.
const evil = "a\x1b[2J\rb\nFORGED\t1\u202egpj.exe\u009b31m\x7f\u2066x\u2069\u2028"

// unsafeRune reports the runes a terminal acts on or reorders: C0 (but the line breaks the printer
// itself writes), DEL, C1, the bidi embeddings, overrides and isolates, and the line separators.
func unsafeRune(r rune) bool {
	return r < 0x20 && r != '\n' || r >= 0x7f && r <= 0x9f || r >= 0x202a && r <= 0x202e ||
		r >= 0x2066 && r <= 0x2069 || r == 0x2028 || r == 0x2029
}

// TestPrintersEscapeControlCharacters is issue #19's finding: `sluice audit list` printed control
// characters from file names, so a crafted X-File-Name cleared the terminal and forged a row. Every
// table prints them escaped, one row per record, and --json stays valid JSON with the same values.
func TestPrintersEscapeControlCharacters(t *testing.T) {
	dir := t.TempDir()
	runCaptured(t, dir, "init")
	db, err := store.Open(filepath.Join(dir, "sluice.db"), filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	e := &store.Event{Action: "upload", User: "zhangsan", Host: "pan.baidu.com", Path: "/" + evil, Verdict: "block",
		Reasons: []string{evil}, Files: []store.FileRecord{{Name: evil, Size: 1, SHA256: strings.Repeat("a", 64)}}}
	if err := db.AppendEvent(e); err != nil {
		t.Fatal(err)
	}
	if err := db.PutOutbound(&store.Outbound{EventID: e.ID, Time: time.Now(), User: "zhangsan", DisplayName: evil, StaffID: evil,
		Host: "pan.baidu.com", FileName: evil, OrigSHA256: strings.Repeat("b", 64), ApprovalID: evil}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []*store.User{{Name: "lisi", Roles: []string{store.RoleReviewer}}, {Name: "zhangsan", Lead: "lisi", Roles: []string{store.RoleStaff}}} {
		if err := db.CreateUser("admin", u); err != nil {
			t.Fatal(err)
		}
	}
	held := &store.Event{Action: "upload", User: "zhangsan", Host: "mail.qq.com", Verdict: "approval",
		Files: []store.FileRecord{{Name: evil, Size: 1, SHA256: strings.Repeat("c", 64)}}}
	db.AppendEvent(held)
	r, err := db.FileRequest("zhangsan", store.NewRequest{EventID: held.ID, Receiver: evil, Purpose: evil, Days: 1}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	for _, args := range [][]string{{"audit", "list", "--action", "upload", "--verdict", "block"}, {"archive", "search"},
		{"approvals", "list", "--as", "zhangsan"}, {"approvals", "show", r.ID, "--as", "zhangsan"}} {
		code, out := runCaptured(t, dir, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d", args, code)
		}
		if i := strings.IndexFunc(out, unsafeRune); i >= 0 {
			t.Errorf("%v printed %q raw:\n%q", args, []rune(out[i:])[0], out)
		}
		if lines := strings.Count(out, "\n"); lines != 2 && args[1] != "show" {
			t.Errorf("%v printed %d lines for one record (a forged row?):\n%s", args, lines, out)
		}
		if !strings.Contains(out, `\x1b[2J\rb\nFORGED\t1\u202egpj.exe`) {
			t.Errorf("%v does not show the name escaped:\n%s", args, out)
		}
		code, js := runCaptured(t, dir, append(args, "--json")...)
		var doc any
		if code != 0 || json.Unmarshal([]byte(js), &doc) != nil {
			t.Fatalf("%v --json: exit %d, not JSON:\n%s", args, code, js)
		}
		if i := strings.IndexFunc(js, unsafeRune); i >= 0 {
			t.Errorf("%v --json printed %q raw", args, []rune(js[i:])[0])
		}
		if !strings.Contains(js, `"`+strings.ReplaceAll(strconv.Quote(evil)[1:9], `\x1b`, `\u001b`)) {
			t.Errorf("%v --json: the value does not decode back to what was stored:\n%s", args, js)
		}
		if !containsValue(doc, evil) {
			t.Errorf("%v --json: no value decodes to the stored name", args)
		}
	}
}

// containsValue reports whether a decoded JSON document holds the string v anywhere.
func containsValue(doc any, v string) bool {
	switch d := doc.(type) {
	case string:
		return d == v
	case []any:
		for _, x := range d {
			if containsValue(x, v) {
				return true
			}
		}
	case map[string]any:
		for _, x := range d {
			if containsValue(x, v) {
				return true
			}
		}
	}
	return false
}

// TestCleanEscapesEveryUnsafeRune covers each class the printers must not pass to a terminal.
func TestCleanEscapesEveryUnsafeRune(t *testing.T) {
	for _, r := range []rune{0, 7, 8, '\t', '\n', '\r', 0x1b, 0x7f, 0x80, 0x85, 0x9b, 0x9f, 0x200e, 0x200f, 0x061c,
		0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x2028, 0x2029} {
		s := "x" + string(r) + "y"
		got := clean(s)
		if strings.ContainsRune(got, r) || !strings.HasPrefix(got, "x\\") {
			t.Errorf("clean(%q) = %q", s, got)
		}
		raw, _ := json.Marshal(s)
		js := escapeJSON(raw)
		var back string
		if strings.ContainsRune(string(js), r) || json.Unmarshal(js, &back) != nil || back != s {
			t.Errorf("escapeJSON(%q) = %s", s, js)
		}
	}
	if got := clean("客户清单 2026.xlsx"); got != "客户清单 2026.xlsx" {
		t.Errorf("clean changed a harmless name: %q", got)
	}
	if got := cleanText("line one\nline\x1b two"); got != "line one\nline\\x1b two" {
		t.Errorf("cleanText = %q", got)
	}
}
