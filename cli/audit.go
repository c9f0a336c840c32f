package main

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sluice-dlp/sluice/proxy"
	"github.com/sluice-dlp/sluice/store"
	"github.com/urfave/cli/v2"
)

func init() {
	jsonFlag := func() cli.Flag {
		return &cli.BoolFlag{Name: "json", Usage: "print one JSON document", EnvVars: []string{"SLUICE_JSON"}}
	}
	register(&cli.Command{
		Name:  "audit",
		Usage: "list and verify the hash-chained audit log",
		Subcommands: []*cli.Command{
			{Name: "list", Usage: "list audit events, newest first", Action: auditList, Flags: append(daemonFlags(), jsonFlag(),
				&cli.StringFlag{Name: "user", Usage: "only this user", EnvVars: []string{"SLUICE_AUDIT_USER"}},
				&cli.StringFlag{Name: "verdict", Usage: "allow, block, approval, watermark", EnvVars: []string{"SLUICE_AUDIT_VERDICT"}},
				&cli.StringFlag{Name: "host", Usage: "destination host contains", EnvVars: []string{"SLUICE_AUDIT_HOST"}},
				&cli.StringFlag{Name: "action", Usage: "action prefix, e.g. upload or approval", EnvVars: []string{"SLUICE_AUDIT_ACTION"}},
				&cli.StringFlag{Name: "q", Usage: "file name contains, sha256 prefix or mark id", EnvVars: []string{"SLUICE_AUDIT_Q"}},
				&cli.StringFlag{Name: "since", Usage: "from this time (2026-11-22 or RFC 3339)", EnvVars: []string{"SLUICE_AUDIT_SINCE"}},
				&cli.StringFlag{Name: "until", Usage: "up to this time (2026-11-22 or RFC 3339)", EnvVars: []string{"SLUICE_AUDIT_UNTIL"}},
				&cli.IntFlag{Name: "limit", Usage: "at most this many events", EnvVars: []string{"SLUICE_AUDIT_LIMIT"}, Value: 100},
			)},
			{Name: "verify", Usage: "check that no audit record was edited, deleted or reordered", Action: auditVerify, Flags: append(daemonFlags(), jsonFlag())},
		},
	})
}

// parseWhen accepts a date (local midnight; end of day when end is set) or an RFC 3339 time.
func parseWhen(s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation("2006-01-02", s, time.Local)
	if err != nil {
		return t, fmt.Errorf("sluice: %q is not a date like 2026-11-22 or a time like 2026-11-22T09:00:00+08:00", s)
	}
	if end {
		t = t.Add(24*time.Hour - time.Nanosecond)
	}
	return t, nil
}

func auditList(c *cli.Context) error {
	since, err := parseWhen(c.String("since"), false)
	if err != nil {
		return cli.Exit(err.Error(), exitUsage)
	}
	until, err := parseWhen(c.String("until"), true)
	if err != nil {
		return cli.Exit(err.Error(), exitUsage)
	}
	q := url.Values{}
	for _, k := range []string{"user", "verdict", "host", "action", "q"} {
		if v := c.String(k); v != "" {
			q.Set(k, v)
		}
	}
	if !since.IsZero() {
		q.Set("since", since.Format(time.RFC3339))
	}
	if !until.IsZero() {
		q.Set("until", until.Format(time.RFC3339))
	}
	q.Set("limit", strconv.Itoa(c.Int("limit")))
	var events []*store.Event
	db, api, err := storeOrAPI(c)
	if err != nil {
		return err
	}
	if api != nil {
		var ans struct{ Events []*store.Event }
		if err := api.do("GET", "/api/admin/audit?"+q.Encode(), nil, &ans); err != nil {
			return failure(err)
		}
		events = ans.Events
	} else {
		defer db.Close()
		f, err := proxy.AuditFilterFromQuery(q)
		if err != nil {
			return cli.Exit(err.Error(), exitUsage)
		}
		if events, err = db.Events(f); err != nil {
			return failure(err)
		}
	}
	if c.Bool("json") {
		if events == nil {
			events = []*store.Event{}
		}
		return printJSON(map[string]any{"events": events})
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, l10n(c, "编号\t时间\t用户\t动作\t目的地\t结论\t文件", "ID\tTIME\tUSER\tACTION\tDESTINATION\tVERDICT\tFILES"))
	for _, e := range events {
		var files []string
		for _, f := range e.Files {
			s := f.Name
			if f.MarkID != "" {
				s += " [mark " + f.MarkID + "]"
			}
			files = append(files, s)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Time.Local().Format("2006-01-02 15:04:05"), e.User, e.Action, e.Host, e.Verdict, strings.Join(files, ", "))
	}
	return tw.Flush()
}

// verifyResult is the JSON shape of `audit verify --json`.
type verifyResult struct {
	Records  int                  `json:"records"`
	OK       bool                 `json:"ok"`
	Problems []store.ChainProblem `json:"problems"`
}

func auditVerify(c *cli.Context) error {
	var res verifyResult
	db, api, err := storeOrAPI(c)
	if err != nil {
		return err
	}
	if api != nil {
		if err := api.do("GET", "/api/admin/audit/verify", nil, &res); err != nil {
			return failure(err)
		}
	} else {
		defer db.Close()
		if res.Records, res.Problems, err = db.VerifyChain(); err != nil {
			return failure(err)
		}
		res.OK = len(res.Problems) == 0
	}
	if res.Problems == nil {
		res.Problems = []store.ChainProblem{}
	}
	if c.Bool("json") {
		printJSON(res)
	} else if res.OK {
		fmt.Println(l10n(c, fmt.Sprintf("审计链完好：%d 条记录均未被修改或删除", res.Records), fmt.Sprintf("audit chain intact: %d records, none edited or deleted", res.Records)))
	} else {
		for _, p := range res.Problems {
			fmt.Println(l10n(c, fmt.Sprintf("记录 %d：%s", p.ID, p.Reason), fmt.Sprintf("record %d: %s", p.ID, p.Reason)))
		}
	}
	if !res.OK {
		return cli.Exit(l10n(c, fmt.Sprintf("sluice: 审计链校验失败（%d 处问题）", len(res.Problems)), fmt.Sprintf("sluice: audit chain verification failed (%d problems)", len(res.Problems))), exitUndecided)
	}
	return nil
}
