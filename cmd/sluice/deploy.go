package main

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/sluice-dlp/sluice/extension"
	"github.com/sluice-dlp/sluice/internal/deploy"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/proxy/daemon"
	"github.com/urfave/cli/v2"
)

func deployCommand(l l10n.Lang) *cli.Command {
	return &cli.Command{
		Name:  "deploy",
		Usage: l.Pick("生成受管浏览器的企业策略文件", "write enterprise policy files for managed browsers"),
		Subcommands: []*cli.Command{{
			Name: "browser-policy",
			Usage: l.Pick("写出 Chrome/Edge（Windows .reg、macOS .mobileconfig、Linux JSON）和 Firefox（policies.json）的策略：经 PAC 代理且不直连、锁定代理设置、强制安装并配置 Sluice 扩展；同时打包扩展供控制台分发",
				"write Chrome/Edge (Windows .reg, macOS .mobileconfig, Linux JSON) and Firefox (policies.json) policies: proxy through the PAC file with no direct fallback, proxy settings locked, the Sluice extension force-installed and configured; also packs the extension the console serves"),
			Action: deployBrowserPolicy,
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Value: "sluice-policy", Usage: l.Pick("输出目录", "output directory"), EnvVars: []string{"SLUICE_DEPLOY_OUT"}},
				&cli.StringFlag{Name: "console", Usage: l.Pick("员工访问控制台的网址（默认：数据目录中的 daemon.addr）", "console URL as staff PCs reach it (default: the data dir's daemon.addr)"), EnvVars: []string{"SLUICE_PUBLIC_CONSOLE"}},
				&cli.StringFlag{Name: "pac", Usage: l.Pick("PAC 文件网址（默认：控制台/proxy.pac）", "PAC file URL (default: CONSOLE/proxy.pac)"), EnvVars: []string{"SLUICE_DEPLOY_PAC"}},
				&cli.StringFlag{Name: "proxy", Usage: l.Pick("改用固定代理 HOST:PORT（不用 PAC）", "a fixed proxy HOST:PORT instead of the PAC file"), EnvVars: []string{"SLUICE_DEPLOY_PROXY"}},
				&cli.StringFlag{Name: "extension-id", Usage: l.Pick("自行发布的扩展 ID（默认：本机打包的扩展，密钥在数据目录的 extension.key）", "id of an extension you publish yourself (default: the one packed here, key in the data dir's extension.key)"), EnvVars: []string{"SLUICE_EXTENSION_ID"}},
				&cli.StringFlag{Name: "update-url", Usage: l.Pick("与 --extension-id 一起：该扩展的更新清单网址", "with --extension-id: that extension's update manifest URL"), EnvVars: []string{"SLUICE_EXTENSION_UPDATE_URL"}},
				&cli.BoolFlag{Name: "no-pairing", Usage: l.Pick("扩展中保留 API 令牌输入框，不用一次性配对码", "keep the API token field in the extension instead of the one-time pairing code"), EnvVars: []string{"SLUICE_DEPLOY_NO_PAIRING"}},
			},
		}},
	}
}

// deployConsole is the console URL written into the policies: --console, else the running daemon's address.
func deployConsole(c *cli.Context) string {
	if v := c.String("console"); v != "" {
		return v
	}
	if data, err := os.ReadFile(filepath.Join(dataDir(c), "daemon.addr")); err == nil {
		return strings.TrimSpace(string(data))
	}
	return "http://127.0.0.1:8081"
}

