package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/internal/ops"
	"github.com/sluice-dlp/sluice/proxy/daemon"
	"github.com/sluice-dlp/sluice/store"
	"github.com/urfave/cli/v2"
)

// This file is the `sluice store` command (migrate, check) and the global --store and --blobs flags.

// storeFlag is the global --store flag: where the records are.
func storeFlag(l l10n.Lang) cli.Flag {
	return &cli.StringFlag{Name: "store", EnvVars: []string{"SLUICE_STORE"}, Usage: l.Pick(
		"记录存放处：留空为数据目录中的 bbolt 文件；postgres://用户@主机/数据库 为多个节点共享的 PostgreSQL",
		"where the records are: empty for the bbolt file in the data dir; postgres://user@host/db for a PostgreSQL database several nodes share")}
}

// blobsFlag is the global --blobs flag: where the archive is with PostgreSQL.
func blobsFlag(l l10n.Lang) cli.Flag {
	return &cli.StringFlag{Name: "blobs", EnvVars: []string{"SLUICE_BLOBS"}, Value: "local", Usage: l.Pick(
		"归档文件存放处：local（数据目录中的 blobs/）或 shared（存入 PostgreSQL，多个节点共用；需要 --store postgres://…）",
		"where the archive is: local (blobs/ in the data dir) or shared (in PostgreSQL, for several nodes; needs --store postgres://…)")}
}

// caCommandLine reports whether args run the ca command, whose own --store names trust stores.
func caCommandLine(args []string) bool {
	for i := 1; i < len(args); i++ {
		if !strings.HasPrefix(args[i], "-") {
			return args[i] == "ca"
		}
		if !strings.Contains(args[i], "=") && isGlobal(strings.TrimLeft(args[i], "-")) {
			i++ // its value
		}
	}
	return false
}

// storeConfig puts --store and --blobs into a.
func storeConfig(c *cli.Context, a *daemon.AuditConfig) error {
	l := lang(c)
	a.Store = c.String("store")
	if a.Store != "" && !store.IsPostgres(a.Store) {
		return cli.Exit(l.Pick("--store 只接受 postgres://…（留空则使用数据目录中的 bbolt 文件）", "--store takes postgres://… (leave it empty for the bbolt file in the data dir)"), exitUsage)
	}
	switch c.String("blobs") {
	case "", "local":
	case "shared":
		if a.Store == "" && c.Command.Name != "migrate" { // migrate names the store with --to
			return cli.Exit(l.Pick("--blobs shared 需要 --store postgres://…", "--blobs shared needs --store postgres://…"), exitUsage)
		}
		a.SharedBlobs = a.Store != ""
	default:
		return cli.Exit(l.Pick("--blobs 只能是 local 或 shared", "--blobs is local or shared"), exitUsage)
	}
	return nil
}

// announce makes the jobs on a shared store tell the running nodes what changed (they reload
// inspection, drop cached logins), as a daemon's own jobs do.
func announce(l *ops.Local, db *store.DB) {
	if !db.Shared() {
		return
	}
	l.InspectionChanged = func() error { return db.Publish(daemon.SignalReload, "") }
	l.CredentialsChanged = func() { db.Publish(daemon.SignalForget, "") }
}

func storeCommand(l l10n.Lang) *cli.Command {
	return &cli.Command{
		Name:  "store",
		Usage: l.Pick("记录存放处：检查、迁移到 PostgreSQL", "where the records are: check, migrate to PostgreSQL"),
		Subcommands: []*cli.Command{
			{
				Name:   "check",
				Usage:  l.Pick("打开 --store 指定的存储并校验审计链", "open the store --store names and verify its audit chain"),
				Flags:  []cli.Flag{&cli.BoolFlag{Name: "json", Usage: l.Pick("输出 JSON", "print JSON")}},
				Action: checkStore,
			},
			{
				Name:  "migrate",
				Usage: l.Pick("把数据目录中的 bbolt 存储复制到空的 PostgreSQL 数据库（先后校验审计链）", "copy the data dir's bbolt store into an empty PostgreSQL database (verifying the audit chain before and after)"),
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "to", Required: true, Usage: "postgres://user@host/db"},
					&cli.BoolFlag{Name: "json", Usage: l.Pick("输出 JSON", "print JSON")},
				},
				Action: migrateStore,
			},
		},
	}
}

