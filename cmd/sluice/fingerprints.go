package main

import (
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/internal/ops"
	"github.com/sluice-dlp/sluice/store"
	"github.com/urfave/cli/v2"
)

func fingerprintsCommand(l l10n.Lang) *cli.Command {
	return &cli.Command{
		Name:  "fingerprints",
		Usage: l.Pick("按哈希登记已知的敏感文件（sha256、MD5、4 MiB 分块 MD5）", "register known sensitive files by their hashes (sha256, MD5, 4 MiB block MD5s)"),
		Subcommands: []*cli.Command{
			{Name: "add", Usage: l.Pick("登记一个或多个文件", "register one or more files"), ArgsUsage: l.Pick("文件...", "FILE..."), Action: fingerprintsAdd, Flags: connFlags(l)},
			{Name: "list", Usage: l.Pick("列出已登记的文件", "list the registered files"), Action: fingerprintsList, Flags: append(connFlags(l), jsonFlag(l))},
		},
	}
}

func fingerprintsAdd(c *cli.Context) error {
	paths, err := positional(c)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usage(c, "请给出要登记的文件；见 'sluice fingerprints add --help'", "give the files to register; see 'sluice fingerprints add --help'")
	}
	for _, p := range paths { // check every file first, so that a missing one changes nothing
		if fi, err := os.Stat(p); err != nil || fi.IsDir() || fi.Size() > ops.MaxFile {
			return cli.Exit(lang(c).Pick(p+" 不是可读的文件（或超过 512 MiB）", p+" is not a readable file (or is over 512 MiB)"), exitUndecided)
		}
	}
	o, err := connect(c, true, "")
	if err != nil {
		return err
	}
	defer o.Close()
	for _, p := range paths {
		fp, err := addFingerprint(c, o, p)
		if err != nil {
			return err
		}
		sum := fp.SHA256[:min(16, len(fp.SHA256))]
		fmt.Fprintln(c.App.Writer, lang(c).Pick(
			fmt.Sprintf("已登记 %s（%d 字节，sha256 %s，%d 个 4 MiB 分块）", clean(fp.Name), fp.Size, sum, len(fp.BlockMD5s)),
			fmt.Sprintf("Registered %s (%d bytes, sha256 %s, %d blocks of 4 MiB)", clean(fp.Name), fp.Size, sum, len(fp.BlockMD5s))))
	}
	return nil
}

func addFingerprint(c *cli.Context, o ops.Ops, path string) (store.Fingerprint, error) {
	f, err := os.Open(path)
	if err != nil {
		return store.Fingerprint{}, usage(c, "无法读取 "+path, "cannot read "+path)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return store.Fingerprint{}, err
	}
	return o.AddFingerprint(ctxOf(c), filepath.Base(path), f, fi.Size())
}

func fingerprintsList(c *cli.Context) error {
	o, err := connect(c, true, "")
	if err != nil {
		return err
	}
	defer o.Close()
	fps, err := o.Fingerprints(ctxOf(c))
	if err != nil {
		return err
	}
	if c.Bool("json") {
		if fps == nil {
			fps = []store.Fingerprint{}
		}
		return printJSON(c, api.Fingerprints{Fingerprints: fps})
	}
	l := lang(c)
	if len(fps) == 0 {
		fmt.Fprintln(c.App.Writer, l.Pick("还没有登记任何敏感文件；用 'sluice fingerprints add FILE' 登记。", "No sensitive files registered yet; register some with 'sluice fingerprints add FILE'."))
		return nil
	}
	tw := tabwriter.NewWriter(c.App.Writer, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, l.Pick("名称\t大小\tSHA256\tMD5\t登记时间", "NAME\tSIZE\tSHA256\tMD5\tADDED"))
	for _, fp := range fps {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", clean(fp.Name), fp.Size, clean(fp.SHA256), clean(fp.MD5), fp.Added.Local().Format(time.DateTime))
	}
	return tw.Flush()
}
