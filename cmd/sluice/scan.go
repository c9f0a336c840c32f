package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/internal/ops"
	"github.com/sluice-dlp/sluice/proxy/daemon"
	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/urfave/cli/v2"
)

func scanCommand(l l10n.Lang) *cli.Command {
	return &cli.Command{
		Name:      "scan",
		Usage:     l.Pick("像代理一样检查文件，显示检测结果、是否含客户资料和结论", "inspect files as the proxy would and show findings, sensitivity and the verdict"),
		ArgsUsage: l.Pick("文件...", "FILE..."),
		Description: l.Pick("不给 --dest 时，结论取所有受监控类别中最严格的一个（\"verdicts\" 列出每个类别）。\n"+
			"加 --json 时，一个文件输出一个对象；多个文件输出 {\"files\": [...], \"verdict\": 最严格}。\n"+
			"'sluice run' 运行时，由守护进程用它的策略、客户名单和指纹检查。退出码：全部判定为 0，\n"+
			"有文件无法读取为 1，用法错误为 2。",
			"Without --dest the verdict is the strictest over every watched destination category\n"+
				"(\"verdicts\" lists each). With --json one FILE prints one object; several print\n"+
				"{\"files\": [...], \"verdict\": strictest}. While 'sluice run' holds the store, files are\n"+
				"scanned by the daemon with its policy, customer list and fingerprints. Exit 0 when\n"+
				"every file was decided, 1 when a file could not be read, 2 on a usage error."),
		Action: scanFiles,
		Flags: append(connFlags(l), jsonFlag(l),
			&cli.StringFlag{Name: "dest", Usage: l.Pick("目的地网址或主机，如 https://pan.baidu.com/（默认：所有受监控类别）", "destination URL or host, e.g. https://pan.baidu.com/ (default: every watched category)"), EnvVars: []string{"SLUICE_DEST"}},
			&cli.StringFlag{Name: "user", Usage: l.Pick("上传者", "user the upload would come from"), EnvVars: []string{"SLUICE_USER"}},
			&cli.StringFlag{Name: "policy", Usage: l.Pick("策略文件（默认：数据目录中的 policy.yaml，否则内置策略）", "policy file (default: policy.yaml in the data directory, else the built-in policy)"), EnvVars: []string{"SLUICE_POLICY"}},
			&cli.BoolFlag{Name: "no-store", Usage: l.Pick("只在本地扫描，不用客户名单和指纹（也不经守护进程）", "scan locally without the customer list and fingerprints (and without the running daemon)"), EnvVars: []string{"SLUICE_SCAN_NO_STORE"}},
		),
	}
}

// scanOne scans the file at path into a report.
type scanOne func(ctx context.Context, req api.ScanRequest, f *os.File, size int64) (api.ScanReport, error)

// chooseScanner scans through the jobs (the running daemon, or the store with its customer list and
// fingerprints) unless --policy or --no-store asks for a local scan with that policy only.
func chooseScanner(c *cli.Context) (scanOne, func(), error) {
	p := daemon.PathsFor(dataDir(c))
	var pol *policy.Policy
	if path := c.String("policy"); path != "" {
		var err error
		if pol, err = policy.LoadFile(path); err != nil {
			return nil, nil, cli.Exit(l10n.Text(err, lang(c)), exitUndecided)
		}
	}
	if _, err := os.Stat(p.DB); err == nil && !c.Bool("no-store") {
		o, err := connect(c, false, "")
		if err != nil {
			return nil, nil, err
		}
		if pol != nil {
			l, ok := o.(*ops.Local)
			if !ok {
				o.Close()
				return nil, nil, usage(c, "守护进程正在运行，扫描使用它的策略；去掉 --policy，或加 --no-store 在本地扫描",
					"the daemon is running and scans with its own policy; drop --policy, or add --no-store to scan locally")
			}
			l.Policy = pol
		}
		return func(ctx context.Context, req api.ScanRequest, f *os.File, size int64) (api.ScanReport, error) {
			return o.Scan(ctx, req, f, size)
		}, func() { o.Close() }, nil
	}
	if pol == nil {
		pol = policy.Default()
		if _, err := os.Stat(p.Policy); err == nil {
			var err error
			if pol, err = policy.LoadFile(p.Policy); err != nil {
				return nil, nil, cli.Exit(l10n.Text(err, lang(c)), exitUndecided)
			}
		}
	}
	opts, _ := ops.ScannerOptions(pol, nil)
	sc := inspect.NewScanner(opts)
	return func(ctx context.Context, req api.ScanRequest, f *os.File, size int64) (api.ScanReport, error) {
		return ops.BuildReport(ctx, sc, pol, req, f, size)
	}, func() {}, nil
}

