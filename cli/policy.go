package main

import (
	"fmt"

	"github.com/sluice-dlp/sluice/proxy"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/urfave/cli/v2"
)

func init() {
	register(&cli.Command{
		Name:  "policy",
		Usage: "check the policy file",
		Subcommands: []*cli.Command{
			{Name: "check", Usage: "validate policy.yaml (or FILE)", ArgsUsage: "[FILE]", Action: policyCheck},
			{Name: "default", Usage: "print the commented default policy", Action: func(c *cli.Context) error {
				fmt.Print(string(policy.DefaultYAML()))
				return nil
			}},
		},
	})
}

func policyCheck(c *cli.Context) error {
	file := proxy.PathsFor(dataDir(c)).Policy
	if c.NArg() > 0 {
		file = c.Args().First()
	}
	p, err := policy.LoadFile(file)
	if err != nil {
		return cli.Exit(err.Error(), exitUndecided)
	}
	fmt.Println(l10n(c, fmt.Sprintf("%s 有效：%d 个监控站点规则，%d 个告警通道", file, len(p.Catalog().WatchedHosts()), len(p.Alerts)),
		fmt.Sprintf("%s is valid: %d watched host patterns, %d alert channels", file, len(p.Catalog().WatchedHosts()), len(p.Alerts))))
	return nil
}
