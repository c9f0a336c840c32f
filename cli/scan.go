package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/sluice-dlp/sluice/proxy"
	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/proxy/scanreport"
	"github.com/urfave/cli/v2"
)

func init() {
	register(&cli.Command{
		Name:      "scan",
		Usage:     "inspect files as the proxy would and show findings, sensitivity and the verdict",
		ArgsUsage: "FILE...",
		Description: "Without --dest the verdict is the strictest over every watched destination category\n" +
			"(\"verdicts\" lists each). With --json one FILE prints one object; several print\n" +
			"{\"files\": [...], \"verdict\": strictest}. While 'sluice run' holds the store, files are\n" +
			"scanned by the daemon with its policy, customer list and fingerprints. Exit 0 when\n" +
			"every file was decided, 1 when a file could not be read, 2 on a usage error.",
		Action: scanFiles,
		Flags: append(daemonFlags(),
			&cli.StringFlag{Name: "dest", Usage: "destination URL or host, e.g. https://pan.baidu.com/ (default: every watched category)", EnvVars: []string{"SLUICE_DEST"}},
			&cli.StringFlag{Name: "user", Usage: "user the upload would come from", EnvVars: []string{"SLUICE_USER"}},
			&cli.StringFlag{Name: "policy", Usage: "policy file (default: policy.yaml in the data directory, else the built-in policy)", EnvVars: []string{"SLUICE_POLICY"}},
			&cli.BoolFlag{Name: "no-store", Usage: "scan locally without the customer list and fingerprints (and without the running daemon)", EnvVars: []string{"SLUICE_SCAN_NO_STORE"}},
			&cli.BoolFlag{Name: "json", Usage: "print one JSON document", EnvVars: []string{"SLUICE_JSON"}},
		),
	})
}

// loadScanPolicy returns --policy, else policy.yaml in the data dir, else the default.
func loadScanPolicy(c *cli.Context) (*policy.Policy, error) {
	path := c.String("policy")
	if path == "" {
		path = filepath.Join(dataDir(c), "policy.yaml")
		if _, err := os.Stat(path); err != nil {
			return policy.Default(), nil
		}
	}
	return policy.LoadFile(path)
}

// scanOneFunc scans the file at path into a report.
type scanOneFunc func(path string) (scanreport.Report, error)

// chooseScanner scans through the running daemon (its policy, customer list and fingerprints)
// when it holds the store, else locally with the policy and, unless --no-store, the store's
// customer list and fingerprints (the store is not created if absent).
func chooseScanner(c *cli.Context, p *policy.Policy, dest *policy.Destination) (scanOneFunc, error) {
	opts := inspect.Options{Limits: p.Inspect.Limits(), Detect: inspect.DetectOptions{Keywords: p.Inspect.Keywords}}
	if _, err := os.Stat(proxy.PathsFor(dataDir(c)).DB); err == nil && !c.Bool("no-store") {
		db, api, err := storeOrAPI(c)
		if err != nil {
			return nil, err
		}
		if api != nil {
			if c.IsSet("policy") {
				return nil, cli.Exit(l10n(c, "sluice: 守护进程正在运行，扫描使用它的策略；去掉 --policy，或加 --no-store 在本地扫描",
					"sluice: the daemon is running and scans with its own policy; drop --policy, or add --no-store to scan locally"), exitUsage)
			}
			return func(path string) (scanreport.Report, error) { return scanViaAPI(c, api, path) }, nil
		}
		defer db.Close()
		if opts, err = proxy.InspectOptions(p, db); err != nil {
			return nil, cli.Exit(err.Error(), exitUndecided)
		}
	}
	sc := inspect.NewScanner(opts)
	return func(path string) (scanreport.Report, error) { return scanLocal(c, sc, p, dest, path) }, nil
}

// scanViaAPI sends one file to the daemon's scanner.
func scanViaAPI(c *cli.Context, api *apiClient, path string) (scanreport.Report, error) {
	var rep scanreport.Report
	q := url.Values{"dest": {c.String("dest")}, "user": {c.String("user")}, "name": {filepath.Base(path)}}
	out, _, err := api.rawFile("POST", "/api/admin/scan?"+q.Encode(), path, proxy.MaxAdminFile)
	if err == nil {
		err = json.Unmarshal(out, &rep)
	}
	if err != nil {
		return rep, fmt.Errorf("sluice: cannot scan %s through the daemon: %s", path, strings.TrimPrefix(err.Error(), "sluice: "))
	}
	rep.File = path
	return rep, nil
}

