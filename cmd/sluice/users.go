package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/internal/ops"
	"github.com/sluice-dlp/sluice/store"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

func userFlags(l l10n.Lang) []cli.Flag {
	return append(connFlags(l),
		&cli.StringFlag{Name: "display-name", Usage: l.Pick("水印中显示的姓名，如 张三", "name shown in watermarks, e.g. 张三"), EnvVars: []string{"SLUICE_DISPLAY_NAME"}},
		&cli.StringFlag{Name: "staff-id", Usage: l.Pick("水印中显示的工号，如 A1024", "staff ID shown in watermarks, e.g. A1024"), EnvVars: []string{"SLUICE_STAFF_ID"}},
		&cli.StringFlag{Name: "department", Usage: l.Pick("部门", "department"), EnvVars: []string{"SLUICE_DEPARTMENT"}},
		&cli.StringFlag{Name: "lead", Usage: l.Pick("直属上级的登录名（第一审批人）", "login name of the direct lead (first approver)"), EnvVars: []string{"SLUICE_LEAD"}},
		&cli.StringFlag{Name: "head", Usage: l.Pick("部门负责人的登录名（第二审批人）", "login name of the department head (second approver)"), EnvVars: []string{"SLUICE_HEAD"}},
		&cli.StringSliceFlag{Name: "role", Usage: l.Pick("staff、reviewer、admin、investigator（可重复）", "staff, reviewer, admin, investigator (repeatable)"), EnvVars: []string{"SLUICE_ROLE"}},
		&cli.BoolFlag{Name: "disabled", Usage: l.Pick("停用账号（--disabled=false 恢复）", "disable the account (--disabled=false enables it)"), EnvVars: []string{"SLUICE_DISABLED"}},
		passwordFlag(l),
		&cli.BoolFlag{Name: "no-password", Usage: l.Pick("不设密码（仅用于 --user 单用户代理）", "create without a password (only for --user single-user proxies)"), EnvVars: []string{"SLUICE_NO_PASSWORD"}},
	)
}

// passwordFlag is --password, for the commands that set one.
func passwordFlag(l l10n.Lang) cli.Flag {
	return &cli.StringFlag{Name: "password", Usage: l.Pick("密码（否则从终端或标准输入读取）", "password (else read from the terminal or stdin)"), EnvVars: []string{"SLUICE_PASSWORD"}}
}

func usersCommand(l l10n.Lang) *cli.Command {
	name := l.Pick("用户名", "NAME")
	return &cli.Command{
		Name:  "users",
		Usage: l.Pick("管理员工、审批人、管理员和调查员", "manage staff, reviewers, admins and investigators"),
		Subcommands: []*cli.Command{
			{Name: "add", Usage: l.Pick("添加用户（已存在则拒绝）", "add a user (refused if it exists)"), ArgsUsage: name, Flags: userFlags(l), Action: usersAdd},
			{Name: "set", Usage: l.Pick("修改用户信息（只改给出的选项）", "change a user's details (only the flags given)"), ArgsUsage: name, Flags: userFlags(l), Action: usersSet},
			{Name: "list", Usage: l.Pick("列出用户", "list users"), Flags: append(connFlags(l), jsonFlag(l)), Action: usersList},
			{Name: "passwd", Usage: l.Pick("设置用户密码", "set a user's password"), ArgsUsage: name, Flags: append(connFlags(l), passwordFlag(l)), Action: usersPasswd},
			{Name: "token", Usage: l.Pick("为浏览器扩展或命令行创建 API 令牌", "create an API token for the extension or the CLI"), ArgsUsage: name, Flags: connFlags(l), Action: usersToken},
			{Name: "revoke", Usage: l.Pick("吊销用户的全部 API 令牌", "revoke every API token of a user"), ArgsUsage: name, Flags: connFlags(l), Action: usersRevoke},
			departCommand(l),
		},
	}
}

func jsonFlag(l l10n.Lang) cli.Flag {
	return &cli.BoolFlag{Name: "json", Usage: l.Pick("输出一个 JSON 文档", "print one JSON document"), EnvVars: []string{"SLUICE_JSON"}}
}

