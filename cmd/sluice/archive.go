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

func archiveCommand(l l10n.Lang) *cli.Command {
	return &cli.Command{
		Name:  "archive",
		Usage: l.Pick("查询外发档案：谁把什么发给了谁，经谁批准", "search the outbound archive: who sent what where, approved by whom"),
		Subcommands: []*cli.Command{
			{Name: "search", Usage: l.Pick("按员工、目的地、文件名、sha256 或水印编号搜索，最新的在前", "search by user, destination, file name, sha256 or mark id, newest first"),
				Action: archiveSearch, Flags: append(connFlags(l), jsonFlag(l),
					&cli.StringFlag{Name: "user", Usage: l.Pick("只看此员工", "only this user"), EnvVars: []string{"SLUICE_ARCHIVE_USER"}},
					&cli.StringFlag{Name: "host", Usage: l.Pick("目的地主机包含", "destination host contains"), EnvVars: []string{"SLUICE_ARCHIVE_HOST"}},
					&cli.StringFlag{Name: "q", Usage: l.Pick("文件名包含、sha256 前缀或水印编号", "file name contains, sha256 prefix or mark id"), EnvVars: []string{"SLUICE_ARCHIVE_Q"}},
					&cli.StringFlag{Name: "since", Usage: l.Pick("起始日期（2026-11-22 或 RFC 3339）", "from (2026-11-22 or RFC 3339)"), EnvVars: []string{"SLUICE_ARCHIVE_SINCE"}},
					&cli.StringFlag{Name: "until", Usage: l.Pick("截止日期（2026-11-22 或 RFC 3339）", "to (2026-11-22 or RFC 3339)"), EnvVars: []string{"SLUICE_ARCHIVE_UNTIL"}},
					&cli.IntFlag{Name: "limit", Usage: l.Pick("最多显示条数", "at most this many records"), EnvVars: []string{"SLUICE_ARCHIVE_LIMIT"}, Value: 100},
				)},
		},
	}
}

func archiveSearch(c *cli.Context) error {
	since, err := api.ParseTime(c.String("since"), false)
	if err != nil {
		return err
	}
	until, err := api.ParseTime(c.String("until"), true)
	if err != nil {
		return err
	}
	o, err := connect(c, false, "")
	if err != nil {
		return err
	}
	defer o.Close()
	recs, err := o.Archive(ctxOf(c), store.ArchiveFilter{User: c.String("user"), Host: c.String("host"), Text: c.String("q"),
		Since: since, Until: until, Limit: c.Int("limit")})
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return printJSON(c, api.Archive{Records: recs})
	}
	l := lang(c)
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, l.Pick("时间\t员工\t工号\t目的地\t文件\t水印编号\t审批\t审批人", "TIME\tUSER\tSTAFF ID\tDESTINATION\tFILE\tMARK\tAPPROVAL\tAPPROVED BY"))
	for _, r := range recs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Time.Local().Format("2006-01-02 15:04"), clean(r.DisplayName), clean(r.StaffID),
			clean(r.Host), clean(r.FileName), clean(r.MarkIDText), clean(r.ApprovalID), clean(strings.Join(r.Approvers, ",")))
	}
	return tw.Flush()
}
