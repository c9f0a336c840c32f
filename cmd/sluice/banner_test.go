package main

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFirstStartBannerAddsAUserAndSaysWhoTrafficIsFor: the first `sluice run` prints the quick start
// (adding staff with their approvers, and how traffic is attributed); a loopback proxy without --user
// says at every start that marks will carry the OS account's name, and how to fix it.
func TestFirstStartBannerAddsAUserAndSaysWhoTrafficIsFor(t *testing.T) {
	dir := t.TempDir()
	read := func(args string, want ...string) string {
		t.Helper()
		cmd, log := runChild(t, "run --data "+dir+" --listen 127.0.0.1:0 --console 127.0.0.1:0 "+args)
		var out strings.Builder
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) && log.Scan() {
			out.WriteString(log.Text() + "\n")
			done := true
			for _, w := range want {
				done = done && strings.Contains(out.String(), w)
			}
			if done {
				break
			}
		}
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		for _, w := range want {
			if !strings.Contains(out.String(), w) {
				t.Fatalf("sluice run %s does not print %q:\n%s", args, w, out.String())
			}
		}
		return out.String()
	}
	first := read("--lang zh-CN", "快速开始", "sluice users add zhangsan", "--lead lisi --head wangwu", "sluice run --user zhangsan",
		"注意：代理只在本机监听且未指定 --user", "--user 用户名")
	if strings.Count(first, "快速开始") != 1 {
		t.Fatalf("quick start printed more than once:\n%s", first)
	}
	again := read("--lang en", "Note: the proxy listens on loopback without --user", "--user NAME")
	if strings.Contains(again, "Quick start") {
		t.Fatalf("the quick start is for the first start only:\n%s", again)
	}
}
