package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// positional returns the command's positional arguments, parsing flags written after them too
// ("users add zhangsan --staff-id A1024"): urfave/cli v2 stops parsing flags at the first argument.
func positional(c *cli.Context) ([]string, error) {
	args := c.Args().Slice()
	if len(args) <= 1 {
		return args, nil
	}
	fs := flag.NewFlagSet(c.Command.Name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for _, f := range c.Command.Flags {
		if err := f.Apply(fs); err != nil {
			return nil, cli.Exit("sluice: "+err.Error(), exitUsage)
		}
	}
	var out []string
	rest := args
	for len(rest) > 0 {
		if !strings.HasPrefix(rest[0], "-") {
			out = append(out, rest[0])
			rest = rest[1:]
			continue
		}
		if err := fs.Parse(rest); err != nil {
			return nil, cli.Exit(fmt.Sprintf("sluice: %v; see 'sluice %s --help'", err, cmdPath(c)), exitUsage)
		}
		rest = fs.Args()
	}
	var setErr error
	fs.Visit(func(f *flag.Flag) { // set every alias, as urfave does after its own parse
		vals := []string{f.Value.String()}
		if sl, ok := f.Value.(interface{ Value() []string }); ok { // repeatable flags: set each value
			vals = sl.Value()
		}
		for _, cf := range c.Command.Flags {
			if slices.Contains(cf.Names(), f.Name) {
				for _, n := range cf.Names() {
					for _, v := range vals {
						if err := c.Set(n, v); err != nil && setErr == nil {
							setErr = err
						}
					}
				}
			}
		}
	})
	if setErr != nil {
		return nil, cli.Exit("sluice: "+setErr.Error(), exitUsage)
	}
	return out, nil
}

// exactlyOne returns the single positional argument or a usage error naming what was expected.
func exactlyOne(c *cli.Context, what string) (string, error) {
	args, err := positional(c)
	if err != nil {
		return "", err
	}
	if len(args) != 1 || strings.TrimSpace(args[0]) == "" {
		return "", cli.Exit(fmt.Sprintf("sluice: '%s' needs exactly one %s; see 'sluice %s --help'", cmdPath(c), what, cmdPath(c)), exitUsage)
	}
	return strings.TrimSpace(args[0]), nil
}

// cmdPath returns the command as typed, e.g. "users add".
func cmdPath(c *cli.Context) string {
	var names []string
	for _, ctx := range c.Lineage() {
		if ctx.Command != nil && ctx.Command.Name != "" {
			names = append([]string{ctx.Command.Name}, names...)
		}
	}
	return strings.Join(names, " ")
}

// fileArg reads the command's single FILE argument (files Sluice marks or traces fit in memory: ≤ 64 MB images/PDFs).
func fileArg(c *cli.Context) (string, []byte, error) {
	in, err := exactlyOne(c, "FILE")
	if err != nil {
		return "", nil, err
	}
	data, err := os.ReadFile(in)
	if err != nil {
		return "", nil, cli.Exit("sluice: cannot read "+in+": "+err.Error(), exitUsage)
	}
	return in, data, nil
}
