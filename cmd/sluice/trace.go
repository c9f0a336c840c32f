package main

import (
	"fmt"
	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"runtime/debug"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/urfave/cli/v2"
)

func traceCommand(l l10n.Lang) *cli.Command {
	return &cli.Command{
		Name: "trace",
		Usage: l.Pick("查出泄露文件是谁发出的：读隐藏水印（PDF、PNG、JPEG、WebP、BMP、GIF、TIFF、HEIC、AVIF；也支持重新保存、缩放、裁剪、翻转或截图后的副本），没有水印的文件（xlsx、csv、docx、文本）按其中的客户查发送记录",
			"find who sent a leaked file: its hidden mark (PDF, PNG, JPEG, WebP, BMP, GIF, TIFF, HEIC, AVIF; also re-saved, scaled, cropped, flipped or screenshotted copies), or for a file without one (xlsx, csv, docx, text) the uploads that carried its customers"),
		ArgsUsage: l.Pick("文件", "FILE"),
		Flags:     append(connFlags(l), jsonFlag(l)),
		Action:    traceFile,
	}
}

func traceFile(c *cli.Context) error {
	_, data, err := fileArg(c)
	if err != nil {
		return err
	}
	debug.SetMemoryLimit(256 << 20) // decoding a large photo searches many scales: keep the heap near this
	o, err := connect(c, false, "")
	if err != nil {
		return err
	}
	defer o.Close()
	out, err := o.Trace(ctxOf(c), data)
	if err != nil {
		return err
	}
	l := lang(c)
	w := c.App.Writer
	switch {
	case c.Bool("json"):
		printJSON(c, out)
	case out.Found:
		fmt.Fprintln(w, l.Pick("找到水印", "mark found")+fmt.Sprintf(" %s (%s, %.2f)", clean(out.MarkID), clean(out.Layer), out.Confidence))
		if out.User != "" {
			when, _ := time.Parse(time.RFC3339, out.Time)
			fmt.Fprintf(w, l.Pick("  发送人：%s（%s，工号 %s）\n  时间：%s\n  目的地：%s\n  文件：%s\n", "  sender: %s (%s, staff ID %s)\n  time: %s\n  destination: %s\n  file: %s\n"),
				clean(out.DisplayName), clean(out.User), clean(out.StaffID), when.Local().Format("2006-01-02 15:04:05"), destinationText(out.Destination, out.Category, l), clean(out.FileName))
			if out.Approval != "" {
				fmt.Fprintf(w, l.Pick("  审批：%s\n", "  approval: %s\n"), clean(out.Approval))
			}
			for _, r := range out.Resends {
				when, _ := time.Parse(time.RFC3339, r.Time)
				fmt.Fprintf(w, l.Pick("  再次发送：%s（%s，工号 %s）于 %s 发往 %s（水印编号 %s）\n", "  sent again by %s (%s, staff ID %s) on %s to %s (mark %s)\n"),
					clean(r.DisplayName), clean(r.User), clean(r.StaffID), when.Local().Format("2006-01-02 15:04:05"), clean(r.Destination), clean(r.MarkID))
			}
		} else {
			fmt.Fprintln(w, "  "+clean(out.Note))
		}
	default:
		fmt.Fprintln(w, l.Pick("未发现 Sluice 水印（不是猜测：没有标记通过校验）", "no Sluice mark found (not a guess: nothing cleared the check)"))
		if out.Note != "" {
			fmt.Fprintln(w, "  "+clean(out.Note))
		}
		printProvenance(c, out.Provenance)
	}
	if !out.Found && (out.Provenance == nil || len(out.Provenance.Matches) == 0) {
		return cli.Exit("", exitUndecided)
	}
	return nil
}

// printProvenance says who sent the customers a file without a mark holds, best match first.
func printProvenance(c *cli.Context, p *api.Provenance) {
	if p == nil {
		return
	}
	l, w := lang(c), c.App.Writer
	if p.Customers == 0 {
		fmt.Fprintln(w, l.Pick("这个文件不含公司客户名单中的客户，无法按客户追查发送人", "this file holds no customer of the company list, so its sender cannot be traced by customers"))
		return
	}
	if len(p.Matches) == 0 {
		fmt.Fprintf(w, l.Pick("文件含客户名单中的 %d 个客户，但没有记录显示有人发送过其中任何一个\n", "the file holds %d customers of the list, but no recorded upload carried any of them\n"), p.Customers)
		return
	}
	fmt.Fprintf(w, l.Pick("按客户追查（文件含客户名单中的 %d 个客户）：\n", "traced by customers (the file holds %d customers of the list):\n"), p.Customers)
	for i, m := range p.Matches {
		if i == 10 {
			break
		}
		when, _ := time.Parse(time.RFC3339, m.Time)
		verdict := policy.VerdictName(policy.Verdict(m.Verdict), l)
		who := clean(m.User)
		if m.DisplayName != "" {
			who = fmt.Sprintf(l.Pick("%s（%s，工号 %s）", "%s (%s, staff ID %s)"), clean(m.DisplayName), clean(m.User), clean(m.StaffID))
		}
		line := fmt.Sprintf(l.Pick("  %d/%d 个客户在「%s」中：%s 于 %s 发往 %s（%s）", "  %d of %d customers were in %s sent by %s on %s to %s (%s)"),
			m.Overlap, p.Customers, clean(m.FileName), who, when.Local().Format("2006-01-02 15:04"), clean(m.Host), verdict)
		if m.Approval != "" {
			line += fmt.Sprintf(l.Pick("，审批 %s", ", approved in %s"), clean(m.Approval))
		}
		fmt.Fprintln(w, line)
	}
}

// destinationText names where a marked file went: the host and its category in words, or that it was
// marked by hand with sluice mark.
func destinationText(host, category string, l l10n.Lang) string {
	if host == "(manual)" {
		return l.Pick("手工加水印（sluice mark）", "marked by hand (sluice mark)")
	}
	if category == "" {
		return clean(host)
	}
	return clean(host) + l.Pick("（", " (") + policy.CategoryName(policy.Category(category), l) + l.Pick("）", ")")
}
