package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sluice-dlp/sluice/internal/api"
)

// TestCommandsBehaveTheSameWithAndWithoutDaemon runs one table of commands on the store directly and
// through a running daemon's API: the answers, exit codes and audit records must not differ.
func TestCommandsBehaveTheSameWithAndWithoutDaemon(t *testing.T) {
	steps := []struct {
		args   string // split on spaces
		lang   string
		code   int
		stdout string // must contain
		stderr string // must contain
	}{
		{"users add lisi --display-name 李四 --staff-id A2001 --role reviewer --password pass-word-1", "en", 0, "added user lisi", ""},
		{"users add wangwu --display-name 王五 --staff-id A3001 --role reviewer --password pass-word-1", "en", 0, "", ""},
		{"users add zhangsan --display-name 张三 --staff-id A1024 --lead lisi --head wangwu --password pass-word-2", "en", 0, "", ""},
		// an existing user is never overwritten (through the daemon it used to be, silently)
		{"users add zhangsan --staff-id B9 --password pass-word-3", "en", exitUsage, "", "user zhangsan exists; change it with 'sluice users set zhangsan'"},
		{"users add zhangsan --staff-id B9 --password pass-word-3", "zh-CN", exitUsage, "", "用户 zhangsan 已存在"},
		{"users add zhao --lead ghost --password pass-word-4", "en", exitUsage, "", "sluice users add ghost"},
		{"users set zhangsan --role staff --role investigator", "en", 0, "updated user zhangsan", ""},
		{"users token zhangsan", "en", 0, "slc_", ""},
		{"users revoke zhangsan", "en", 0, "revoked 1 tokens of zhangsan", ""},
		{"users revoke ghost", "en", exitUsage, "", "no user ghost"},
		{"approvals list --json", "en", 0, `"requests": []`, ""},
		{"approvals show R-NOPE", "en", exitUsage, "", "no request R-NOPE"},
		{"bogus", "en", exitUsage, "", `no command "bogus"`},
		{"users bogus", "zh-CN", exitUsage, "", "没有 \"bogus\" 这个命令"},
		{"users add", "en", exitUsage, "", "see 'sluice users add --help'"},
		{"mark", "zh-CN", exitUsage, "", "请给出 --user"},
		{"policy check", "en", 0, "is valid", ""},
		{"users add zz4 --role boss --password pass-word-5", "zh-CN", exitUsage, "", "用户 zz4 的角色 \"boss\" 无效"},
		{"run --listen bogus", "en", exitUsage, "", `--listen "bogus" is not a HOST:PORT address`},
		{"trace " + "no-such-file.png", "en", exitUndecided, "", "cannot read no-such-file.png"},
	}
	for _, mode := range []string{"direct", "daemon"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			if code, _ := runCaptured(t, dir, "init"); code != 0 {
				t.Fatal("init")
			}
			if mode == "daemon" {
				startDaemon(t, dir)
			}
			for _, s := range steps {
				code, out, errOut := runLang(t, dir, s.lang, strings.Fields(s.args)...)
				if code != s.code || !strings.Contains(out, s.stdout) || !strings.Contains(errOut, s.stderr) {
					t.Errorf("sluice %s: exit %d (want %d)\nstdout: %s\nstderr: %s", s.args, code, s.code, out, errOut)
				}
				if strings.Count(errOut, "sluice:") > 1 || strings.Contains(errOut, "sluice sluice") {
					t.Errorf("sluice %s: the program is named more than once: %s", s.args, errOut)
				}
			}
			if mode == "daemon" { // a token the daemon does not know is named as the problem
				if code, _, errOut := runLang(t, dir, "en", "users", "list", "--token", "slc_bogus"); code == 0 || !strings.Contains(errOut, "the token is not valid, was revoked") {
					t.Errorf("a bad token: exit %d: %s", code, errOut)
				}
			}
			code, out := runCaptured(t, dir, "users", "list", "--json")
			var us api.Users
			if code != 0 || json.Unmarshal([]byte(out), &us) != nil {
				t.Fatalf("users list: %d %s", code, out)
			}
			for _, u := range us.Users {
				if u.Name == "zhangsan" && (u.StaffID != "A1024" || strings.Join(u.Roles, ",") != "staff,investigator" || u.Lead != "lisi") {
					t.Errorf("zhangsan after the refused re-add and the role change: %+v", u)
				}
				if u.Name == "zhao" {
					t.Errorf("a user with a lead that does not exist was added")
				}
			}
			code, out = runCaptured(t, dir, "audit", "list", "--json", "--limit", "1000")
			var evs api.Events
			if code != 0 || json.Unmarshal([]byte(out), &evs) != nil {
				t.Fatalf("audit list: %d %s", code, out)
			}
			var actions []string
			for i := len(evs.Events) - 1; i >= 0; i-- {
				if e := evs.Events[i]; e.Extra["target"] != "admin" {
					actions = append(actions, e.Action+":"+e.Extra["target"])
				}
			}
			want := "user.add:lisi user.add:wangwu user.add:zhangsan user.update:zhangsan token.issue:zhangsan token.revoke:zhangsan"
			if strings.Join(actions, " ") != want {
				t.Errorf("audited admin changes:\n got %s\nwant %s", strings.Join(actions, " "), want)
			}
		})
	}
}

func TestGlobalFlagsAfterTheCommandAndVersion(t *testing.T) {
	dir := t.TempDir()
	runCaptured(t, dir, "init")
	var stdout, stderr strings.Builder
	if code := run([]string{"sluice", "policy", "check", "--lang", "en", "--data", dir}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "is valid") {
		t.Fatalf("--lang and --data after the command: %d %s %s", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	if code := run([]string{"sluice", "--version"}, &stdout, &stderr); code != 0 || !strings.HasPrefix(stdout.String(), "sluice version ") {
		t.Fatalf("--version: %d %q", code, stdout.String())
	}
	stdout.Reset()
	if code := run([]string{"sluice", "--data", dir, "users", "--help"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "管理员工、审批人") {
		t.Fatalf("help is not in Chinese by default: %s", stdout.String())
	}
}
