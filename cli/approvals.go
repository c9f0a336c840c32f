package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sluice-dlp/sluice/store"
	"github.com/urfave/cli/v2"
)

// approvalsBackend is where approval commands act: the running daemon's API, or the store file directly.
type approvalsBackend interface {
	file(n store.NewRequest) (*store.Request, error)
	list(mine, queue bool, status string) ([]*store.Request, error)
	show(id string) (*store.Request, error)
	act(id, action, comment string) (*store.Request, error)
	close()
}

// approvalConnFlags returns fresh connection flags (urfave flags keep state, so each command gets its own).
func approvalConnFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "console", Usage: "console address of the running daemon", EnvVars: []string{"SLUICE_CONSOLE"}, Value: "127.0.0.1:8081"},
		&cli.StringFlag{Name: "token", Usage: "API token (sluice users token NAME), used while the daemon runs", EnvVars: []string{"SLUICE_TOKEN"}},
		&cli.StringFlag{Name: "as", Usage: "act as this user when no daemon runs (the store is opened directly)", EnvVars: []string{"SLUICE_AS"}},
		&cli.BoolFlag{Name: "json", Usage: "print one JSON document", EnvVars: []string{"SLUICE_JSON"}},
	}
}

func withConn(fs ...cli.Flag) []cli.Flag {
	return append(approvalConnFlags(), fs...)
}

func commentFlag() cli.Flag {
	return &cli.StringFlag{Name: "comment", Aliases: []string{"m"}, Usage: "comment recorded with the step", EnvVars: []string{"SLUICE_COMMENT"}}
}

func init() {
	register(&cli.Command{
		Name:  "approvals",
		Usage: "file, list, show and decide approval requests for held uploads",
		Subcommands: []*cli.Command{
			{Name: "request", Usage: "file a request for a held upload", ArgsUsage: "EVENT_ID", Action: approvalsRequest,
				Flags: withConn(
					&cli.StringFlag{Name: "receiver", Usage: "receiver identity (接收方身份)", EnvVars: []string{"SLUICE_RECEIVER"}},
					&cli.StringFlag{Name: "purpose", Usage: "purpose of the data (资料用途)", EnvVars: []string{"SLUICE_PURPOSE"}},
					&cli.IntFlag{Name: "days", Usage: "validity in days after final approval (使用期限)", EnvVars: []string{"SLUICE_DAYS"}, Value: 7},
					&cli.IntFlag{Name: "max-uses", Usage: "how many times the file may be sent (0 = console default)", EnvVars: []string{"SLUICE_MAX_USES"}},
					&cli.BoolFlag{Name: "any-host", Usage: "ask for every site of the destination's kind, not just its host", EnvVars: []string{"SLUICE_ANY_HOST"}},
				)},
			{Name: "list", Usage: "list requests visible to you", Action: approvalsList,
				Flags: withConn(
					&cli.BoolFlag{Name: "mine", Usage: "only my own requests", EnvVars: []string{"SLUICE_MINE"}},
					&cli.BoolFlag{Name: "queue", Usage: "only requests waiting for my decision", EnvVars: []string{"SLUICE_QUEUE"}},
					&cli.StringFlag{Name: "status", Usage: "pending, lead_approved, approved, denied, expired or withdrawn", EnvVars: []string{"SLUICE_STATUS"}},
				)},
			{Name: "show", Usage: "show one request with its history", ArgsUsage: "REQUEST_ID", Action: approvalsShow, Flags: withConn()},
			{Name: "approve", Usage: "approve a request (lead, then head)", ArgsUsage: "REQUEST_ID", Action: approvalsAct(store.ActApprove), Flags: withConn(commentFlag())},
			{Name: "deny", Usage: "deny a request", ArgsUsage: "REQUEST_ID", Action: approvalsAct(store.ActDeny), Flags: withConn(commentFlag())},
			{Name: "withdraw", Usage: "withdraw your own request", ArgsUsage: "REQUEST_ID", Action: approvalsAct(store.ActWithdraw), Flags: withConn(commentFlag())},
		},
	})
}

