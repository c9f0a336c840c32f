package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/urfave/cli/v2"
)

func markCommand(l l10n.Lang) *cli.Command {
	return &cli.Command{
		Name:      "mark",
		Usage:     l.Pick("像代理一样给 PDF 或图片加水印，并记录下来", "watermark a PDF or image exactly as the proxy would, and record it"),
		ArgsUsage: l.Pick("文件", "FILE"),
		Flags: append(connFlags(l),
			&cli.StringFlag{Name: "user", Usage: l.Pick("水印中写入其姓名和工号的员工（必填）", "the rep whose name and staff ID go into the mark (required)"), EnvVars: []string{"SLUICE_MARK_USER"}},
			&cli.StringFlag{Name: "dest", Usage: l.Pick("文件要发往的网址或主机，如 https://mail.qq.com/", "destination URL or host it is meant for, e.g. https://mail.qq.com/"), EnvVars: []string{"SLUICE_MARK_DEST"}},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: l.Pick("加水印后的文件写到哪里（必填）", "where to write the marked file (required)"), EnvVars: []string{"SLUICE_MARK_OUT"}},
		),
		Action: markFile,
	}
}

func markFile(c *cli.Context) error {
	if c.String("user") == "" || c.String("out") == "" {
		return usage(c, "请给出 --user（水印写谁）和 -o（输出文件）；例：sluice mark --user zhangsan -o 合同-已标记.pdf 合同.pdf",
			"give --user (whose mark) and -o (output file); e.g. sluice mark --user zhangsan -o contract-marked.pdf contract.pdf")
	}
	in, data, err := fileArg(c)
	if err != nil {
		return err
	}
	o, err := connect(c, false, "")
	if err != nil {
		return err
	}
	defer o.Close()
	out, m, err := o.Mark(ctxOf(c), api.MarkRequest{User: c.String("user"), Dest: c.String("dest"), Name: filepath.Base(in)}, data)
	if err != nil {
		return err
	}
	if err := os.WriteFile(c.String("out"), out, 0o644); err != nil {
		return l10n.Wrap(err, l10n.Internal, "无法写入 %s", "cannot write %s", c.String("out"))
	}
	l := lang(c)
	fmt.Fprintln(c.App.Writer, l.Pick(fmt.Sprintf("已加水印：%s（水印编号 %s）", clean(c.String("out")), clean(m.MarkID)), fmt.Sprintf("marked: %s (mark %s)", clean(c.String("out")), clean(m.MarkID))))
	if m.ResendOf != "" {
		fmt.Fprintln(c.App.Writer, l.Pick(fmt.Sprintf("  文件原有水印 %s（再次发送）：保留原水印，追查时会同时列出这次发送", clean(m.ResendOf)),
			fmt.Sprintf("  the file already carried mark %s (a re-send): it keeps it, and trace lists this send too", clean(m.ResendOf))))
	}
	if m.Weak {
		fmt.Fprintln(c.App.ErrWriter, l.Pick("  警告：隐藏水印过弱，无法从加水印后的文件中读回（图片过小或过于杂乱）；可见水印仍在",
			"  warning: the hidden mark is weak and could not be read back from the marked file (the image is too small or too busy); the visible mark is there"))
	}
	return nil
}
