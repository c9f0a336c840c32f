package main

import (
	"fmt"
	"strings"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/internal/report"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/urfave/cli/v2"
)

// reportCommand is `sluice report departing NAME [--json | --html]`.
func reportCommand(l l10n.Lang) *cli.Command {
	return &cli.Command{
		Name:  "report",
		Usage: l.Pick("报告", "reports"),
		Subcommands: []*cli.Command{{
			Name: "departing",
			Usage: l.Pick("离职交接报告：离职员工在回溯期内发出、试图发出或被拦截、待审批的一切",
				"hand-over report: everything a leaving employee sent, tried to send, or had held or blocked in the look-back window"),
			ArgsUsage: l.Pick("用户名", "NAME"),
			Flags:     append(connFlags(l), jsonFlag(l), &cli.BoolFlag{Name: "html", Usage: l.Pick("输出 HTML 页面", "print an HTML page")}),
			Action:    reportDeparting,
		}},
	}
}

func reportDeparting(c *cli.Context) error {
	name, o, err := userJob(c)
	if err != nil {
		return err
	}
	defer o.Close()
	l := lang(c)
	rep, err := o.DepartureReport(ctxOf(c), name)
	if err != nil {
		return err
	}
	switch {
	case c.Bool("json"):
		return printJSON(c, rep)
	case c.Bool("html"):
		return report.Departure(c.App.Writer, rep, l)
	}
	w := c.App.Writer
	fmt.Fprintf(w, l.Pick("离职交接报告：%s（%s，工号 %s），离职日期 %s，范围 %s 至 %s\n", "hand-over report: %s (%s, staff ID %s), leaving %s, %s to %s\n"),
		clean(rep.User.DisplayName), clean(rep.User.Name), clean(rep.User.StaffID), rep.User.Departing, rep.From.Local().Format("2006-01-02"), rep.To.Local().Format("2006-01-02 15:04"))
	fmt.Fprintf(w, l.Pick("已发出 %d，待审批 %d，已拦截 %d，涉及客户 %d，审批申请 %d\n", "sent %d, held %d, blocked %d, customers involved %d, approval requests %d\n"),
		rep.Sent, rep.Held, rep.Blocked, rep.Customers, len(rep.Requests))
	for _, e := range rep.Events {
		var files []string
		for _, f := range e.Files {
			s := clean(f.Name)
			if f.Findings != "" {
				s += l.Pick("（", " (") + clean(f.Findings) + l.Pick("）", ")")
			}
			files = append(files, s)
		}
		fmt.Fprintf(w, "  %s  %-10s %-22s %s\n", e.Time.Local().Format("2006-01-02 15:04"), policy.VerdictName(policy.Verdict(e.Verdict), l), clean(e.Host), strings.Join(files, "; "))
	}
	return nil
}
