// Command sluice runs the Sluice data-loss-prevention proxy and its tools.
package main

import (
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/urfave/cli/v2"
)

// Exit codes shared by every command (see DESIGN.md).
const (
	exitOK        = 0
	exitUndecided = 1
	exitUsage     = 2
)

var commands []*cli.Command

// register adds a top-level command; each command file registers itself in init.
func register(c *cli.Command) { commands = append(commands, c) }

// usageError turns flag parsing errors into exit code 2 with a pointer to help.
func usageError(c *cli.Context, err error, _ bool) error {
	return cli.Exit("sluice: "+err.Error()+"; see 'sluice help'", exitUsage)
}

// setUsageErrors gives every command and subcommand the same usage-error handling.
func setUsageErrors(cmds []*cli.Command) {
	for _, c := range cmds {
		c.OnUsageError = usageError
		setUsageErrors(c.Subcommands)
	}
}

func newApp() *cli.App {
	sort.Slice(commands, func(i, j int) bool { return commands[i].Name < commands[j].Name })
	setUsageErrors(commands)
	return &cli.App{
		Name:  "sluice",
		Usage: "stop customer data leaving through personal mail, netdisks and web chat",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data", Usage: "data directory (CA, database, blobs, policy)", EnvVars: []string{"SLUICE_DATA"}, Value: defaultDataDir()},
			&cli.StringFlag{Name: "lang", Usage: "language of messages: zh-CN or en", EnvVars: []string{"SLUICE_LANG"}, Value: "zh-CN"},
		},
		Commands:       commands,
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   usageError,
	}
}

func main() {
	api.DisableConfigDir() // pdfcpu must not write a config dir into the user's home
	os.Exit(run(os.Args))
}

// run executes the CLI and maps errors to the documented exit codes.
func run(args []string) int {
	err := newApp().Run(args)
	if err == nil {
		return exitOK
	}
	var ec cli.ExitCoder
	if errors.As(err, &ec) {
		if msg := ec.Error(); msg != "" {
			fmt.Fprintln(os.Stderr, msg)
		}
		return ec.ExitCode()
	}
	fmt.Fprintln(os.Stderr, err)
	return exitUndecided
}
