package main

import (
	"fmt"
	"os"

	"github.com/sluice-dlp/sluice/proxy"
	"github.com/sluice-dlp/sluice/proxy/truststore"
	"github.com/urfave/cli/v2"
)

func init() {
	register(&cli.Command{
		Name:  "ca",
		Usage: "export the Sluice root certificate or install it into this machine's trust stores",
		Subcommands: []*cli.Command{
			{Name: "export", Usage: "write the CA certificate (PEM, or DER with --der) to a file or stdout", Action: caExport, Flags: []cli.Flag{
				&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "output file (default stdout)", EnvVars: []string{"SLUICE_CA_OUT"}},
				&cli.BoolFlag{Name: "der", Usage: "DER (.crt for Windows/macOS) instead of PEM", EnvVars: []string{"SLUICE_CA_DER"}},
			}},
			{Name: "install", Usage: "trust the CA in the system store and Chrome/Firefox NSS databases (needs root for the system store)", Action: caTrust(true)},
			{Name: "uninstall", Usage: "remove the CA from the system store and NSS databases", Action: caTrust(false)},
		},
	})
}

func caExport(c *cli.Context) error {
	ca, err := proxy.LoadOrCreateCA(dataDir(c), nil)
	if err != nil {
		return cli.Exit(err.Error(), exitUndecided)
	}
	data := ca.CertPEM
	if c.Bool("der") {
		data = ca.Cert.Raw
	}
	if out := c.String("out"); out != "" {
		if err := os.WriteFile(out, data, 0o644); err != nil {
			return cli.Exit("sluice: cannot write "+out+": "+err.Error(), exitUndecided)
		}
		fmt.Fprintln(os.Stderr, l10n(c, "已导出根证书到 ", "CA certificate written to ")+out+"\nSHA-256 "+ca.Fingerprint())
		return nil
	}
	_, err = os.Stdout.Write(data)
	return err
}

func caTrust(install bool) cli.ActionFunc {
	return func(c *cli.Context) error {
		p := proxy.PathsFor(dataDir(c))
		if _, err := os.Stat(p.CACert); err != nil {
			return cli.Exit(l10n(c, "sluice: 还没有根证书；先运行 'sluice init'", "sluice: no CA yet; run 'sluice init' first"), exitUsage)
		}
		o := truststore.Options{CertPath: p.CACert}
		var res *truststore.Result
		var err error
		if install {
			res, err = truststore.Install(o)
		} else {
			res, err = truststore.Uninstall(o)
		}
		if res != nil {
			for _, d := range res.Done {
				fmt.Println("✓ " + d)
			}
			for _, pr := range res.Problems {
				fmt.Fprintln(os.Stderr, "✗ "+pr)
			}
		}
		if err != nil {
			return cli.Exit(err.Error(), exitUndecided)
		}
		if install {
			fmt.Println(l10n(c, "请重启浏览器使证书生效。", "Restart the browsers for the change to take effect."))
		}
		return nil
	}
}
