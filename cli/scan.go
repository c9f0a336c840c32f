package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/urfave/cli/v2"
)

func init() {
	register(&cli.Command{
		Name:      "scan",
		Usage:     "inspect files as the proxy would and show findings, sensitivity and the verdict",
		ArgsUsage: "FILE...",
		Description: "Without --dest the verdict is the strictest over every watched destination category\n" +
			"(\"verdicts\" lists each). With --json one FILE prints one object; several print\n" +
			"{\"files\": [...], \"verdict\": strictest}. Exit 0 when every file was decided, 1 when a\n" +
			"file could not be read, 2 on a usage error.",
		Action: scanFiles,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "dest", Usage: "destination URL or host, e.g. https://pan.baidu.com/ (default: every watched category)", EnvVars: []string{"SLUICE_DEST"}},
			&cli.StringFlag{Name: "user", Usage: "user the upload would come from", EnvVars: []string{"SLUICE_USER"}},
			&cli.StringFlag{Name: "policy", Usage: "policy file (default: policy.yaml in the data directory, else the built-in policy)", EnvVars: []string{"SLUICE_POLICY"}},
			&cli.BoolFlag{Name: "no-store", Usage: "scan without the customer list and fingerprints (e.g. while the daemon holds the store)", EnvVars: []string{"SLUICE_SCAN_NO_STORE"}},
			&cli.BoolFlag{Name: "json", Usage: "print one JSON document", EnvVars: []string{"SLUICE_JSON"}},
		},
	})
}

// scanReport is the JSON shape of one scanned file (see DESIGN.md, sluice scan).
type scanReport struct {
	File        string                     `json:"file"`
	Type        string                     `json:"type"`
	MIME        string                     `json:"mime"`
	Size        int64                      `json:"size"`
	SHA256      string                     `json:"sha256"`
	Findings    []inspect.Finding          `json:"findings"`
	Sensitive   bool                       `json:"sensitive"`
	Dest        *policy.Destination        `json:"dest,omitempty"`
	Verdict     policy.Verdict             `json:"verdict"`
	Verdicts    map[policy.Category]string `json:"verdicts,omitempty"`
	Reasons     []string                   `json:"reasons"`
	ReasonCodes []string                   `json:"reason_codes"`
	Excerpt     string                     `json:"excerpt,omitempty"`
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

// scanDetectOptions loads the keyword list from the policy and, unless --no-store, the
// customer list and fingerprints from the store (which is not created if absent).
func scanDetectOptions(c *cli.Context, p *policy.Policy) (inspect.DetectOptions, error) {
	o := inspect.DetectOptions{Keywords: p.Inspect.Keywords}
	dbPath := filepath.Join(dataDir(c), "sluice.db")
	if c.Bool("no-store") {
		return o, nil
	}
	if _, err := os.Stat(dbPath); err != nil {
		return o, nil
	}
	db, err := openStoreDirect(c, "scan")
	if err != nil {
		var ec cli.ExitCoder
		if errors.As(err, &ec) && strings.Contains(ec.Error(), "daemon") {
			return o, cli.Exit(ec.Error()+l10n(c, "（或加 --no-store，不用客户名单和指纹扫描）", " (or add --no-store to scan without the customer list and fingerprints)"), exitUndecided)
		}
		return o, err
	}
	defer db.Close()
	cix, err := db.LoadCustomerIndex()
	if err != nil {
		return o, cli.Exit(err.Error(), exitUndecided)
	}
	fix, err := db.LoadFingerprintIndex()
	if err != nil {
		return o, cli.Exit(err.Error(), exitUndecided)
	}
	if cix.Len() > 0 {
		o.Customers = cix
	}
	if fix.Len() > 0 {
		o.Fingerprints = fix
	}
	return o, nil
}

// parseDest turns --dest (URL or bare host) into host and path.
func parseDest(s string) (host, path string, err error) {
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" {
		return "", "", fmt.Errorf("--dest %q is not a URL or host name", s)
	}
	return u.Host, u.EscapedPath(), nil
}

