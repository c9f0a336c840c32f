package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/sluice-dlp/sluice/proxy"
	"github.com/sluice-dlp/sluice/store"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

func userFlags() []cli.Flag {
	return append(daemonFlags(),
		&cli.StringFlag{Name: "display-name", Usage: "name shown in watermarks, e.g. 张三", EnvVars: []string{"SLUICE_DISPLAY_NAME"}},
		&cli.StringFlag{Name: "staff-id", Usage: "staff ID shown in watermarks, e.g. A1024", EnvVars: []string{"SLUICE_STAFF_ID"}},
		&cli.StringFlag{Name: "department", Usage: "department", EnvVars: []string{"SLUICE_DEPARTMENT"}},
		&cli.StringFlag{Name: "lead", Usage: "login name of the direct lead (first approver)", EnvVars: []string{"SLUICE_LEAD"}},
		&cli.StringFlag{Name: "head", Usage: "login name of the department head (second approver)", EnvVars: []string{"SLUICE_HEAD"}},
		&cli.StringSliceFlag{Name: "role", Usage: "staff, reviewer, admin, investigator (repeatable)", EnvVars: []string{"SLUICE_ROLE"}},
		&cli.StringFlag{Name: "password", Usage: "password (else read from the terminal or stdin)", EnvVars: []string{"SLUICE_PASSWORD"}},
		&cli.BoolFlag{Name: "no-password", Usage: "create without a password (only for --user single-user proxies)", EnvVars: []string{"SLUICE_NO_PASSWORD"}},
	)
}

func init() {
	register(&cli.Command{
		Name:  "users",
		Usage: "manage staff, reviewers, admins and investigators",
		Subcommands: []*cli.Command{
			{Name: "add", Usage: "add a user", ArgsUsage: "NAME", Flags: userFlags(), Action: usersAdd},
			{Name: "set", Usage: "change a user's details (only the flags given)", ArgsUsage: "NAME", Flags: userFlags(), Action: usersSet},
			{Name: "list", Usage: "list users", Flags: append(daemonFlags(), &cli.BoolFlag{Name: "json", Usage: "print one JSON document", EnvVars: []string{"SLUICE_JSON"}}), Action: usersList},
			{Name: "passwd", Usage: "set a user's password", ArgsUsage: "NAME", Flags: userFlags(), Action: usersPasswd},
			{Name: "token", Usage: "create an API token for the extension or the CLI", ArgsUsage: "NAME", Flags: daemonFlags(), Action: usersToken},
		},
	})
}