// openStore opens the store at where ("" for the data dir's bbolt file) with the audit key.
func openStore(c *cli.Context, where string, shared bool) (*store.DB, error) {
	audit, err := auditConfig(c)
	if err != nil {
		return nil, err
	}
	audit.Store, audit.SharedBlobs = where, shared && where != ""
	p := daemon.PathsFor(dataDir(c))
	if where == "" {
		if _, err := os.Stat(p.DB); err != nil {
			return nil, cli.Exit(lang(c).Pick("数据目录 "+p.Dir+" 中没有数据库", "no database in "+p.Dir), exitUsage)
		}
	}
	return audit.OpenStore(p)
}

// checkStore opens the store --store names and verifies its chain.
func checkStore(c *cli.Context) error {
	l := lang(c)
	db, err := openStore(c, c.String("store"), c.String("blobs") == "shared")
	if err != nil {
		return err
	}
	defer db.Close()
	n, problems, err := db.VerifyChain()
	if err != nil {
		return err
	}
	head, _ := db.Head()
	out := map[string]any{"backend": db.Backend(), "store": db.Path(), "events": n, "head": head, "problems": problems,
		"ok": len(problems) == 0, "key_id": db.KeyID()}
	if db.Backend() == "postgres" {
		out["schema"] = store.SchemaVersion
	}
	if c.Bool("json") {
		if err := printJSON(c, out); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(c.App.Writer, "%s %s: %s\n", db.Backend(), cleanText(db.Path()), l.Pick(
			fmt.Sprintf("审计链 %d 条记录，%d 处问题", n, len(problems)), fmt.Sprintf("audit chain of %d records, %d problems", n, len(problems))))
		for _, p := range problems {
			fmt.Fprintf(c.App.Writer, "  %d: %s\n", p.ID, cleanText(p.Text(l == l10n.ZH)))
		}
	}
	if len(problems) > 0 {
		return cli.Exit("", exitUndecided)
	}
	return nil
}

// migrateStore copies the bbolt store into --to, verifying both chains.
func migrateStore(c *cli.Context) error {
	l := lang(c)
	to := c.String("to")
	if !store.IsPostgres(to) {
		return cli.Exit(l.Pick("--to 必须是 postgres://…", "--to must be postgres://…"), exitUsage)
	}
	src, err := openStore(c, "", false)
	if err != nil {
		return err
	}
	defer src.Close()
	verify := func(db *store.DB, when string) (int, error) {
		n, problems, err := db.VerifyChain()
		if err == nil && len(problems) > 0 {
			err = cli.Exit(l.Pick(fmt.Sprintf("%s：审计链有 %d 处问题（第一处：记录 %d：%s）；用 'sluice audit verify' 查看，未迁移", when, len(problems), problems[0].ID, problems[0].Text(true)),
				fmt.Sprintf("%s: the audit chain has %d problems (the first: record %d: %s); see 'sluice audit verify'; nothing migrated", when, len(problems), problems[0].ID, problems[0].Reason)), exitUndecided)
		}
		return n, err
	}
	before, err := verify(src, l.Pick("迁移前", "before migrating"))
	if err != nil {
		return err
	}
	dst, err := openStore(c, to, c.String("blobs") == "shared")
	if err != nil {
		return err
	}
	defer dst.Close()
	res, err := src.CopyTo(dst)
	if err != nil {
		return err
	}
	after, err := verify(dst, l.Pick("迁移后", "after migrating"))
	if err != nil {
		return err
	}
	if after != before {
		return cli.Exit(l.Pick(fmt.Sprintf("迁移后有 %d 条审计记录，迁移前 %d 条", after, before), fmt.Sprintf("%d audit records after migrating, %d before", after, before)), exitUndecided)
	}
	if c.Bool("json") {
		return printJSON(c, map[string]any{"copied": res, "verified_before": before, "verified_after": after, "to": dst.Path()})
	}
	fmt.Fprintln(c.App.Writer, l.Pick(
		fmt.Sprintf("已迁移到 %s：%d 条审计记录（迁移前后均校验通过）、%d 个用户、%d 个审批、%d 个授权、%d 条外发记录、%d 条客户名单、%d 个指纹、%d 个归档文件。以后请用 --store（或 SLUICE_STORE）启动 sluice。",
			cleanText(dst.Path()), res.Events, res.Users, res.Requests, res.Grants, res.Marks, res.Customers, res.Fingerprints, res.Blobs),
		fmt.Sprintf("migrated to %s: %d audit records (verified before and after), %d users, %d requests, %d grants, %d outbound records, %d customer-list entries, %d fingerprints, %d blobs. From now on start sluice with --store (or SLUICE_STORE).",
			cleanText(dst.Path()), res.Events, res.Users, res.Requests, res.Grants, res.Marks, res.Customers, res.Fingerprints, res.Blobs)))
	return nil
}