// watchedCategories are the categories tried when no --dest is given.
var watchedCategories = []policy.Category{policy.Webmail, policy.Netdisk, policy.WebChat, policy.EncryptedChat}

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
		host, path, err := parseDest(s)
		if err != nil {
			return cli.Exit("sluice: "+err.Error(), exitUsage)
		}
		d := p.Catalog().Lookup(host, path)
		dest = &d
	}
	opts, err := scanDetectOptions(c, p)
	if err != nil {
		return err
	}
	sc := inspect.NewScanner(inspect.Options{Limits: scanLimits(p), Detect: opts})
	var reports []scanReport
	failed := false
	for _, path := range c.Args().Slice() {
		rep, err := scanOne(c, sc, p, dest, path)
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
				reports = []scanReport{}
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

// scanLimits maps the policy's inspect settings onto the scanner's limits (zero = default).
func scanLimits(p *policy.Policy) inspect.Limits {
	return inspect.Limits{
		MaxDepth:   p.Inspect.MaxDepth,
		MaxRatio:   p.Inspect.MaxRatio,
		MaxTotal:   p.Inspect.MaxTotalMB << 20,
		TimeBudget: time.Duration(p.Inspect.TimeBudgetS) * time.Second,
	}
}

// scanOne scans one file and decides it for dest (or every watched category).
func scanOne(c *cli.Context, sc *inspect.Scanner, p *policy.Policy, dest *policy.Destination, path string) (scanReport, error) {
	f, err := os.Open(path)
	if err != nil {
		return scanReport{}, fmt.Errorf("sluice: cannot open %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.IsDir() {
		return scanReport{}, fmt.Errorf("sluice: %s is not a readable file", path)
	}
	name := filepath.Base(path)
	res, err := sc.Scan(context.Background(), f, fi.Size(), name)
	if err != nil {
		return scanReport{}, fmt.Errorf("sluice: cannot scan %s: %w", path, err)
	}
	rep := scanReport{File: path, Type: res.Type, MIME: res.MIME, Size: res.Size, SHA256: res.SHA256,
		Findings: res.Findings, Excerpt: res.Excerpt, Dest: dest, Reasons: []string{}, ReasonCodes: []string{}}
	in := policy.Input{User: c.String("user"), Results: []*inspect.Result{res}, Names: []string{name}}
	var dec policy.Decision
	if dest != nil {
		in.Dest = *dest
		dec = p.Decide(in)
	} else {
		rep.Verdicts = map[policy.Category]string{}
		for i, cat := range watchedCategories {
			in.Dest = policy.Destination{Category: cat, Service: categoryName(c, cat)}
			d := p.Decide(in)
			rep.Verdicts[cat] = string(d.Verdict)
			dec.Sensitive = dec.Sensitive || d.Sensitive
			if i == 0 || (d.Verdict != dec.Verdict && policy.Stricter(dec.Verdict, d.Verdict) == d.Verdict) {
				dec.Verdict, dec.Reasons = d.Verdict, d.Reasons // keep the strictest category's reasons
			}
		}
	}
	sens, _, _ := p.SensitiveFile(res)
	rep.Sensitive = dec.Sensitive || sens
	rep.Verdict = dec.Verdict
	for _, r := range dec.Reasons {
		rep.Reasons = append(rep.Reasons, r.Text(lang(c)))
		rep.ReasonCodes = append(rep.ReasonCodes, r.Code)
	}
	return rep, nil
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

// categoryName names a destination category for people.
func categoryName(c *cli.Context, cat policy.Category) string {
	zh := map[policy.Category]string{policy.Webmail: "个人网页邮箱", policy.Netdisk: "个人网盘", policy.WebChat: "网页聊天",
		policy.EncryptedChat: "加密聊天", policy.Corporate: "公司渠道", policy.Unwatched: "不受监控的网站"}
	if lang(c) == "en" {
		en := map[policy.Category]string{policy.Webmail: "personal webmail", policy.Netdisk: "personal netdisks", policy.WebChat: "web chat",
			policy.EncryptedChat: "encrypted chat", policy.Corporate: "corporate channels", policy.Unwatched: "unwatched sites"}
		return en[cat]
	}
	return zh[cat]
}

// printScanReport prints one report for people.
func printScanReport(c *cli.Context, r scanReport) {
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
		fmt.Printf(l10n(c, "  目的地：%s（%s）\n", "  destination: %s (%s)\n"), where, categoryName(c, r.Dest.Category))
	} else {
		var parts []string
		for _, cat := range watchedCategories {
			v := policy.Verdict(r.Verdicts[cat])
			if !en {
				parts = append(parts, categoryName(c, cat)+"："+verdictNames[v])
			} else {
				parts = append(parts, categoryName(c, cat)+": "+string(v))
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
