package main

import (
	"fmt"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/proxy/daemon"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/urfave/cli/v2"
)

func policyCommand(l l10n.Lang) *cli.Command {
	return &cli.Command{
		Name:  "policy",
		Usage: l.Pick("校验或查看策略文件", "check the policy file"),
		Subcommands: []*cli.Command{
			{Name: "check", Usage: l.Pick("校验 policy.yaml（或指定的文件）", "validate policy.yaml (or FILE)"), ArgsUsage: l.Pick("[文件]", "[FILE]"), Action: policyCheck},
			{Name: "default", Usage: l.Pick("打印带注释的默认策略", "print the commented default policy"), Action: func(c *cli.Context) error {
				_, err := c.App.Writer.Write(policy.DefaultYAML())
				return err
			}},
		},
	}
}

func policyCheck(c *cli.Context) error {
	file := daemon.PathsFor(dataDir(c)).Policy
	if c.NArg() > 1 {
		return usage(c, "policy check 最多一个文件", "policy check takes at most one FILE")
	}
	if c.NArg() == 1 {
		file = c.Args().First()
	}
	p, err := policy.LoadFile(file)
	if err != nil {
		return cli.Exit(l10n.Text(err, lang(c)), exitUndecided)
	}
	n := len(p.Catalog().WatchedHosts())
	fmt.Fprintln(c.App.Writer, lang(c).Pick(fmt.Sprintf("%s 有效：%d 个监控站点规则，%d 个告警通道", file, n, len(p.Alerts)),
		fmt.Sprintf("%s is valid: %d watched host patterns, %d alert channels", file, n, len(p.Alerts))))
	return nil
}
