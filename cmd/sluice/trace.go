package main

import (
	"fmt"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/urfave/cli/v2"
)

func traceCommand(l l10n.Lang) *cli.Command {
	return &cli.Command{
		Name: "trace",
		Usage: l.Pick("查出泄露文件是谁发出的（PDF、PNG、JPEG、WebP、BMP、GIF、TIFF；也支持重新保存、缩放、裁剪或截图后的副本）",
			"find who sent a leaked file (PDF, PNG, JPEG, WebP, BMP, GIF, TIFF; also re-saved, scaled, cropped or screenshotted copies)"),
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
			fmt.Fprintf(w, l.Pick("  发送人：%s（%s，工号 %s）\n  时间：%s\n  目的地：%s %s\n  文件：%s\n", "  sender: %s (%s, staff ID %s)\n  time: %s\n  destination: %s %s\n  file: %s\n"),
				clean(out.DisplayName), clean(out.User), clean(out.StaffID), when.Local().Format("2006-01-02 15:04:05"), clean(out.Destination), clean(out.Category), clean(out.FileName))
			if out.Approval != "" {
				fmt.Fprintf(w, l.Pick("  审批：%s\n", "  approval: %s\n"), clean(out.Approval))
			}
		} else {
			fmt.Fprintln(w, "  "+clean(out.Note))
		}
	default:
		fmt.Fprintln(w, l.Pick("未发现 Sluice 水印（不是猜测：没有标记通过校验）", "no Sluice mark found (not a guess: nothing cleared the check)"))
		if out.Note != "" {
			fmt.Fprintln(w, "  "+clean(out.Note))
		}
	}
	if !out.Found {
		return cli.Exit("", exitUndecided)
	}
	return nil
}