// openApprovals picks the backend: the store file when it exists and is free, else the daemon's API.
func openApprovals(c *cli.Context) (approvalsBackend, error) {
	dir := dataDir(c)
	dbPath := filepath.Join(dir, "sluice.db")
	useAPI := c.String("as") == "" && c.String("token") != ""
	if _, err := os.Stat(dbPath); err != nil {
		useAPI = true
	}
	if !useAPI {
		db, err := store.Open(dbPath, filepath.Join(dir, "blobs"))
		if err == nil {
			return &directApprovals{db: db, as: c.String("as")}, nil
		}
		if !errors.Is(err, store.ErrLocked) {
			return nil, cli.Exit(err.Error(), exitUndecided)
		}
	}
	if c.String("token") == "" { // never fall back to the admin token: people act as themselves
		return nil, cli.Exit("sluice: the daemon is running (or there is no local store); pass your --token or set SLUICE_TOKEN (get one with 'sluice users token NAME')", exitUsage)
	}
	api, err := newAPIClient(c)
	if err != nil {
		return nil, err
	}
	return &apiApprovals{c: api}, nil
}

func failure(err error) error {
	var ec cli.ExitCoder
	if errors.As(err, &ec) {
		return err
	}
	return cli.Exit(err.Error(), exitUndecided)
}

func approvalsRequest(c *cli.Context) error {
	arg, err := exactlyOne(c, "EVENT_ID")
	if err != nil {
		return err
	}
	ev, err := strconv.ParseUint(strings.TrimPrefix(arg, "#"), 10, 64)
	if err != nil {
		return cli.Exit("sluice: EVENT_ID must be the number shown in the block page or notice, e.g. 12", exitUsage)
	}
	if c.String("receiver") == "" || c.String("purpose") == "" {
		return cli.Exit("sluice: --receiver and --purpose are required (接收方身份、资料用途)", exitUsage)
	}
	b, err := openApprovals(c)
	if err != nil {
		return err
	}
	defer b.close()
	r, err := b.file(store.NewRequest{EventID: ev, Receiver: c.String("receiver"), Purpose: c.String("purpose"), Days: c.Int("days"), MaxUses: c.Int("max-uses"), AnyHost: c.Bool("any-host")})
	if err != nil {
		return failure(err)
	}
	return printRequest(c, r)
}

func approvalsList(c *cli.Context) error {
	if c.NArg() > 0 {
		return cli.Exit("sluice: approvals list takes no arguments; filter with --mine, --queue or --status", exitUsage)
	}
	b, err := openApprovals(c)
	if err != nil {
		return err
	}
	defer b.close()
	rs, err := b.list(c.Bool("mine"), c.Bool("queue"), c.String("status"))
	if err != nil {
		return failure(err)
	}
	if rs == nil {
		rs = []*store.Request{}
	}
	if c.Bool("json") {
		return printJSON(map[string]any{"requests": rs})
	}
	en := lang(c) == "en"
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	if en {
		fmt.Fprintln(tw, "ID\tSTATUS\tREQUESTER\tDESTINATION\tFILES\tFILED\tWAITING FOR")
	} else {
		fmt.Fprintln(tw, "申请号\t状态\t申请人\t目的地\t文件\t提交时间\t等待")
	}
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Status, r.Requester, r.Host, strings.Join(names(r.Files), ", "),
			r.Created.Local().Format("2006-01-02 15:04"), r.Approver())
	}
	return tw.Flush()
}

// onRequest runs do on the request named by the single argument and prints the result.
func onRequest(c *cli.Context, do func(b approvalsBackend, id string) (*store.Request, error)) error {
	id, err := exactlyOne(c, "REQUEST_ID")
	if err != nil {
		return err
	}
	b, err := openApprovals(c)
	if err != nil {
		return err
	}
	defer b.close()
	r, err := do(b, id)
	if err != nil {
		return failure(err)
	}
	return printRequest(c, r)
}

func approvalsShow(c *cli.Context) error {
	return onRequest(c, func(b approvalsBackend, id string) (*store.Request, error) { return b.show(id) })
}

func approvalsAct(action string) cli.ActionFunc {
	return func(c *cli.Context) error {
		return onRequest(c, func(b approvalsBackend, id string) (*store.Request, error) {
			return b.act(id, action, c.String("comment"))
		})
	}
}

func names(fs []store.FileRecord) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.Name)
	}
	return out
}

