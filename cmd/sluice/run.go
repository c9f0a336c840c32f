package main

import (
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/proxy/daemon"
	"github.com/sluice-dlp/sluice/proxy/front"
	"github.com/sluice-dlp/sluice/store"
	"github.com/urfave/cli/v2"
)

func initCommand(l l10n.Lang) *cli.Command {
	return &cli.Command{
		Name:  "init",
		Usage: l.Pick("创建数据目录：根证书、默认策略、数据库、第一个管理员（run 也会做）", "create the data dir: CA, default policy, database, first admin user (also done by run)"),
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "ca-name-constraints", Usage: l.Pick("新根证书只能为受监控的域名签发（Chrome 会强制执行）", "restrict a new CA to the watched domains (Chrome enforces this)"), EnvVars: []string{"SLUICE_CA_NAME_CONSTRAINTS"}},
		},
		Action: func(c *cli.Context) error {
			if err := refuseSecondCA(c); err != nil {
				return err
			}
			audit, err := auditConfig(c)
			if err != nil {
				return err
			}
			res, err := daemon.InitKeyed(dataDir(c), c.Bool("ca-name-constraints"), audit)
			if err != nil {
				return err
			}
			printInit(c, res)
			return nil
		},
	}
}

func runCommand(l l10n.Lang) *cli.Command {
	return &cli.Command{
		Name:  "run",
		Usage: l.Pick("运行代理和控制台", "run the proxy and the console"),
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "listen", Usage: l.Pick("代理地址（非回环地址要求代理登录）", "proxy address (non-loopback requires proxy login)"), EnvVars: []string{"SLUICE_LISTEN"}, Value: "127.0.0.1:8080"},
			&cli.StringFlag{Name: "console", Usage: l.Pick("控制台、API、WebSocket 和 PAC 的地址", "console, API, WebSocket and PAC address"), EnvVars: []string{"SLUICE_CONSOLE"}, Value: "127.0.0.1:8081"},
			&cli.StringSliceFlag{Name: "pac-proxy", Usage: l.Pick("PAC 中依次列出的代理 HOST:PORT（多个节点时每个节点一项；默认本节点）", "proxies the PAC names, in order, HOST:PORT (several nodes: one each; default this node)"), EnvVars: []string{"SLUICE_PAC_PROXY"}},
			&cli.StringFlag{Name: "public-console", Usage: l.Pick("用户访问控制台的网址（默认 http://<console>）", "console URL as users reach it (default http://<console>)"), EnvVars: []string{"SLUICE_PUBLIC_CONSOLE"}},
			&cli.StringSliceFlag{Name: "upstream-ca", Usage: l.Pick("额外信任的上游根证书文件（可重复）", "extra CA file trusted for upstream TLS (repeatable)"), EnvVars: []string{"SLUICE_UPSTREAM_CA"}},
			&cli.StringSliceFlag{Name: "resolve", Usage: l.Pick("HOST:PORT=ADDR:PORT 连接重定向，同 curl（可重复）", "HOST:PORT=ADDR:PORT dial override, like curl (repeatable)"), EnvVars: []string{"SLUICE_RESOLVE"}},
			&cli.StringFlag{Name: "user", Usage: l.Pick("单用户本地代理：所有流量记在此用户名下", "single-user local proxy: attribute all traffic to this user"), EnvVars: []string{"SLUICE_USER"}},
			&cli.Int64Flag{Name: "spool-threshold", Usage: l.Pick("上传内容超过此字节数后写入磁盘", "bytes of a body kept in memory before spilling to disk"), EnvVars: []string{"SLUICE_SPOOL_THRESHOLD"}, Value: 8 << 20},
			&cli.Int64Flag{Name: "max-inspect", Usage: l.Pick("超过此大小的上传按“无法检查”处理", "bodies larger than this get the policy's uninspectable verdict"), EnvVars: []string{"SLUICE_MAX_INSPECT"}, Value: 512 << 20},
			&cli.BoolFlag{Name: "upstream-http2", Usage: l.Pick("与支持 HTTP/2 的网站用 HTTP/2 通信（默认 HTTP/1.1）", "speak HTTP/2 to sites that offer it (default HTTP/1.1)"), EnvVars: []string{"SLUICE_UPSTREAM_HTTP2"}},
			&cli.Int64Flag{Name: "body-memory", Usage: l.Pick("所有进行中的上传合计最多占用的内存字节数，超出部分写入磁盘", "bytes of memory all uploads in flight may use together; the rest spills to disk"), EnvVars: []string{"SLUICE_BODY_MEMORY"}, Value: 32 << 20},
			&cli.Int64Flag{Name: "max-held", Usage: l.Pick("等待判定的分片上传最多在磁盘上暂存的总字节数", "bytes of sliced uploads held on disk at once while their files complete"), EnvVars: []string{"SLUICE_MAX_HELD"}, Value: 2 << 30},
			&cli.DurationFlag{Name: "idle-timeout", Usage: l.Pick("长连接等待下一个请求的最长时间", "how long a keep-alive connection may wait for its next request"), EnvVars: []string{"SLUICE_IDLE_TIMEOUT"}, Value: 90 * time.Second},
			&cli.DurationFlag{Name: "header-timeout", Usage: l.Pick("请求头（及 TLS 握手）必须在此时间内到齐", "request headers (and the TLS handshake) must arrive within this"), EnvVars: []string{"SLUICE_HEADER_TIMEOUT"}, Value: 20 * time.Second},
			&cli.Int64Flag{Name: "min-body-rate", Usage: l.Pick("上传内容的最低平均速率（字节/秒），低于此速率的连接被断开", "bytes/s a request body must average; slower connections are closed"), EnvVars: []string{"SLUICE_MIN_BODY_RATE"}, Value: 1024},
			&cli.IntFlag{Name: "max-conns", Usage: l.Pick("代理端口同时打开的连接数上限（默认按文件描述符上限计算）", "connections open on the proxy port at once (default: from the open-file limit)"), EnvVars: []string{"SLUICE_MAX_CONNS"}},
			&cli.IntFlag{Name: "max-conns-per-client", Usage: l.Pick("单个客户端地址同时打开的连接数上限", "connections open at once from one client address"), EnvVars: []string{"SLUICE_MAX_CONNS_PER_CLIENT"}},
			&cli.BoolFlag{Name: "ca-name-constraints", Usage: l.Pick("新根证书只能为受监控的域名签发", "restrict a new CA to the watched domains"), EnvVars: []string{"SLUICE_CA_NAME_CONSTRAINTS"}},
			&cli.BoolFlag{Name: "secure-cookies", Usage: l.Pick("控制台 Cookie 加 Secure 标记（控制台在 HTTPS 之后）", "mark console cookies Secure (console behind HTTPS)"), EnvVars: []string{"SLUICE_SECURE_COOKIES"}},
			&cli.StringFlag{Name: "log-format", Usage: l.Pick("日志格式：text 或 json", "log format: text or json"), EnvVars: []string{"SLUICE_LOG_FORMAT"}, Value: "text"},
			&cli.BoolFlag{Name: "verbose", Usage: l.Pick("输出调试日志", "debug logging"), EnvVars: []string{"SLUICE_VERBOSE"}},
			&cli.StringFlag{Name: "witness-file", Usage: l.Pick("审计链头见证文件，只追加 JSON 行（默认数据目录中的 audit-witness.jsonl；off 关闭）；请放在其他存储上",
				"witness file the audit chain head is appended to as JSON lines (default audit-witness.jsonl in the data dir; off: none); put it on other storage"), EnvVars: []string{"SLUICE_WITNESS_FILE"}},
			&cli.StringFlag{Name: "witness-url", Usage: l.Pick("审计链头也以 JSON POST 到此地址（日志收集、SIEM）", "also POST the audit chain head as JSON to this URL (log collector, SIEM)"), EnvVars: []string{"SLUICE_WITNESS_URL"}},
			&cli.DurationFlag{Name: "witness-interval", Usage: l.Pick("链头有变化时多久导出一次（启动和停止时总会导出）", "how often a moved chain head is exported (always at start and stop)"), EnvVars: []string{"SLUICE_WITNESS_INTERVAL"}, Value: 5 * time.Minute},
			&cli.Int64Flag{Name: "archive-max-file", Usage: l.Pick("单个暂存或外发文件最多归档的字节数；更大的只记录哈希和大小（负数：不限）", "largest held or outbound body kept in the archive; larger ones are recorded by hash and size only (negative: no limit)"), EnvVars: []string{"SLUICE_ARCHIVE_MAX_FILE"}, Value: store.DefaultArchiveMaxFile},
			&cli.Int64Flag{Name: "archive-max-total", Usage: l.Pick("归档总字节数上限；超过时先删最旧的（负数：不限）", "bytes the whole archive may hold; past it the oldest blobs are removed first (negative: no limit)"), EnvVars: []string{"SLUICE_ARCHIVE_MAX_TOTAL"}, Value: store.DefaultArchiveMaxTotal},
		},
		Action: runDaemon,
	}
}