// readPassword takes --password, else prompts on a terminal, else reads one line from stdin.
func readPassword(c *cli.Context) (string, error) {
	if p := c.String("password"); p != "" {
		return p, nil
	}
	if term.IsTerminal(int(os.Stdin.Fd())) {
		fmt.Fprint(c.App.ErrWriter, lang(c).Pick("密码: ", "Password: "))
		b, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(c.App.ErrWriter)
		return string(b), err
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", usage(c, "请用 --password 或标准输入提供密码", "give the password with --password or on stdin")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func nameArg(c *cli.Context) (string, error) { return exactlyOne(c, "用户名", "user NAME") }

// userJob reads the command's user NAME and connects to the jobs (the daemon's API or the store).
func userJob(c *cli.Context) (string, ops.Ops, error) {
	name, err := nameArg(c)
	if err != nil {
		return "", nil, err
	}
	o, err := connect(c, false, "")
	return name, o, err
}

// userChange collects the flags given on the command line.
func userChange(c *cli.Context) api.UserChange {
	var ch api.UserChange
	str := func(flag string) *string {
		if !c.IsSet(flag) {
			return nil
		}
		v := c.String(flag)
		return &v
	}
	ch.DisplayName, ch.StaffID, ch.Department = str("display-name"), str("staff-id"), str("department")
	ch.Lead, ch.Head = str("lead"), str("head")
	if c.IsSet("role") {
		roles := c.StringSlice("role")
		ch.Roles = &roles
	}
	if c.IsSet("disabled") {
		d := c.Bool("disabled")
		ch.Disabled = &d
	}
	return ch
}

// ctxOf is the context jobs run in: replies in the chosen language.
func ctxOf(c *cli.Context) context.Context { return l10n.WithLang(c.Context, lang(c)) }

func usersAdd(c *cli.Context) error {
	name, err := nameArg(c)
	if err != nil {
		return err
	}
	u := &store.User{Name: name}
	userChange(c).Apply(u)
	pw := ""
	if !c.Bool("no-password") {
		if pw, err = readPassword(c); err != nil {
			return err
		}
	}
	o, err := connect(c, false, "")
	if err != nil {
		return err
	}
	defer o.Close()
	if _, err := o.AddUser(ctxOf(c), api.NewUser{User: api.UserOf(u), Password: pw}); err != nil {
		return err
	}
	fmt.Fprintln(c.App.Writer, lang(c).Pick("已添加用户 ", "added user ")+name)
	return nil
}

func usersSet(c *cli.Context) error {
	name, o, err := userJob(c)
	if err != nil {
		return err
	}
	defer o.Close()
	ch := userChange(c)
	if ch != (api.UserChange{}) {
		if _, err := o.UpdateUser(ctxOf(c), name, ch); err != nil {
			return err
		}
	}
	if pw := c.String("password"); pw != "" {
		if err := o.SetPassword(ctxOf(c), name, pw); err != nil {
			return err
		}
	} else if ch == (api.UserChange{}) {
		return usage(c, "没有要修改的内容；请给出 --display-name、--role 等选项", "nothing to change; give --display-name, --role and so on")
	}
	fmt.Fprintln(c.App.Writer, lang(c).Pick("已更新用户 ", "updated user ")+name)
	return nil
}

func usersPasswd(c *cli.Context) error {
	name, err := nameArg(c)
	if err != nil {
		return err
	}
	pw, err := readPassword(c)
	if err != nil {
		return err
	}
	o, err := connect(c, false, "")
	if err != nil {
		return err
	}
	defer o.Close()
	if err := o.SetPassword(ctxOf(c), name, pw); err != nil {
		return err
	}
	fmt.Fprintln(c.App.Writer, lang(c).Pick("已修改密码：", "password changed for ")+name)
	return nil
}

func usersToken(c *cli.Context) error {
	name, o, err := userJob(c)
	if err != nil {
		return err
	}
	defer o.Close()
	tok, err := o.IssueToken(ctxOf(c), name)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.App.Writer, tok)
	return nil
}

func usersRevoke(c *cli.Context) error {
	name, o, err := userJob(c)
	if err != nil {
		return err
	}
	defer o.Close()
	n, err := o.RevokeTokens(ctxOf(c), name)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.App.Writer, lang(c).Pick(fmt.Sprintf("已吊销 %s 的 %d 个令牌", name, n), fmt.Sprintf("revoked %d tokens of %s", n, name)))
	return nil
}

func usersList(c *cli.Context) error {
	o, err := connect(c, false, "")
	if err != nil {
		return err
	}
	defer o.Close()
	us, err := o.Users(ctxOf(c))
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return printJSON(c, api.Users{Users: us})
	}
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, lang(c).Pick("账号\t姓名\t工号\t部门\t直属上级\t部门负责人\t角色", "NAME\tDISPLAY\tSTAFF ID\tDEPARTMENT\tLEAD\tHEAD\tROLES"))
	for _, u := range us {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", clean(u.Name), clean(u.DisplayName), clean(u.StaffID), clean(u.Department),
			clean(u.Lead), clean(u.Head), clean(strings.Join(u.Roles, ",")))
	}
	return tw.Flush()
}
