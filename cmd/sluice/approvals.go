package main

import (
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/internal/ops"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/store"
	"github.com/urfave/cli/v2"
)

// approvalFlags are the connection flags plus --as (who acts when the store is opened directly) and --json.
func approvalFlags(l l10n.Lang, fs ...cli.Flag) []cli.Flag {
	return append(append(connFlags(l), jsonFlag(l),
		&cli.StringFlag{Name: "as", Usage: l.Pick("没有守护进程时以此用户身份操作（直接打开数据库）", "act as this user when no daemon runs (the store is opened directly)"), EnvVars: []string{"SLUICE_AS"}}), fs...)
}

func approvalsCommand(l l10n.Lang) *cli.Command {
	id := l.Pick("申请号", "REQUEST_ID")
	comment := func() cli.Flag {
		return &cli.StringFlag{Name: "comment", Aliases: []string{"m"}, Usage: l.Pick("随这一步记录的意见", "comment recorded with the step"), EnvVars: []string{"SLUICE_COMMENT"}}
	}
	return &cli.Command{
		Name:  "approvals",
		Usage: l.Pick("为暂扣的上传提交、查看和审批申请", "file, list, show and decide approval requests for held uploads"),
		Subcommands: []*cli.Command{
			{Name: "request", Usage: l.Pick("为暂扣的上传提交申请", "file a request for a held upload"), ArgsUsage: l.Pick("事件编号", "EVENT_ID"), Action: approvalsRequest,
				Flags: approvalFlags(l,
					&cli.StringFlag{Name: "receiver", Usage: l.Pick("接收方身份（必填）", "receiver identity (接收方身份, required)"), EnvVars: []string{"SLUICE_RECEIVER"}},
					&cli.StringFlag{Name: "purpose", Usage: l.Pick("资料用途（必填）", "purpose of the data (资料用途, required)"), EnvVars: []string{"SLUICE_PURPOSE"}},
					&cli.IntFlag{Name: "days", Usage: l.Pick("最终批准后的使用期限（天）", "validity in days after final approval (使用期限)"), EnvVars: []string{"SLUICE_DAYS"}, Value: 7},
					&cli.IntFlag{Name: "max-uses", Usage: l.Pick("可发送次数（0 = 默认）", "how many times the file may be sent (0 = default)"), EnvVars: []string{"SLUICE_MAX_USES"}},
					&cli.BoolFlag{Name: "any-host", Usage: l.Pick("申请同类所有网站，而不仅是这个网站", "ask for every site of the destination's kind, not just its host"), EnvVars: []string{"SLUICE_ANY_HOST"}},
				)},
			{Name: "list", Usage: l.Pick("列出你能看到的申请", "list requests visible to you"), Action: approvalsList,
				Flags: approvalFlags(l,
					&cli.BoolFlag{Name: "mine", Usage: l.Pick("只看自己的申请", "only my own requests"), EnvVars: []string{"SLUICE_MINE"}},
					&cli.BoolFlag{Name: "queue", Usage: l.Pick("只看等待我审批的申请", "only requests waiting for my decision"), EnvVars: []string{"SLUICE_QUEUE"}},
					&cli.StringFlag{Name: "status", Usage: "pending, lead_approved, approved, denied, expired, withdrawn", EnvVars: []string{"SLUICE_STATUS"}},
				)},
			{Name: "show", Usage: l.Pick("显示一个申请及其记录", "show one request with its history"), ArgsUsage: id, Action: approvalsShow, Flags: approvalFlags(l)},
			{Name: "approve", Usage: l.Pick("批准申请（先直属上级，再部门负责人）", "approve a request (lead, then head)"), ArgsUsage: id, Action: approvalsAct(store.ActApprove), Flags: approvalFlags(l, comment())},
			{Name: "deny", Usage: l.Pick("拒绝申请", "deny a request"), ArgsUsage: id, Action: approvalsAct(store.ActDeny), Flags: approvalFlags(l, comment())},
			{Name: "withdraw", Usage: l.Pick("撤回自己的申请", "withdraw your own request"), ArgsUsage: id, Action: approvalsAct(store.ActWithdraw), Flags: approvalFlags(l, comment())},
		},
	}
}

func approvalsRequest(c *cli.Context) error {
	arg, err := exactlyOne(c, "事件编号", "EVENT_ID")
	if err != nil {
		return err
	}
	ev, err := strconv.ParseUint(strings.TrimPrefix(arg, "#"), 10, 64)
	if err != nil {
		return usage(c, "事件编号是拦截页面或通知中显示的数字，例如 12", "EVENT_ID is the number shown on the block page or notice, e.g. 12")
	}
	if c.String("receiver") == "" || c.String("purpose") == "" {
		return usage(c, "必须给出 --receiver（接收方身份）和 --purpose（资料用途）", "--receiver and --purpose are required (接收方身份、资料用途)")
	}
	o, err := connect(c, false, c.String("as"))
	if err != nil {
		return err
	}
	defer o.Close()
	r, err := o.FileRequest(ctxOf(c), store.NewRequest{EventID: ev, Receiver: c.String("receiver"), Purpose: c.String("purpose"),
		Days: c.Int("days"), MaxUses: c.Int("max-uses"), AnyHost: c.Bool("any-host")})
	if err != nil {
		return err
	}
	return printRequest(c, r)
}