// readPassword takes --password, else prompts on a terminal, else reads one line from stdin.
func readPassword(c *cli.Context) (string, error) {
	if p := c.String("password"); p != "" {
		return p, nil
	}
	if term.IsTerminal(int(os.Stdin.Fd())) {
		fmt.Fprint(os.Stderr, l10n(c, "密码: ", "Password: "))
		b, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(os.Stderr)
		return string(b), err
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", cli.Exit(l10n(c, "sluice: 请用 --password 或标准输入提供密码", "sluice: give the password with --password or on stdin"), exitUsage)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func nameArg(c *cli.Context) (string, error) { return exactlyOne(c, "user NAME") }

func applyUserFlags(c *cli.Context, u *store.User) {
	if c.IsSet("display-name") {
		u.DisplayName = c.String("display-name")
	}
	if c.IsSet("staff-id") {
		u.StaffID = c.String("staff-id")
	}
	if c.IsSet("department") {
		u.Department = c.String("department")
	}
	if c.IsSet("lead") {
		u.Lead = c.String("lead")
	}
	if c.IsSet("head") {
		u.Head = c.String("head")
	}
	if c.IsSet("role") {
		u.Roles = c.StringSlice("role")
	}
}

// saveUser writes u (with an optional new password) directly or through the daemon.
func saveUser(c *cli.Context, u *store.User, password string, mustBeNew bool) error {
	db, api, err := storeOrAPI(c)
	if err != nil {
		return err
	}
	if api != nil {
		return api.do("POST", "/api/admin/users", proxy.UserUpdate{User: *u, Password: password}, nil)
	}
	defer db.Close()
	if old, err := db.User(u.Name); err == nil {
		if mustBeNew {
			return cli.Exit(l10n(c, "sluice: 用户 "+u.Name+" 已存在；修改请用 'sluice users set'", "sluice: user "+u.Name+" exists; change it with 'sluice users set'"), exitUsage)
		}
		u.PasswordHash, u.Created = old.PasswordHash, old.Created
	}
	if password != "" {
		if u.PasswordHash, err = store.HashPassword(password); err != nil {
			return cli.Exit(err.Error(), exitUsage)
		}
	}
	return db.PutUser(u)
}

// loadUser fetches one user directly or through the daemon.
func loadUser(c *cli.Context, name string) (*store.User, error) {
	us, err := allUsers(c)
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		if u.Name == name {
			return u, nil
		}
	}
	return nil, cli.Exit(l10n(c, "sluice: 没有用户 "+name+"；用 'sluice users add "+name+"' 添加", "sluice: no user "+name+"; add it with 'sluice users add "+name+"'"), exitUndecided)
}

func allUsers(c *cli.Context) ([]*store.User, error) {
	db, api, err := storeOrAPI(c)
	if err != nil {
		return nil, err
	}
	if api != nil {
		var ans struct{ Users []*store.User }
		return ans.Users, api.do("GET", "/api/admin/users", nil, &ans)
	}
	defer db.Close()
	return db.Users()
}

func usersAdd(c *cli.Context) error {
	name, err := nameArg(c)
	if err != nil {
		return err
	}
	u := &store.User{Name: name, Roles: []string{store.RoleStaff}}
	applyUserFlags(c, u)
	pw := ""
	if !c.Bool("no-password") {
		if pw, err = readPassword(c); err != nil {
			return err
		}
	}
	if err := saveUser(c, u, pw, true); err != nil {
		return failure(err)
	}
	fmt.Println(l10n(c, "已添加用户 ", "added user ") + name)
	return nil
}

// changeUser loads NAME, lets change edit it, saves it with password (if any) and confirms.
func changeUser(c *cli.Context, change func(u *store.User) (password string, err error), done string) error {
	name, err := nameArg(c)
	if err != nil {
		return err
	}
	u, err := loadUser(c, name)
	if err != nil {
		return err
	}
	pw, err := change(u)
	if err != nil {
		return err
	}
	if err := saveUser(c, u, pw, false); err != nil {
		return failure(err)
	}
	fmt.Println(done + name)
	return nil
}

func usersSet(c *cli.Context) error {
	return changeUser(c, func(u *store.User) (string, error) {
		applyUserFlags(c, u)
		return c.String("password"), nil
	}, l10n(c, "已更新用户 ", "updated user "))
}

func usersPasswd(c *cli.Context) error {
	return changeUser(c, func(*store.User) (string, error) { return readPassword(c) }, l10n(c, "已修改密码：", "password changed for "))
}

func usersToken(c *cli.Context) error {
	name, err := nameArg(c)
	if err != nil {
		return err
	}
	db, api, err := storeOrAPI(c)
	if err != nil {
		return err
	}
	var tok string
	if api != nil {
		var ans struct{ Token string }
		if err := api.do("POST", "/api/admin/users/"+name+"/token", nil, &ans); err != nil {
			return failure(err)
		}
		tok = ans.Token
	} else {
		defer db.Close()
		if tok, err = db.NewToken(name); err != nil {
			return failure(err)
		}
	}
	fmt.Println(tok)
	return nil
}

func usersList(c *cli.Context) error {
	us, err := allUsers(c)
	if err != nil {
		return failure(err)
	}
	for _, u := range us {
		u.PasswordHash = ""
	}
	if c.Bool("json") {
		return printJSON(map[string]any{"users": us})
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, l10n(c, "账号\t姓名\t工号\t部门\t直属主管\t部门负责人\t角色", "NAME\tDISPLAY\tSTAFF ID\tDEPARTMENT\tLEAD\tHEAD\tROLES"))
	for _, u := range us {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.Name, u.DisplayName, u.StaffID, u.Department, u.Lead, u.Head, strings.Join(u.Roles, ","))
	}
	return tw.Flush()
}