func runDaemon(c *cli.Context) error {
	level := slog.LevelInfo
	if c.Bool("verbose") {
		level = slog.LevelDebug
	}
	var handler slog.Handler
	switch opts := (&slog.HandlerOptions{Level: level}); c.String("log-format") {
	case "text":
		handler = slog.NewTextHandler(c.App.ErrWriter, opts)
	case "json":
		handler = slog.NewJSONHandler(c.App.ErrWriter, opts)
	default:
		return l10n.Errorf(l10n.Invalid, "--log-format 只能是 text 或 json，而不是 %q", "--log-format must be text or json, not %q", c.String("log-format"))
	}
	audit, err := auditConfig(c)
	if err != nil {
		return err
	}
	audit.WitnessFile, audit.WitnessURL, audit.WitnessInterval = c.String("witness-file"), c.String("witness-url"), c.Duration("witness-interval")
	audit.ArchiveMaxFile, audit.ArchiveMaxTotal = c.Int64("archive-max-file"), c.Int64("archive-max-total")
	cfg := daemon.Config{
		DataDir: dataDir(c), Listen: c.String("listen"), Console: c.String("console"), PublicConsole: c.String("public-console"),
		UpstreamCAs: c.StringSlice("upstream-ca"), Resolve: c.StringSlice("resolve"), User: c.String("user"),
		SpoolThreshold: c.Int64("spool-threshold"), MaxInspect: c.Int64("max-inspect"), MaxHeld: c.Int64("max-held"), BodyMemory: c.Int64("body-memory"), UpstreamHTTP2: c.Bool("upstream-http2"), NameConstraints: c.Bool("ca-name-constraints"),
		SecureCookies: c.Bool("secure-cookies"), Audit: audit, PACProxies: c.StringSlice("pac-proxy"),
		Limits: front.Limits{Idle: c.Duration("idle-timeout"), Header: c.Duration("header-timeout"), Handshake: c.Duration("header-timeout"),
			MinBodyRate: c.Int64("min-body-rate"), MaxConns: c.Int("max-conns"), MaxConnsPerIP: c.Int("max-conns-per-client")},
		Logger: slog.New(handler),
	}
	if err := cfg.Validate(); err != nil { // before anything is created or locked
		return err
	}
	if err := refuseSecondCA(c); err != nil {
		return err
	}
	res, err := daemon.InitKeyed(dataDir(c), c.Bool("ca-name-constraints"), audit)
	if err != nil {
		return err
	}
	printInit(c, res)
	d, err := daemon.New(cfg)
	if err != nil {
		return err
	}
	sig := make(chan os.Signal, 1) // before Start: a stop asked for while starting is a clean stop too
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	if err := d.Start(); err != nil {
		d.Close()
		return err
	}
	u := d.ConsoleURL()
	fmt.Fprintln(c.App.ErrWriter, lang(c).Pick(
		fmt.Sprintf("Sluice 已启动：代理 %s，控制台 %s\n  浏览器 PAC 地址：%s/proxy.pac\n  根证书安装页：%s/ca（或运行 sudo sluice ca install）", d.ProxyAddr(), u, u, u),
		fmt.Sprintf("Sluice is running: proxy %s, console %s\n  browser PAC URL: %s/proxy.pac\n  CA install page: %s/ca (or run sudo sluice ca install)", d.ProxyAddr(), u, u, u)))
	if res.AdminPassword != "" { // first start
		fmt.Fprintln(c.App.ErrWriter, quickStart(lang(c)))
	}
	for _, w := range d.Warnings() {
		fmt.Fprintln(c.App.ErrWriter, lang(c).Pick("注意：", "Note: ")+lang(c).Pick(w.ZH, w.EN))
	}
	<-sig
	fmt.Fprintln(c.App.ErrWriter, lang(c).Pick("正在停止…", "stopping…"))
	return d.Close()
}