func approvalsList(c *cli.Context) error {
	if c.NArg() > 0 {
		return usage(c, "approvals list 不带参数；用 --mine、--queue 或 --status 筛选", "approvals list takes no arguments; filter with --mine, --queue or --status")
	}
	o, err := connect(c, false, c.String("as"))
	if err != nil {
		return err
	}
	defer o.Close()
	rs, err := o.Requests(ctxOf(c), api.RequestQuery{Mine: c.Bool("mine"), Queue: c.Bool("queue"), Status: c.String("status")})
	if err != nil {
		return err
	}
	if rs == nil {
		rs = []api.Request{}
	}
	if c.Bool("json") {
		return printJSON(c, api.Requests{Requests: rs})
	}
	l := lang(c)
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, l.Pick("申请号\t状态\t申请人\t目的地\t文件\t提交时间\t等待", "ID\tSTATUS\tREQUESTER\tDESTINATION\tFILES\tFILED\tWAITING FOR"))
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", clean(r.ID), clean(statusName(r.Status, l)), clean(r.Requester), clean(r.Host), clean(strings.Join(fileNames(r.Files), ", ")),
			r.Created.Local().Format("2006-01-02 15:04"), clean(r.WaitingFor))
	}
	return tw.Flush()
}

// onRequest runs do on the request named by the single argument and prints the result.
func onRequest(c *cli.Context, do func(o ops.Ops, id string) (api.Request, error)) error {
	id, err := exactlyOne(c, "申请号", "REQUEST_ID")
	if err != nil {
		return err
	}
	o, err := connect(c, false, c.String("as"))
	if err != nil {
		return err
	}
	defer o.Close()
	r, err := do(o, id)
	if err != nil {
		return err
	}
	return printRequest(c, r)
}

func approvalsShow(c *cli.Context) error {
	return onRequest(c, func(o ops.Ops, id string) (api.Request, error) { return o.Request(ctxOf(c), id) })
}

func approvalsAct(action string) cli.ActionFunc {
	return func(c *cli.Context) error {
		return onRequest(c, func(o ops.Ops, id string) (api.Request, error) {
			return o.Act(ctxOf(c), id, action, c.String("comment"))
		})
	}
}

// fileNames lists the names of a request's files (not its form fields).
func fileNames(fs []store.FileRecord) []string {
	out := []string{}
	for _, f := range fs {
		if f.Kind != store.FileKindMessage {
			out = append(out, f.Name)
		}
	}
	return out
}

var statusNames = map[string][2]string{
	store.StatusPending: {"待直属上级审批", "waiting for lead"}, store.StatusLeadApproved: {"待部门负责人审批", "waiting for department head"},
	store.StatusApproved: {"已批准", "approved"}, store.StatusDenied: {"已拒绝", "denied"}, store.StatusExpired: {"已过期", "expired"},
	store.StatusWithdrawn: {"已撤回", "withdrawn"},
}

func statusName(s string, l l10n.Lang) string {
	if n, ok := statusNames[s]; ok {
		return l.Pick(n[0], n[1])
	}
	return s
}

// printRequest prints one request as JSON or as a readable block.
func printRequest(c *cli.Context, r api.Request) error {
	if c.Bool("json") {
		return printJSON(c, r)
	}
	l := lang(c)
	w := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "%s\t%s\n", l.Pick("申请号", "Request"), clean(r.ID))
	fmt.Fprintf(w, "%s\t%s\n", l.Pick("状态", "Status"), clean(statusName(r.Status, l)))
	fmt.Fprintf(w, "%s\t%s\n", l.Pick("申请人", "Requester"), clean(r.Requester))
	fmt.Fprintf(w, "%s\t%s (%s)\n", l.Pick("目的地", "Destination"), clean(r.Host), clean(policy.CategoryName(policy.Category(r.Category), l)))
	fmt.Fprintf(w, "%s\t%s\n", l.Pick("接收方身份", "Receiver"), clean(r.Receiver))
	fmt.Fprintf(w, "%s\t%s\n", l.Pick("资料用途", "Purpose"), clean(r.Purpose))
	fmt.Fprintf(w, "%s\t%d\n", l.Pick("使用期限（天）", "Days"), r.Days)
	fmt.Fprintf(w, "%s\t%s / %s\n", l.Pick("直属上级 / 部门负责人", "Lead / head"), clean(r.Lead), clean(r.Head))
	for _, f := range r.Files {
		if f.Kind != store.FileKindMessage {
			fmt.Fprintf(w, "%s\t%s  %d B  sha256 %s\n", l.Pick("文件", "File"), clean(f.Name), f.Size, clean(f.SHA256))
		}
	}
	for _, f := range api.RequestFindings(r.Request, l) {
		fmt.Fprintf(w, "%s\t%s\n", l.Pick("检测结果", "Findings"), clean(f))
	}
	if r.GrantID != "" {
		fmt.Fprintf(w, "%s\t%s (%s %s)\n", l.Pick("授权", "Grant"), clean(strings.Join(r.GrantIDs, ", ")), l.Pick("有效期至", "until"),
			r.ValidUntil().Local().Format("2006-01-02 15:04"))
	}
	for _, s := range r.History {
		sub := ""
		if s.Substitute {
			sub = l.Pick("（管理员代批）", " (admin as substitute)")
		}
		fmt.Fprintf(w, "%s\t%s %s %s%s %s\n", l.Pick("记录", "History"), s.Time.Local().Format("2006-01-02 15:04"), clean(s.Actor), clean(s.Action), sub, clean(s.Comment))
	}
	return w.Flush()
}
