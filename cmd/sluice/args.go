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
			return nil, cli.Exit(err.Error(), exitUsage)
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
			return nil, cli.Exit(lang(c).Pick(fmt.Sprintf("%v；见 'sluice %s --help'", err, cmdPath(c)), fmt.Sprintf("%v; see 'sluice %s --help'", err, cmdPath(c))), exitUsage)
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
		return nil, cli.Exit(setErr.Error(), exitUsage)
	}
	return out, nil
}

// exactlyOne returns the single positional argument or a usage error naming what was expected (zh, en).
func exactlyOne(c *cli.Context, whatZH, whatEN string) (string, error) {
	args, err := positional(c)
	if err != nil {
		return "", err
	}
	if len(args) != 1 || strings.TrimSpace(args[0]) == "" {
		p := cmdPath(c)
		return "", cli.Exit(lang(c).Pick(fmt.Sprintf("'%s' 需要一个%s；见 'sluice %s --help'", p, whatZH, p),
			fmt.Sprintf("'%s' needs exactly one %s; see 'sluice %s --help'", p, whatEN, p)), exitUsage)
	}
	return strings.TrimSpace(args[0]), nil
}

// usage returns a usage error (exit 2) in the chosen language.
func usage(c *cli.Context, zh, en string) error { return cli.Exit(lang(c).Pick(zh, en), exitUsage) }

// cmdPath returns the command as typed after "sluice", e.g. "users add".
func cmdPath(c *cli.Context) string {
	var names []string
	for _, ctx := range c.Lineage() {
		if ctx.Command != nil && ctx.Command.Name != "" && ctx.Command.Name != c.App.Name { // not the app's root
			names = append([]string{ctx.Command.Name}, names...)
		}
	}
	return strings.Join(names, " ")
}

// fileArg reads the command's single FILE argument (files Sluice marks or traces fit in memory: ≤ 64 MB images/PDFs).
func fileArg(c *cli.Context) (string, []byte, error) {
	in, err := exactlyOne(c, "文件", "FILE")
	if err != nil {
		return "", nil, err
	}
	data, err := os.ReadFile(in)
	if err != nil {
		return "", nil, cli.Exit(lang(c).Pick("无法读取 "+in+"："+err.Error(), "cannot read "+in+": "+err.Error()), exitUndecided)
	}
	return in, data, nil
}
