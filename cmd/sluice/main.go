// Command sluice runs the Sluice data-loss-prevention proxy and its tools.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/urfave/cli/v2"
)

// Exit codes shared by every command (DESIGN.md).
const (
	exitOK        = 0
	exitUndecided = 1 // failed, or could not decide or verify
	exitUsage     = 2 // the command as typed cannot be done: fix the arguments, or it is not allowed (for you, or in this state)
)

// globalFlags may be written before or after the command; run moves them to the front.
var globalFlags = []string{"data", "lang", "audit-key", "store", "blobs"}

func main() {
	api.DisableConfigDir() // pdfcpu must not write a config dir into the user's home
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}

// run executes the CLI with args, writing to stdout and stderr, and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	args = hoistGlobals(args)
	lang := langFromArgs(args)
	app := newApp(lang, stdout, stderr)
	err := app.Run(args)
	if err == nil {
		return exitOK
	}
	var ec cli.ExitCoder
	if errors.As(err, &ec) {
		if msg := ec.Error(); msg != "" {
			fmt.Fprintln(stderr, "sluice: "+cleanText(msg))
		}
		return ec.ExitCode()
	}
	fmt.Fprintln(stderr, "sluice: "+cleanText(l10n.Text(err, lang)))
	return exitCode(err)
}

// exitCode maps an error from the jobs onto the documented exit codes.
func exitCode(err error) int {
	switch l10n.CodeOf(err) {
	case l10n.Invalid, l10n.Conflict, l10n.NotFound, l10n.Forbidden:
		return exitUsage
	}
	return exitUndecided
}

// hoistGlobals moves --data and --lang written after the command to the front, so that
// `sluice run --lang en` means what it says.
func hoistGlobals(args []string) []string {
	if len(args) < 2 {
		return args
	}
	out := []string{args[0]}
	var rest []string
	ca := caCommandLine(args) // `sluice ca … --store nss` is the trust store, not the global --store
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name := strings.TrimLeft(a, "-")
		if a == name {
			rest = append(rest, a)
			continue
		}
		key, _, hasValue := strings.Cut(name, "=")
		if !isGlobal(key) || ca && key == "store" {
			rest = append(rest, a)
			continue
		}
		out = append(out, a)
		if !hasValue && i+1 < len(args) {
			out = append(out, args[i+1])
			i++
		}
	}
	return append(out, rest...)
}

func isGlobal(name string) bool {
	for _, g := range globalFlags {
		if name == g {
			return true
		}
	}
	return false
}

// langFromArgs reads --lang (already hoisted) or SLUICE_LANG, so help and errors are in that language.
func langFromArgs(args []string) l10n.Lang {
	for i, a := range args {
		name := strings.TrimLeft(a, "-")
		if v, ok := strings.CutPrefix(name, "lang="); ok && a != name {
			return l10n.Parse(v)
		}
		if name == "lang" && a != name && i+1 < len(args) {
			return l10n.Parse(args[i+1])
		}
	}
	return l10n.Parse(os.Getenv("SLUICE_LANG"))
}

// version is the module version from the build info ("(devel)" for a source build) with the VCS revision.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if len(s.Value) > 12 {
				s.Value = s.Value[:12]
			}
			v += " " + s.Value
		case "vcs.modified":
			if s.Value == "true" {
				v += "+dirty"
			}
		}
	}
	return v + " " + bi.GoVersion
}

func newApp(lang l10n.Lang, stdout, stderr io.Writer) *cli.App {
	t := lang.Pick
	cmds := []*cli.Command{initCommand(lang), runCommand(lang), caCommand(lang), usersCommand(lang), auditCommand(lang),
		policyCommand(lang), scanCommand(lang), customersCommand(lang), fingerprintsCommand(lang), approvalsCommand(lang),
		markCommand(lang), traceCommand(lang), archiveCommand(lang), deployCommand(lang), reportCommand(lang), storeCommand(lang)}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name < cmds[j].Name })
	setUsageErrors(cmds, lang)
	cli.VersionFlag = &cli.BoolFlag{Name: "version", Usage: t("显示版本", "print the version")}
	cli.HelpFlag = &cli.BoolFlag{Name: "help", Aliases: []string{"h"}, Usage: t("显示帮助", "show help")}
	return &cli.App{
		Name:      "sluice",
		Usage:     t("阻止客户资料经个人邮箱、网盘和网页聊天外泄，并追查泄露者", "stop customer data leaving through personal mail, netdisks and web chat, and trace leaks"),
		Version:   version(),
		Writer:    stdout,
		ErrWriter: stderr,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data", Usage: t("数据目录（根证书、数据库、归档、策略）", "data directory (CA, database, blobs, policy)"), EnvVars: []string{"SLUICE_DATA"}, Value: defaultDataDir()},
			&cli.StringFlag{Name: "lang", Usage: t("消息语言：zh-CN 或 en", "language of messages: zh-CN or en"), EnvVars: []string{"SLUICE_LANG"}, Value: "zh-CN"},
			&cli.StringFlag{Name: "audit-key", Usage: t("审计密钥文件（默认：数据目录中的 audit.key；可放在其他存储上）；也可用 SLUICE_AUDIT_KEY 直接给出十六进制密钥",
				"audit key file (default: audit.key in the data dir; may live on other storage); SLUICE_AUDIT_KEY may give the key itself in hex"), EnvVars: []string{"SLUICE_AUDIT_KEY_FILE"}},
			storeFlag(lang), blobsFlag(lang),
		},
		Commands:       cmds,
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   usageError(lang),
		Action:         unknownCommand(lang),
	}
}

// usageError turns flag parsing errors into exit code 2 with a pointer to the command's help.
func usageError(lang l10n.Lang) cli.OnUsageErrorFunc {
	return func(c *cli.Context, err error, _ bool) error {
		return cli.Exit(lang.Pick(fmt.Sprintf("%v；见 'sluice %s --help'", err, cmdPath(c)), fmt.Sprintf("%v; see 'sluice %s --help'", err, cmdPath(c))), exitUsage)
	}
}

// setUsageErrors gives every command and subcommand the same usage-error handling, and every
// command group an answer for a subcommand it does not have.
func setUsageErrors(cmds []*cli.Command, lang l10n.Lang) {
	for _, c := range cmds {
		c.OnUsageError = usageError(lang)
		if len(c.Subcommands) > 0 && c.Action == nil {
			c.Action = unknownCommand(lang)
		}
		setUsageErrors(c.Subcommands, lang)
	}
}

// unknownCommand shows help when no command is given, and a usage error (exit 2) for one that does not exist.
func unknownCommand(lang l10n.Lang) cli.ActionFunc {
	return func(c *cli.Context) error {
		if !c.Args().Present() {
			return cli.ShowSubcommandHelp(c)
		}
		where := cmdPath(c)
		if where != "" {
			where += " "
		}
		return cli.Exit(lang.Pick(fmt.Sprintf("没有 %q 这个命令；运行 'sluice %shelp' 查看全部命令", c.Args().First(), where),
			fmt.Sprintf("no command %q; run 'sluice %shelp' for the list", c.Args().First(), where)), exitUsage)
	}
}
