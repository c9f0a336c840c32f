package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/proxy/daemon"
	"github.com/sluice-dlp/sluice/store"
	"github.com/urfave/cli/v2"
)

func auditCommand(l l10n.Lang) *cli.Command {
	return &cli.Command{
		Name:  "audit",
		Usage: l.Pick("查看和校验带密钥签名链的审计日志", "list and verify the keyed, chained audit log"),
		Subcommands: []*cli.Command{
			{Name: "list", Usage: l.Pick("列出审计事件，最新的在前", "list audit events, newest first"), Action: auditList, Flags: append(connFlags(l), jsonFlag(l),
				&cli.StringFlag{Name: "user", Usage: l.Pick("只看此用户", "only this user"), EnvVars: []string{"SLUICE_AUDIT_USER"}},
				&cli.StringFlag{Name: "verdict", Usage: l.Pick("allow、block、approval、watermark、error", "allow, block, approval, watermark, error"), EnvVars: []string{"SLUICE_AUDIT_VERDICT"}},
				&cli.StringFlag{Name: "host", Usage: l.Pick("目的地主机包含", "destination host contains"), EnvVars: []string{"SLUICE_AUDIT_HOST"}},
				&cli.StringFlag{Name: "action", Usage: l.Pick("动作前缀，如 upload、approval、user", "action prefix, e.g. upload, approval, user"), EnvVars: []string{"SLUICE_AUDIT_ACTION"}},
				&cli.StringFlag{Name: "q", Usage: l.Pick("文件名包含、sha256 前缀或水印编号", "file name contains, sha256 prefix or mark id"), EnvVars: []string{"SLUICE_AUDIT_Q"}},
				&cli.StringFlag{Name: "since", Usage: l.Pick("起始时间（2026-11-22 或 RFC 3339）", "from this time (2026-11-22 or RFC 3339)"), EnvVars: []string{"SLUICE_AUDIT_SINCE"}},
				&cli.StringFlag{Name: "until", Usage: l.Pick("截止时间（2026-11-22 或 RFC 3339）", "up to this time (2026-11-22 or RFC 3339)"), EnvVars: []string{"SLUICE_AUDIT_UNTIL"}},
				&cli.IntFlag{Name: "limit", Usage: l.Pick("最多显示条数", "at most this many events"), EnvVars: []string{"SLUICE_AUDIT_LIMIT"}, Value: 100},
			)},
			{Name: "verify", Usage: l.Pick("检查审计记录是否被修改、删除或调换顺序，并与见证的链头对比（默认：数据目录中的 audit-witness.jsonl；--witness 指定其他见证）", "check that no audit record was edited, deleted or reordered, and compare with the heads a witness kept (default: audit-witness.jsonl in the data dir; --witness names others)"),
				Action: auditVerify, Flags: append(connFlags(l), jsonFlag(l),
					&cli.StringSliceFlag{Name: "witness", Usage: l.Pick("见证文件（sluice run --witness-file）或返回见证记录的网址（可重复）", "witness file (sluice run --witness-file) or a URL answering with the witness records (repeatable)"), EnvVars: []string{"SLUICE_VERIFY_WITNESS"}})},
			{Name: "rekey", Usage: l.Pick("一次性迁移旧版本的未签名审计链：先校验旧链，再用审计密钥签名并记录迁移（守护进程须已停止）", "migrate an unkeyed audit chain from an older Sluice, once: verify the old chain, then key it and record the migration (stop the daemon first)"),
				Action: auditRekey, Flags: []cli.Flag{jsonFlag(l),
					&cli.BoolFlag{Name: "force", Usage: l.Pick("旧链校验未通过也迁移（问题会记入迁移事件）", "migrate even if the old chain does not verify (the problems are recorded in the migration event)")},
					&cli.StringFlag{Name: "as", Usage: l.Pick("记在迁移事件中的操作人", "who is recorded as doing the migration"), Value: "admin"}}},
		},
	}
}

