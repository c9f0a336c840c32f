package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/urfave/cli/v2"
)

// departCommand is `sluice users depart NAME --date YYYY-MM-DD [--lookback 30d] | --cancel`.
func departCommand(l l10n.Lang) *cli.Command {
	return &cli.Command{
		Name: "depart",
		Usage: l.Pick("登记离职员工：从现在起其上传适用更严的离职交接期规则，交接报告回溯到离职日前 --lookback",
			"mark someone as leaving: from now on their uploads follow the stricter departing rules; the hand-over report looks back --lookback before the date"),
		ArgsUsage: l.Pick("用户名", "NAME"),
		Flags: append(connFlags(l),
			&cli.StringFlag{Name: "date", Usage: l.Pick("离职日期 YYYY-MM-DD", "leaving date YYYY-MM-DD")},
			&cli.StringFlag{Name: "lookback", Usage: l.Pick("交接报告回溯的天数（如 30d）", "how far the hand-over report looks back (e.g. 30d)"), Value: "30d"},
			&cli.BoolFlag{Name: "cancel", Usage: l.Pick("撤销离职登记", "end departing mode")}),
		Action: usersDepart,
	}
}

func usersDepart(c *cli.Context) error {
	name, err := nameArg(c)
	if err != nil {
		return err
	}
	date := c.String("date")
	days, err := parseDays(c.String("lookback"))
	if err != nil {
		return usage(c, "--lookback 应是天数，如 30d", "--lookback is a number of days, like 30d")
	}
	switch {
	case c.Bool("cancel"):
		date, days = "", 0
	case date == "":
		return usage(c, "请用 --date YYYY-MM-DD 给出离职日期，或用 --cancel 撤销", "give the leaving date with --date YYYY-MM-DD, or --cancel")
	}
	o, err := connect(c, false, "")
	if err != nil {
		return err
	}
	defer o.Close()
	u, err := o.UpdateUser(ctxOf(c), name, api.UserChange{Departing: &date, LookbackDays: &days})
	if err != nil {
		return err
	}
	l := lang(c)
	if u.Departing == "" {
		fmt.Fprintln(c.App.Writer, l.Pick("已撤销 "+name+" 的离职登记", "ended departing mode for "+name))
		return nil
	}
	fmt.Fprintln(c.App.Writer, l.Pick(fmt.Sprintf("%s 已登记离职（%s）：其上传从现在起适用离职交接期规则；交接报告：sluice report departing %s", name, u.Departing, name),
		fmt.Sprintf("%s is leaving on %s: their uploads follow the departing rules from now on; hand-over report: sluice report departing %s", name, u.Departing, name)))
	return nil
}

// parseDays reads a number of days: "30d", "30" or a Go duration such as "720h".
func parseDays(s string) (int, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(strings.TrimSuffix(s, "d")); err == nil {
		return n, nil
	}
	d, err := time.ParseDuration(s)
	return int(d.Hours() / 24), err
}