func scanFiles(c *cli.Context) error {
	paths, err := positional(c)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usage(c, "请给出要扫描的文件；见 'sluice scan --help'", "give the files to scan; see 'sluice scan --help'")
	}
	if d := c.String("dest"); d != "" {
		if _, err := policy.Default().DestinationFor(d); err != nil {
			return cli.Exit(l10n.Text(err, lang(c)), exitUsage)
		}
	}
	scan, done, err := chooseScanner(c)
	if err != nil {
		return err
	}
	defer done()
	var reports []api.ScanReport
	failed := false
	for _, path := range paths {
		rep, err := scanPath(c, scan, path)
		if err != nil {
			fmt.Fprintln(c.App.ErrWriter, "sluice: "+cleanText(l10n.Text(err, lang(c))))
			failed = true
			continue
		}
		reports = append(reports, rep)
	}
	if c.Bool("json") {
		if len(paths) == 1 && len(reports) == 1 {
			err = printJSON(c, reports[0])
		} else {
			overall := policy.Allow
			for _, r := range reports {
				overall = policy.Stricter(overall, r.Verdict)
			}
			if reports == nil {
				reports = []api.ScanReport{}
			}
			err = printJSON(c, map[string]any{"files": reports, "verdict": overall})
		}
		if err != nil {
			return err
		}
	} else {
		for _, r := range reports {
			printScanReport(c, r)
		}
	}
	if failed {
		return cli.Exit("", exitUndecided)
	}
	return nil
}

func scanPath(c *cli.Context, scan scanOne, path string) (api.ScanReport, error) {
	f, err := os.Open(path)
	if err != nil {
		return api.ScanReport{}, l10n.Wrap(err, l10n.Invalid, "无法打开 %s", "cannot open %s", path)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.IsDir() {
		return api.ScanReport{}, l10n.Errorf(l10n.Invalid, "%s 不是可读的文件", "%s is not a readable file", path)
	}
	if fi.Size() > ops.MaxFile {
		return api.ScanReport{}, l10n.Errorf(l10n.TooLarge, "%s 超过 %d MiB", "%s is over %d MiB", path, ops.MaxFile>>20)
	}
	rep, err := scan(ctxOf(c), api.ScanRequest{Name: filepath.Base(path), Dest: c.String("dest"), User: c.String("user")}, f, fi.Size())
	rep.File = path
	return rep, err
}

// printScanReport prints one report for people.
func printScanReport(c *cli.Context, r api.ScanReport) {
	l := lang(c)
	w := c.App.Writer
	fmt.Fprintln(w, clean(r.File))
	fmt.Fprintf(w, l.Pick("  类型：%s（%s），%d 字节，sha256 %s\n", "  type: %s (%s), %d bytes, sha256 %s\n"), clean(r.Type), clean(r.MIME), r.Size, clean(r.SHA256))
	if len(r.Findings) == 0 {
		fmt.Fprintln(w, l.Pick("  未发现敏感内容", "  no findings"))
	}
	for _, f := range r.Findings {
		line := "  " + inspect.CountText(f.Kind, f.Count, l)
		if f.OCR > 0 {
			line += fmt.Sprintf(l.Pick("（其中 %d 个识别自图片文字）", " (%d read from images)"), f.OCR)
		}
		problem := f.Kind == inspect.KindUninspectable || f.Kind == inspect.KindEncrypted || f.Kind == inspect.KindNoText
		if f.Detail != "" {
			if problem && l != l10n.EN {
				line += " — " + inspect.DetailZH(f.Detail)
			} else {
				line += " — " + f.Detail
			}
		}
		var ex []string
		for _, s := range f.Samples {
			if problem { // the sample's value is the detail again: only where it was
				if s.Location != "" {
					ex = append(ex, s.Location)
				}
			} else if s.Location != "" {
				ex = append(ex, s.Value+" @"+s.Location)
			} else {
				ex = append(ex, s.Value)
			}
		}
		if len(ex) > 0 {
			line += l.Pick("；例：", "; e.g. ") + strings.Join(ex, ", ")
		}
		fmt.Fprintln(w, clean(line))
	}
	if o := r.OCR; o != nil {
		fmt.Fprintf(w, l.Pick("  图片文字识别：%d 张图片，识别 %d 张，跳过 %d 张（不像含文字），用时 %d 毫秒\n",
			"  text in images: %d images, %d read, %d skipped (unlikely to hold text), %d ms\n"), o.Images, o.Read, o.Skipped, o.Millis)
		if o.Stopped {
			fmt.Fprintln(w, l.Pick("  已达到判定阈值，其余图片文字未再识别（数目为下限）", "  the thresholds were reached, so the rest was not read (counts are lower bounds)"))
		}
	}
	fmt.Fprintf(w, l.Pick("  含客户资料：%s\n", "  sensitive: %s\n"), map[bool]string{true: l.Pick("是", "yes"), false: l.Pick("否", "no")}[r.Sensitive])
	if r.Dest != nil {
		where := r.Dest.Service
		if where == "" {
			where = r.Dest.Host
		}
		fmt.Fprintf(w, l.Pick("  目的地：%s（%s）\n", "  destination: %s (%s)\n"), clean(where), clean(policy.CategoryName(r.Dest.Category, l)))
	} else {
		var parts []string
		for _, cat := range ops.ScanCategories {
			parts = append(parts, policy.CategoryName(cat, l)+l.Pick("：", ": ")+policy.VerdictName(policy.Verdict(r.Verdicts[cat]), l))
		}
		fmt.Fprintf(w, l.Pick("  各类目的地：%s\n", "  per destination: %s\n"), strings.Join(parts, l.Pick("；", "; ")))
	}
	fmt.Fprintf(w, l.Pick("  结论：%s\n", "  verdict: %s\n"), policy.VerdictName(r.Verdict, l))
	for _, reason := range r.Reasons {
		fmt.Fprintln(w, "   - "+clean(reason))
	}
}

var _ io.ReaderAt = (*os.File)(nil)
