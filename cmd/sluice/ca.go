package main

import (
	"fmt"
	"os"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/internal/truststore"
	"github.com/sluice-dlp/sluice/proxy/daemon"
	"github.com/sluice-dlp/sluice/proxy/front"
	"github.com/urfave/cli/v2"
)

func caCommand(l l10n.Lang) *cli.Command {
	return &cli.Command{
		Name:  "ca",
		Usage: l.Pick("导出 Sluice 根证书，或把它装进本机的信任库", "export the Sluice root certificate or install it into this machine's trust stores"),
		Subcommands: []*cli.Command{
			{Name: "export", Usage: l.Pick("把根证书（PEM，或 --der 的 DER）写到文件或标准输出", "write the CA certificate (PEM, or DER with --der) to a file or stdout"), Action: caExport, Flags: []cli.Flag{
				&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: l.Pick("输出文件（默认标准输出）", "output file (default stdout)"), EnvVars: []string{"SLUICE_CA_OUT"}},
				&cli.BoolFlag{Name: "der", Usage: l.Pick("DER 格式（Windows/macOS 用的 .crt），而不是 PEM", "DER (.crt for Windows/macOS) instead of PEM"), EnvVars: []string{"SLUICE_CA_DER"}},
			}},
			{Name: "install", Usage: l.Pick("在系统信任库和 Chrome/Firefox 的 NSS 数据库中信任根证书（系统库需要 root）", "trust the CA in the system store and Chrome/Firefox NSS databases (needs root for the system store)"), Action: caTrust(true)},
			{Name: "uninstall", Usage: l.Pick("从系统信任库和 NSS 数据库中移除根证书", "remove the CA from the system store and NSS databases"), Action: caTrust(false)},
		},
	}
}

// loadCA loads the data dir's CA without creating one.
func loadCA(c *cli.Context) (*front.CA, error) {
	p := daemon.PathsFor(dataDir(c))
	if _, err := os.Stat(p.CACert); err != nil {
		return nil, usage(c, "数据目录 "+p.Dir+" 中还没有根证书；先运行 'sluice init'（或用 --data 指向 Sluice 的数据目录）",
			"no CA in "+p.Dir+" yet; run 'sluice init' first (or point --data at Sluice's data dir)")
	}
	return front.LoadOrCreateCA(p.Dir, nil)
}

func caExport(c *cli.Context) error {
	ca, err := loadCA(c)
	if err != nil {
		return err
	}
	data := ca.CertPEM
	if c.Bool("der") {
		data = ca.Cert.Raw
	}
	if out := c.String("out"); out != "" {
		if err := os.WriteFile(out, data, 0o644); err != nil {
			return l10n.Wrap(err, l10n.Internal, "无法写入 %s", "cannot write %s", out)
		}
		fmt.Fprintln(c.App.ErrWriter, lang(c).Pick("已导出根证书到 ", "CA certificate written to ")+out+"\nSHA-256 "+ca.Fingerprint())
		return nil
	}
	_, err = c.App.Writer.Write(data)
	return err
}

func caTrust(install bool) cli.ActionFunc {
	return func(c *cli.Context) error {
		ca, err := loadCA(c)
		if err != nil {
			return err
		}
		o := truststore.Options{CertPath: ca.CertPath}
		var res *truststore.Result
		if install {
			res, err = truststore.Install(o)
		} else {
			res, err = truststore.Uninstall(o)
		}
		if res != nil {
			for _, d := range res.Done {
				fmt.Fprintln(c.App.Writer, "✓ "+d)
			}
			for _, pr := range res.Problems {
				fmt.Fprintln(c.App.ErrWriter, "✗ "+pr)
			}
		}
		if err != nil {
			return err
		}
		if install {
			fmt.Fprintln(c.App.Writer, lang(c).Pick("请重启浏览器使证书生效。", "Restart the browsers for the change to take effect."))
		}
		return nil
	}
}
