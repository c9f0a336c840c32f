package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/store"
	"github.com/urfave/cli/v2"
)

func auditCommand(l l10n.Lang) *cli.Command {
	return &cli.Command{
		Name:  "audit",
		Usage: l.Pick("查看和校验哈希链审计日志", "list and verify the hash-chained audit log"),
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
			{Name: "verify", Usage: l.Pick("检查审计记录是否被修改、删除或调换顺序", "check that no audit record was edited, deleted or reordered"), Action: auditVerify, Flags: append(connFlags(l), jsonFlag(l))},
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
	res, err := o.VerifyAudit(ctxOf(c))
	if err != nil {
		return err
	}
	l := lang(c)
	if c.Bool("json") {
		printJSON(c, res)
	} else if res.OK {
		fmt.Fprintln(c.App.Writer, l.Pick(fmt.Sprintf("审计链完好：%d 条记录均未被修改或删除", res.Records), fmt.Sprintf("audit chain intact: %d records, none edited or deleted", res.Records)))
	} else {
		for _, p := range res.Problems {
			fmt.Fprintln(c.App.Writer, l.Pick(fmt.Sprintf("记录 %d：%s", p.ID, clean(p.Reason)), fmt.Sprintf("record %d: %s", p.ID, clean(p.Reason))))
		}
	}
	if !res.OK {
		return cli.Exit(l.Pick(fmt.Sprintf("审计链校验失败（%d 处问题）", len(res.Problems)), fmt.Sprintf("audit chain verification failed (%d problems)", len(res.Problems))), exitUndecided)
	}
	return nil
}