func deployBrowserPolicy(c *cli.Context) error {
	l := lang(c)
	if c.String("pac") != "" && c.String("proxy") != "" {
		return usage(c, "--pac 和 --proxy 只能选一个", "use either --pac or --proxy, not both")
	}
	ca, err := loadCA(c)
	if err != nil {
		return err
	}
	p := daemon.PathsFor(dataDir(c))
	console := strings.TrimRight(deployConsole(c), "/")
	o := deploy.Options{ConsoleURL: console, PACURL: c.String("pac"), Proxy: c.String("proxy"), CACert: ca.Cert.Raw,
		NoPairing: c.Bool("no-pairing"), ExtensionID: c.String("extension-id"), UpdateURL: c.String("update-url")}
	if (o.ExtensionID == "") != (o.UpdateURL == "") {
		return usage(c, "--extension-id 和 --update-url 要一起给出（自行发布的扩展）", "--extension-id and --update-url go together (an extension you publish yourself)")
	}
	out := c.String("out")
	// Pack the extension the console serves at /extension/ (and copy it to the output for self-hosting).
	key, created, err := deploy.LoadOrCreateKey(filepath.Join(p.Dir, "extension.key"))
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintln(c.App.ErrWriter, l.Pick("已创建扩展签名密钥 ", "created the extension signing key ")+filepath.Join(p.Dir, "extension.key"))
	}
	packedUpdate := console + "/extension/updates.xml"
	pk, err := deploy.Pack(extension.Files, key, packedUpdate)
	if err != nil {
		return err
	}
	manifest := deploy.UpdateManifest(pk.ID, pk.Version, console+"/extension/sluice.crx")
	for _, dir := range []string{filepath.Join(p.Dir, "extension"), filepath.Join(out, "extension")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return l10n.Wrap(err, l10n.Internal, "无法创建 %s", "cannot create %s", dir)
		}
		for name, data := range map[string][]byte{"sluice.crx": pk.CRX, "sluice.xpi": pk.XPI, "updates.xml": manifest} {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				return l10n.Wrap(err, l10n.Internal, "无法写入 %s", "cannot write %s", filepath.Join(dir, name))
			}
		}
	}
	if o.ExtensionID == "" {
		o.ExtensionID, o.UpdateURL = pk.ID, packedUpdate
	}
	files, err := deploy.Write(out, o)
	if err != nil {
		return err
	}
	for _, f := range append(files, "extension/sluice.crx", "extension/sluice.xpi", "extension/updates.xml") {
		fmt.Fprintln(c.App.Writer, filepath.Join(out, filepath.FromSlash(f)))
	}
	for _, origin := range []string{"chrome-extension://" + o.ExtensionID, "moz-extension://" + deploy.FirefoxUUID(o.ExtensionID)} {
		if err := allowExtensionOrigin(c, p.Policy, origin); err != nil {
			return err
		}
	}
	if u, err := url.Parse(console); err == nil {
		if ip := net.ParseIP(u.Hostname()); u.Hostname() == "localhost" || ip != nil && ip.IsLoopback() {
			fmt.Fprintln(c.App.ErrWriter, l.Pick("注意：控制台地址 "+console+" 是本机回环地址，其他电脑访问不到；给员工电脑用的策略请加 --console http://服务器:8081",
				"note: the console URL "+console+" is loopback, which other PCs cannot reach; for staff PCs pass --console http://SERVER:8081"))
		}
	}
	if o.Proxy == "" {
		fmt.Fprintln(c.App.ErrWriter, l.Pick("注意：Firefox 没有 PacMandatory，取不到 PAC 文件时会直接连网；要让 Firefox 在 Sluice 不可用时也无法上网，请为它另生成 --proxy HOST:PORT 的策略",
			"note: Firefox has no PacMandatory and goes direct when the PAC file cannot be fetched; for Firefox to fail closed too, generate its policy with --proxy HOST:PORT"))
	}
	fmt.Fprintln(c.App.ErrWriter, l.Pick(
		fmt.Sprintf("扩展 ID %s（Chrome/Edge），%s（Firefox）；控制台在 %s/extension/ 提供扩展。部署步骤见 %s",
			o.ExtensionID, deploy.GeckoID, console, filepath.Join(out, deploy.ReadmeFile)),
		fmt.Sprintf("extension id %s (Chrome/Edge), %s (Firefox); the console serves the extension at %s/extension/. Where each file goes: %s",
			o.ExtensionID, deploy.GeckoID, console, filepath.Join(out, deploy.ReadmeFile))))
	return nil
}

// allowExtensionOrigin adds origin to extension_origins in the data dir's policy.yaml (keeping its
// comments), so the daemon accepts the packed extension's WebSocket after its next start.
func allowExtensionOrigin(c *cli.Context, policyFile, origin string) error {
	l := lang(c)
	data, err := os.ReadFile(policyFile)
	if err != nil {
		fmt.Fprintln(c.App.ErrWriter, l.Pick("注意：没有找到 "+policyFile+"；请在策略的 extension_origins 中加入 "+origin,
			"note: no "+policyFile+"; add "+origin+" to extension_origins in your policy"))
		return nil
	}
	text := string(data)
	if strings.Contains(text, origin) {
		return nil
	}
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		if strings.TrimSpace(line) == "extension_origins:" && !strings.HasPrefix(line, " ") {
			lines = append(lines[:i+1], append([]string{"  - " + origin}, lines[i+1:]...)...)
			if err := os.WriteFile(policyFile, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
				return l10n.Wrap(err, l10n.Internal, "无法写入 %s", "cannot write %s", policyFile)
			}
			fmt.Fprintln(c.App.ErrWriter, l.Pick("已在 "+policyFile+" 的 extension_origins 中加入 "+origin+"；请重启 sluice run 使其生效",
				"added "+origin+" to extension_origins in "+policyFile+"; restart sluice run for it to take effect"))
			return nil
		}
	}
	fmt.Fprintln(c.App.ErrWriter, l.Pick("注意：请在 "+policyFile+" 的 extension_origins 中加入 "+origin+"，否则守护进程会拒绝扩展的连接",
		"note: add "+origin+" to extension_origins in "+policyFile+", or the daemon refuses the extension's connection"))
	return nil
}
