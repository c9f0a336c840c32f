package main

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sluice-dlp/sluice/store"
)

// TestApprovalsDirectMode files and decides a request with the store opened directly (--as USER).
func TestApprovalsDirectMode(t *testing.T) {
	dir := t.TempDir()
	runCaptured(t, dir, "init")
	runCaptured(t, dir, "users", "add", "lisi", "--display-name", "李四", "--role", "reviewer", "--password", "pass-word-1")
	runCaptured(t, dir, "users", "add", "wangwu", "--display-name", "王五", "--role", "reviewer", "--password", "pass-word-1")
	runCaptured(t, dir, "users", "add", "zhangsan", "--display-name", "张三", "--staff-id", "A1024", "--lead", "lisi", "--head", "wangwu", "--password", "pass-word-2")
	db, err := store.Open(filepath.Join(dir, "sluice.db"), filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	sum, _ := db.PutBlobBytes([]byte("客户名单"))
	ev := &store.Event{Action: "upload", User: "zhangsan", Host: "mail.qq.com", Category: "webmail", Verdict: "approval",
		Files: []store.FileRecord{{Name: "客户名单.xlsx", Size: 12, SHA256: sum, Blob: sum, Findings: []string{"phone×60", "contact_record×60"}},
			{Name: "(message)", Kind: store.FileKindMessage, Size: 8, SHA256: strings.Repeat("d", 64), Findings: []string{"keyword×1"}}}}
	db.AppendEvent(ev)
	db.Close()

	code, out := runCaptured(t, dir, "approvals", "request", strconv.FormatUint(ev.ID, 10), "--as", "zhangsan",
		"--receiver", "ACME 采购", "--purpose", "报价", "--days", "3", "--json")
	var req struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &req) != nil || req.ID == "" {
		t.Fatalf("request: exit %d %s", code, out)
	}
	if code, _ := runCaptured(t, dir, "approvals", "approve", req.ID, "--as", "zhangsan"); code == 0 {
		t.Fatal("the requester approved their own request")
	}
	if code, _ := runCaptured(t, dir, "approvals", "approve", req.ID, "--as", "lisi", "-m", "ok"); code != 0 {
		t.Fatal("lead approval")
	}
	if code, _ := runCaptured(t, dir, "approvals", "approve", req.ID, "--as", "lisi"); code == 0 {
		t.Fatal("the lead also approved as head")
	}
	if code, _ := runCaptured(t, dir, "approvals", "approve", req.ID, "--as", "wangwu"); code != 0 {
		t.Fatal("head approval")
	}
	code, out = runCaptured(t, dir, "approvals", "show", req.ID, "--as", "zhangsan", "--json")
	if code != 0 || !strings.Contains(out, `"status": "approved"`) {
		t.Fatalf("show: %d %s", code, out)
	}
	_, out, _ = runLang(t, dir, "zh-CN", "approvals", "show", req.ID, "--as", "zhangsan")
	if !strings.Contains(out, "客户名单.xlsx：手机号 60 个、联系人记录 60 条") || !strings.Contains(out, "消息正文：关键词 1 个") || strings.Contains(out, "×") {
		t.Errorf("show does not say what was found in words:\n%s", out)
	}
	code, out = runCaptured(t, dir, "approvals", "list", "--as", "wangwu", "--json")
	if code != 0 || !strings.Contains(out, req.ID) {
		t.Fatalf("list: %d %s", code, out)
	}
}