func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printRequest prints one request as JSON or as a readable block.
func printRequest(c *cli.Context, r *store.Request) error {
	if c.Bool("json") {
		return printJSON(r)
	}
	en := lang(c) == "en"
	label := func(zh, e string) string {
		if en {
			return e
		}
		return zh
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "%s\t%s\n", label("申请号", "Request"), r.ID)
	fmt.Fprintf(w, "%s\t%s\n", label("状态", "Status"), r.Status)
	fmt.Fprintf(w, "%s\t%s\n", label("申请人", "Requester"), r.Requester)
	fmt.Fprintf(w, "%s\t%s (%s)\n", label("目的地", "Destination"), r.Host, r.Category)
	fmt.Fprintf(w, "%s\t%s\n", label("接收方身份", "Receiver"), r.Receiver)
	fmt.Fprintf(w, "%s\t%s\n", label("资料用途", "Purpose"), r.Purpose)
	fmt.Fprintf(w, "%s\t%d\n", label("使用期限（天）", "Days"), r.Days)
	fmt.Fprintf(w, "%s\t%s / %s\n", label("直属上级 / 部门负责人", "Lead / head"), r.Lead, r.Head)
	for _, f := range r.Files {
		fmt.Fprintf(w, "%s\t%s  %d B  sha256 %s\n", label("文件", "File"), f.Name, f.Size, f.SHA256)
	}
	if len(r.FindingsSummary) > 0 {
		fmt.Fprintf(w, "%s\t%s\n", label("检测结果", "Findings"), strings.Join(r.FindingsSummary, "; "))
	}
	if r.GrantID != "" {
		fmt.Fprintf(w, "%s\t%s (%s %s)\n", label("授权", "Grant"), strings.Join(r.GrantIDs, ", "), label("有效期至", "until"),
			r.ApprovedAt.Add(time.Duration(r.Days)*24*time.Hour).Local().Format("2006-01-02 15:04"))
	}
	for _, s := range r.History {
		sub := ""
		if s.Substitute {
			sub = label(" (管理员代批)", " (admin as substitute)")
		}
		fmt.Fprintf(w, "%s\t%s %s %s%s %s\n", label("记录", "History"), s.Time.Local().Format("2006-01-02 15:04"), s.Actor, s.Action, sub, s.Comment)
	}
	return w.Flush()
}

// directApprovals acts on the store file as --as USER (no daemon running; no notices or alerts are sent).
type directApprovals struct {
	db *store.DB
	as string
}

func (d *directApprovals) close() { d.db.Close() }

func (d *directApprovals) who() (string, error) {
	if d.as == "" {
		return "", cli.Exit("sluice: no daemon is running; say who you are with --as USER (or SLUICE_AS)", exitUsage)
	}
	if _, err := d.db.User(d.as); err != nil {
		return "", fmt.Errorf("sluice: no user %q; add it with 'sluice users add %s'", d.as, d.as)
	}
	return d.as, nil
}

func (d *directApprovals) file(n store.NewRequest) (*store.Request, error) {
	u, err := d.who()
	if err != nil {
		return nil, err
	}
	return d.db.FileRequest(u, n, time.Now())
}

func (d *directApprovals) list(mine, queue bool, status string) ([]*store.Request, error) {
	f := store.RequestFilter{Status: status}
	if mine || queue {
		u, err := d.who()
		if err != nil {
			return nil, err
		}
		if mine {
			f.Requester = u
		} else {
			f.Approver = u
		}
	}
	return d.db.Requests(f)
}

func (d *directApprovals) show(id string) (*store.Request, error) { return d.db.Request(id) }

func (d *directApprovals) act(id, action, comment string) (*store.Request, error) {
	u, err := d.who()
	if err != nil {
		return nil, err
	}
	return d.db.Act(id, u, action, comment, time.Now())
}

// apiApprovals talks to the running daemon's console API (see docs/API.md).
type apiApprovals struct{ c *apiClient }

func (a *apiApprovals) close() {}

func (a *apiApprovals) do(method, path string, body, out any) error {
	return a.c.do(method, path, body, out)
}

func (a *apiApprovals) file(n store.NewRequest) (*store.Request, error) {
	var ans struct {
		RequestID string `json:"request_id"`
	}
	if err := a.do("POST", "/api/requests", n, &ans); err != nil {
		return nil, err
	}
	return a.show(ans.RequestID)
}

func (a *apiApprovals) list(mine, queue bool, status string) ([]*store.Request, error) {
	path := "/api/requests?status=" + url.QueryEscape(status)
	if mine {
		path += "&mine=1"
	}
	if queue {
		path = "/api/queue"
	}
	var ans struct {
		Requests []*store.Request `json:"requests"`
	}
	err := a.do("GET", path, nil, &ans)
	if queue && status != "" {
		ans.Requests = slices.DeleteFunc(ans.Requests, func(r *store.Request) bool { return r.Status != status })
	}
	return ans.Requests, err
}

func (a *apiApprovals) show(id string) (*store.Request, error) {
	var r store.Request
	return &r, a.do("GET", "/api/requests/"+url.PathEscape(id), nil, &r)
}

func (a *apiApprovals) act(id, action, comment string) (*store.Request, error) {
	var r store.Request
	return &r, a.do("POST", "/api/requests/"+url.PathEscape(id)+"/"+action, map[string]string{"comment": comment}, &r)
}
