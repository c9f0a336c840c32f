package main

import (
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/sluice-dlp/sluice/proxy"
	"github.com/urfave/cli/v2"
)

func init() {
	register(&cli.Command{
		Name:  "init",
		Usage: "create the data dir: CA, default policy, database, first admin user",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "ca-name-constraints", Usage: "restrict a new CA to the watched domains (Chrome enforces this)", EnvVars: []string{"SLUICE_CA_NAME_CONSTRAINTS"}},
		},
		Action: func(c *cli.Context) error {
			res, err := proxy.Init(dataDir(c), c.Bool("ca-name-constraints"))
			if err != nil {
				return cli.Exit(err.Error(), exitUndecided)
			}
			printInit(c, res)
			return nil
		},
	})
	register(&cli.Command{
		Name:  "run",
		Usage: "run the proxy and the console",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "listen", Usage: "proxy address (non-loopback requires proxy login)", EnvVars: []string{"SLUICE_LISTEN"}, Value: "127.0.0.1:8080"},
			&cli.StringFlag{Name: "console", Usage: "console, API, WebSocket and PAC address", EnvVars: []string{"SLUICE_CONSOLE"}, Value: "127.0.0.1:8081"},
			&cli.StringFlag{Name: "public-console", Usage: "console URL as users reach it (default http://<console>)", EnvVars: []string{"SLUICE_PUBLIC_CONSOLE"}},
			&cli.StringSliceFlag{Name: "upstream-ca", Usage: "extra CA file trusted for upstream TLS (repeatable)", EnvVars: []string{"SLUICE_UPSTREAM_CA"}},
			&cli.StringSliceFlag{Name: "resolve", Usage: "HOST:PORT=ADDR:PORT dial override, like curl (repeatable)", EnvVars: []string{"SLUICE_RESOLVE"}},
			&cli.StringFlag{Name: "user", Usage: "single-user local proxy: attribute all traffic to this user", EnvVars: []string{"SLUICE_USER"}},
			&cli.Int64Flag{Name: "spool-threshold", Usage: "bytes of a body kept in memory before spilling to disk", EnvVars: []string{"SLUICE_SPOOL_THRESHOLD"}, Value: 8 << 20},
			&cli.Int64Flag{Name: "max-inspect", Usage: "bodies larger than this get the policy's uninspectable verdict", EnvVars: []string{"SLUICE_MAX_INSPECT"}, Value: 512 << 20},
			&cli.BoolFlag{Name: "ca-name-constraints", Usage: "restrict a new CA to the watched domains", EnvVars: []string{"SLUICE_CA_NAME_CONSTRAINTS"}},
			&cli.BoolFlag{Name: "secure-cookies", Usage: "mark console cookies Secure (console behind HTTPS)", EnvVars: []string{"SLUICE_SECURE_COOKIES"}},
			&cli.BoolFlag{Name: "verbose", Usage: "debug logging", EnvVars: []string{"SLUICE_VERBOSE"}},
		},
		Action: runDaemon,
	})
}

func runDaemon(c *cli.Context) error {
	level := slog.LevelInfo
	if c.Bool("verbose") {
		level = slog.LevelDebug
	}
	res, err := proxy.Init(dataDir(c), c.Bool("ca-name-constraints"))
	if err != nil {
		return cli.Exit(err.Error(), exitUndecided)
	}
	printInit(c, res)
	d, err := proxy.New(proxy.Config{
		DataDir: dataDir(c), Listen: c.String("listen"), Console: c.String("console"), PublicConsole: c.String("public-console"),
		UpstreamCAs: c.StringSlice("upstream-ca"), Resolve: c.StringSlice("resolve"), User: c.String("user"),
		SpoolThreshold: c.Int64("spool-threshold"), MaxInspect: c.Int64("max-inspect"), NameConstraints: c.Bool("ca-name-constraints"),
		SecureCookies: c.Bool("secure-cookies"),
		Logger:        slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		return cli.Exit(err.Error(), exitUndecided)
	}
	if err := d.Start(); err != nil {
		d.Close()
		return cli.Exit(err.Error(), exitUndecided)
	}
	fmt.Fprintln(os.Stderr, l10n(c,
		fmt.Sprintf("Sluice 已启动：代理 %s，控制台 %s\n  浏览器 PAC 地址：%s/proxy.pac\n  根证书安装页：%s/ca（或运行 sudo sluice ca install）", d.ProxyAddr(), d.ConsoleURL(), d.ConsoleURL(), d.ConsoleURL()),
		fmt.Sprintf("Sluice is running: proxy %s, console %s\n  browser PAC URL: %s/proxy.pac\n  CA install page: %s/ca (or run sudo sluice ca install)", d.ProxyAddr(), d.ConsoleURL(), d.ConsoleURL(), d.ConsoleURL())))
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	fmt.Fprintln(os.Stderr, l10n(c, "正在停止…", "stopping…"))
	return d.Close()
}

func printInit(c *cli.Context, res *proxy.InitResult) {
	for _, f := range res.Created {
		fmt.Fprintln(os.Stderr, l10n(c, "已创建 ", "created ")+f)
	}
	if res.AdminPassword != "" {
		p := proxy.PathsFor(dataDir(c))
		fmt.Fprintln(os.Stderr, l10n(c,
			"控制台管理员账号 admin，初始密码："+res.AdminPassword+"（已保存在 "+p.InitialPassword+"；请尽快用 'sluice users passwd admin' 修改）",
			"console admin account: admin, initial password: "+res.AdminPassword+" (saved in "+p.InitialPassword+"; change it with 'sluice users passwd admin')"))
	}
}