func auditList(c *cli.Context) error {
	since, err := api.ParseTime(c.String("since"), false)
	if err != nil {
		return err
	}
	until, err := api.ParseTime(c.String("until"), true)
	if err != nil {
		return err
	}
	f := store.EventFilter{User: c.String("user"), Verdict: c.String("verdict"), Host: c.String("host"), Action: c.String("action"),
		Text: c.String("q"), Since: since, Until: until, Limit: c.Int("limit")}
	o, err := connect(c, false, "")
	if err != nil {
		return err
	}
	defer o.Close()
	events, err := o.Events(ctxOf(c), f)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		if events == nil {
			events = []*store.Event{}
		}
		return printJSON(c, api.Events{Events: events})
	}
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, lang(c).Pick("编号\t时间\t用户\t动作\t目的地\t结论\t文件", "ID\tTIME\tUSER\tACTION\tDESTINATION\tVERDICT\tFILES"))
	for _, e := range events {
		var files []string
		for _, f := range e.Files {
			if f.Kind == store.FileKindMessage {
				continue
			}
			s := f.Name
			if f.MarkID != "" {
				s += " [mark " + f.MarkID + "]"
			}
			files = append(files, s)
		}
		if t := e.Extra["target"]; t != "" && len(files) == 0 {
			files = append(files, "→ "+t)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Time.Local().Format("2006-01-02 15:04:05"), clean(e.User), clean(e.Action),
			clean(e.Host), clean(e.Verdict), clean(strings.Join(files, ", ")))
	}
	return tw.Flush()
}

func auditVerify(c *cli.Context) error {
	o, err := connect(c, false, "")
	if err != nil {
		return err
	}
	defer o.Close()
	var heads []store.ChainHead
	witnesses := c.StringSlice("witness")
	if len(witnesses) == 0 { // the witness file sluice run keeps by default, when there is one
		if fi, err := os.Stat(daemon.PathsFor(dataDir(c)).Witness); err == nil && fi.Size() > 0 {
			witnesses = []string{daemon.PathsFor(dataDir(c)).Witness}
		}
	}
	for _, src := range witnesses {
		hs, err := daemon.ReadWitness(ctxOf(c), src)
		if err != nil {
			return err
		}
		heads = append(heads, hs...)
	}
	if c.IsSet("witness") && len(heads) == 0 {
		return cli.Exit(lang(c).Pick("见证记录为空：无法对比", "the witness holds no records: nothing to compare"), exitUndecided)
	}
	res, err := o.VerifyAudit(ctxOf(c), heads)
	if err != nil {
		return err
	}
	l := lang(c)
	if c.Bool("json") {
		printJSON(c, res)
	} else if res.OK {
		fmt.Fprintln(c.App.Writer, l.Pick(fmt.Sprintf("审计链完好：%d 条记录均未被修改或删除", res.Records), fmt.Sprintf("audit chain intact: %d records, none edited or deleted", res.Records)))
		if res.Witnessed > 0 {
			fmt.Fprintln(c.App.Writer, l.Pick(fmt.Sprintf("与见证对比：%d 个见证的链头都还在链上", res.Witnessed), fmt.Sprintf("witness: all %d witnessed heads are still on the chain", res.Witnessed)))
		}
		if res.Head != nil {
			fmt.Fprintln(c.App.Writer, l.Pick("当前链头：", "chain head: ")+fmt.Sprintf("%d %s", res.Head.ID, clean(res.Head.MAC)))
		}
	} else {
		for _, p := range res.Problems {
			fmt.Fprintln(c.App.Writer, l.Pick(fmt.Sprintf("记录 %d：%s", p.ID, clean(p.Text(true))), fmt.Sprintf("record %d: %s", p.ID, clean(p.Reason))))
		}
	}
	if !res.OK {
		return cli.Exit(l.Pick(fmt.Sprintf("审计链校验失败（%d 处问题）", len(res.Problems)), fmt.Sprintf("audit chain verification failed (%d problems)", len(res.Problems))), exitUndecided)
	}
	return nil
}

// auditRekey migrates an unkeyed chain on the store directly (the daemon refuses to run on one).
func auditRekey(c *cli.Context) error {
	l := lang(c)
	p := daemon.PathsFor(dataDir(c))
	audit, err := auditConfig(c)
	if err != nil {
		return err
	}
	db, err := audit.OpenStore(p)
	if errors.Is(err, store.ErrLocked) {
		return cli.Exit(l.Pick("守护进程正在使用数据库；请先停止 sluice run 再迁移", "the daemon has the database open; stop sluice run, then migrate"), exitUsage)
	}
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := db.Rekey(c.String("as"), c.Bool("force"))
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return printJSON(c, res)
	}
	fmt.Fprintln(c.App.Writer, l.Pick(
		fmt.Sprintf("已迁移：旧链 %d 条记录（%d 处问题）保持不变，由迁移事件 %d 覆盖；%d 个授权和 %d 个审批记录已签名；密钥 %s",
			res.OldRecords, len(res.OldProblems), res.Event, res.Grants, res.Requests, db.KeyID()),
		fmt.Sprintf("migrated: the old chain's %d records (%d problems) are kept as they are and covered by migration event %d; %d grants and %d approval records now carry a MAC; key %s",
			res.OldRecords, len(res.OldProblems), res.Event, res.Grants, res.Requests, db.KeyID())))
	return nil
}