func printInit(c *cli.Context, res *daemon.InitResult) {
	l := lang(c)
	for _, f := range res.Created {
		fmt.Fprintln(c.App.ErrWriter, l.Pick("已创建 ", "created ")+f)
	}
	if res.AdminPassword != "" {
		p := daemon.PathsFor(dataDir(c))
		fmt.Fprintln(c.App.ErrWriter, l.Pick(
			"控制台管理员账号 admin，初始密码："+res.AdminPassword+"（已保存在 "+p.InitialPassword+"；请尽快用 'sluice users passwd admin' 修改）",
			"console admin account: admin, initial password: "+res.AdminPassword+" (saved in "+p.InitialPassword+"; change it with 'sluice users passwd admin')"))
	}
}

// quickStart is what a first start prints after the addresses: add people, and how traffic is attributed.
func quickStart(l l10n.Lang) string {
	return l.Pick(`快速开始：
  1. 添加员工和审批人（另开一个终端；命令通过正在运行的 Sluice 完成）：
       sluice users add lisi     --display-name 李四 --staff-id A2001 --role reviewer --password '…'
       sluice users add wangwu   --display-name 王五 --staff-id A3001 --role reviewer --password '…'
       sluice users add zhangsan --display-name 张三 --staff-id A1024 --lead lisi --head wangwu --password '…'
  2. 流量记在谁名下（水印和审计记录显示的就是这个人）：
       本机单人使用：sluice run --user zhangsan        所有经过本代理的流量记在张三名下
       多人共用：    sluice run --listen 0.0.0.0:8080  每个浏览器用自己的账号密码登录代理
       两者都没有：  本机流量记在操作系统账号名下（启动时会提示）
  3. 浏览器使用上面的 PAC 地址并信任根证书，然后向 pan.baidu.com 上传一份客户名单试试。`,
		`Quick start:
  1. Add staff and their approvers (in another terminal; the commands go through the running Sluice):
       sluice users add lisi     --display-name 李四 --staff-id A2001 --role reviewer --password '…'
       sluice users add wangwu   --display-name 王五 --staff-id A3001 --role reviewer --password '…'
       sluice users add zhangsan --display-name 张三 --staff-id A1024 --lead lisi --head wangwu --password '…'
  2. Who the traffic belongs to (watermarks and the audit log name this person):
       one person on this machine: sluice run --user zhangsan        everything through this proxy is zhangsan's
       shared by several people:   sluice run --listen 0.0.0.0:8080  each browser logs in to the proxy
       neither:                    traffic on this machine is the OS account's (a warning at start says so)
  3. Point a browser at the PAC URL above, trust the CA, and try uploading a customer list to pan.baidu.com.`)
}
