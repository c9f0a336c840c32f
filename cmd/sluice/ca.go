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
			{Name: "install", Usage: l.Pick("在系统信任库和 Chrome/Firefox 的 NSS 数据库中信任根证书（系统库需要 root；没有 ~/.pki/nssdb 时会创建）；--check 只检查",
				"trust the CA in the system store and Chrome/Firefox NSS databases (the system store needs root; creates ~/.pki/nssdb when missing); --check only checks"), Action: caTrust(true), Flags: trustFlags(l)},
			{Name: "uninstall", Usage: l.Pick("从系统信任库和 NSS 数据库中移除根证书，以及安装时创建的链接和数据库；--check 只检查", "remove the CA from the system store and NSS databases, with the links and databases install created; --check only checks"), Action: caTrust(false), Flags: trustFlags(l)},
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

func trustFlags(l l10n.Lang) []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "check", Usage: l.Pick("不做修改，逐个信任库报告是否信任根证书（install：有未信任的则退出码 1；uninstall：仍有信任的则退出码 1）",
			"change nothing; report per store whether the CA is trusted (install: exit 1 if any store does not trust it; uninstall: exit 1 if any still does)"), EnvVars: []string{"SLUICE_CA_CHECK"}},
		&cli.StringSliceFlag{Name: "store", Usage: l.Pick("只处理这些信任库：system、nss（默认两者）", "only these trust stores: system, nss (default both)"), EnvVars: []string{"SLUICE_TRUST_STORES"}},
	}
}

func caTrust(install bool) cli.ActionFunc {
	return func(c *cli.Context) error {
		l := lang(c)
		if err := refuseSecondCA(c); err != nil {
			return err
		}
		ca, err := loadCA(c)
		if err != nil {
			return err
		}
		o, err := trustOptions(c, ca.CertPath)
		if err != nil {
			return err
		}
		if c.Bool("check") {
			return trustCheck(c, o, install)
		}
		var res *truststore.Result
		if install {
			res, err = truststore.Install(o)
		} else {
			res, err = truststore.Uninstall(o)
		}
		if res != nil {
			for _, d := range res.Done {
				fmt.Fprintln(c.App.Writer, "✓ "+d.Text(l))
			}
			for _, pr := range res.Problems {
				fmt.Fprintln(c.App.ErrWriter, "✗ "+pr.Text(l))
			}
		}
		if err != nil {
			return err
		}
		if install {
			fmt.Fprintln(c.App.Writer, l.Pick("请重启浏览器使证书生效。", "Restart the browsers for the change to take effect."))
		}
		return nil
	}
}

// trustCheck prints one line per store and exits 1 when the CA is not trusted where it should be
// (install) or still trusted somewhere (uninstall).
func trustCheck(c *cli.Context, o truststore.Options, install bool) error {
	l := lang(c)
	sts, err := truststore.Check(o)
	if err != nil {
		return err
	}
	bad := 0
	for _, s := range sts {
		mark, what := "✓", l.Pick("信任根证书", "trusts the CA")
		if !s.Trusted {
			mark, what = "✗", l.Pick("不信任根证书", "does not trust the CA")
		}
		if s.Trusted != install {
			bad++
		}
		line := fmt.Sprintf("%s %s %s: %s", mark, s.Store, s.Path, what)
		if n := s.Note.Text(l); n != "" {
			line += l.Pick("（", " (") + n + l.Pick("）", ")")
		}
		fmt.Fprintln(c.App.Writer, line)
	}
	if bad > 0 {
		if install {
			return cli.Exit(l.Pick(fmt.Sprintf("%d 个信任库还不信任 Sluice 根证书；运行 'sudo sluice ca install'", bad),
				fmt.Sprintf("%d trust store(s) do not trust the Sluice CA yet; run 'sudo sluice ca install'", bad)), exitUndecided)
		}
		return cli.Exit(l.Pick(fmt.Sprintf("%d 个信任库仍信任 Sluice 根证书；运行 'sudo sluice ca uninstall'", bad),
			fmt.Sprintf("%d trust store(s) still trust the Sluice CA; run 'sudo sluice ca uninstall'", bad)), exitUndecided)
	}
	return nil
}