func scanFiles(c *cli.Context) error {
	if c.NArg() == 0 {
		return cli.Exit(l10n(c, "sluice: 请给出要扫描的文件；见 'sluice scan --help'", "sluice: give the files to scan; see 'sluice scan --help'"), exitUsage)
	}
	var dest *policy.Destination
	p, err := loadScanPolicy(c)
	if err != nil {
		return cli.Exit(err.Error(), exitUndecided)
	}
	if s := c.String("dest"); s != "" {
		if dest, err = scanreport.Destination(p, s); err != nil {
			return cli.Exit(err.Error(), exitUsage)
		}
	}
	scanOne, err := chooseScanner(c, p, dest)
	if err != nil {
		return err
	}
	var reports []scanreport.Report
	failed := false
	for _, path := range c.Args().Slice() {
		rep, err := scanOne(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			failed = true
			continue
		}
		reports = append(reports, rep)
	}
	if c.Bool("json") {
		if c.NArg() == 1 && len(reports) == 1 {
			err = printJSON(reports[0])
		} else {
			overall := policy.Allow
			for _, r := range reports {
				overall = policy.Stricter(overall, r.Verdict)
			}
			if reports == nil {
				reports = []scanreport.Report{}
			}
			err = printJSON(map[string]any{"files": reports, "verdict": overall})
		}
		if err != nil {
			return cli.Exit("sluice: cannot print the result: "+err.Error(), exitUndecided)
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

// scanLocal scans one file on disk and decides it for dest (or every watched category).
func scanLocal(c *cli.Context, sc *inspect.Scanner, p *policy.Policy, dest *policy.Destination, path string) (scanreport.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return scanreport.Report{}, fmt.Errorf("sluice: cannot open %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.IsDir() {
		return scanreport.Report{}, fmt.Errorf("sluice: %s is not a readable file", path)
	}
	return scanreport.Build(context.Background(), sc, p, scanreport.Input{File: path, Name: filepath.Base(path), Data: f, Size: fi.Size(),
		Dest: dest, User: c.String("user"), Lang: lang(c)})
}

// kindNames are the finding kinds in Chinese.
var kindNames = map[string]string{
	inspect.KindPhone: "手机号", inspect.KindLandline: "座机号", inspect.KindEmail: "邮箱", inspect.KindIDNumber: "身份证号",
	inspect.KindBankCard: "银行卡号", inspect.KindWeChatID: "微信号", inspect.KindQQ: "QQ号", inspect.KindKeyword: "关键词",
	inspect.KindContactRecord: "联系人记录", inspect.KindCustomer: "命中客户名单", inspect.KindFingerprint: "登记的敏感文件",
	inspect.KindDisguised: "伪装文件", inspect.KindEncrypted: "加密内容", inspect.KindUninspectable: "无法检查", inspect.KindNoText: "无可提取文字",
}

// verdictNames are the verdicts in Chinese.
var verdictNames = map[policy.Verdict]string{policy.Allow: "放行", policy.Watermark: "加水印后放行", policy.Approval: "需审批", policy.Block: "阻止"}

// printScanReport prints one report for people.
func printScanReport(c *cli.Context, r scanreport.Report) {
	en := lang(c) == "en"
	fmt.Println(r.File)
	fmt.Printf(l10n(c, "  类型：%s（%s），%d 字节，sha256 %s\n", "  type: %s (%s), %d bytes, sha256 %s\n"), r.Type, r.MIME, r.Size, r.SHA256)
	if len(r.Findings) == 0 {
		fmt.Println(l10n(c, "  未发现敏感内容", "  no findings"))
	}
	for _, f := range r.Findings {
		label := f.Kind
		if !en {
			label = kindNames[f.Kind] + " " + f.Kind
		}
		line := fmt.Sprintf("  %s: %d", label, f.Count)
		if f.Detail != "" {
			line += " — " + f.Detail
		}
		var ex []string
		for _, s := range f.Samples {
			if s.Location != "" {
				ex = append(ex, s.Value+" @"+s.Location)
			} else {
				ex = append(ex, s.Value)
			}
		}
		if len(ex) > 0 {
			line += l10n(c, "；例：", "; e.g. ") + strings.Join(ex, ", ")
		}
		fmt.Println(line)
	}
	sens := l10n(c, "否", "no")
	if r.Sensitive {
		sens = l10n(c, "是", "yes")
	}
	fmt.Printf(l10n(c, "  含客户资料：%s\n", "  sensitive: %s\n"), sens)
	if r.Dest != nil {
		where := r.Dest.Service
		if where == "" {
			where = r.Dest.Host
		}
		fmt.Printf(l10n(c, "  目的地：%s（%s）\n", "  destination: %s (%s)\n"), where, scanreport.CategoryName(r.Dest.Category, lang(c)))
	} else {
		var parts []string
		for _, cat := range scanreport.WatchedCategories {
			v := policy.Verdict(r.Verdicts[cat])
			if !en {
				parts = append(parts, scanreport.CategoryName(cat, lang(c))+"："+verdictNames[v])
			} else {
				parts = append(parts, scanreport.CategoryName(cat, lang(c))+": "+string(v))
			}
		}
		fmt.Printf(l10n(c, "  各类目的地：%s\n", "  per destination: %s\n"), strings.Join(parts, l10n(c, "；", "; ")))
	}
	verdict := string(r.Verdict)
	if !en {
		verdict = verdictNames[r.Verdict] + " " + verdict
	}
	fmt.Printf(l10n(c, "  结论：%s\n", "  verdict: %s\n"), verdict)
	for _, reason := range r.Reasons {
		fmt.Println("   - " + reason)
	}
}
