package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/sluice-dlp/sluice/proxy"
	"github.com/sluice-dlp/sluice/store"
	"github.com/urfave/cli/v2"
)

func init() {
	register(&cli.Command{
		Name:  "fingerprints",
		Usage: "register known sensitive files by their hashes (sha256, MD5, 4 MiB block MD5s)",
		Subcommands: []*cli.Command{
			{Name: "add", Usage: "register one or more files", ArgsUsage: "FILE...", Action: fingerprintsAdd, Flags: daemonFlags()},
			{Name: "list", Usage: "list the registered files", Action: fingerprintsList,
				Flags: append(daemonFlags(), &cli.BoolFlag{Name: "json", Usage: "print one JSON document", EnvVars: []string{"SLUICE_JSON"}})},
		},
	})
}

// fingerprintFile computes the fingerprint of one file on disk.
func fingerprintFile(path string) (store.Fingerprint, error) {
	f, err := os.Open(path)
	if err != nil {
		return store.Fingerprint{}, fmt.Errorf("sluice: cannot open %s: %w", path, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return store.Fingerprint{}, fmt.Errorf("sluice: %s is a directory; give files", path)
	}
	return store.ComputeFingerprint(f, filepath.Base(path))
}

// fingerprintViaAPI sends one file to the daemon, which registers it and returns its fingerprint.
func fingerprintViaAPI(api *apiClient, path string) (store.Fingerprint, error) {
	var fp store.Fingerprint
	out, _, err := api.rawFile("POST", "/api/admin/fingerprints?"+url.Values{"name": {filepath.Base(path)}}.Encode(), path, proxy.MaxAdminFile)
	if err == nil {
		err = json.Unmarshal(out, &fp)
	}
	return fp, err
}

func fingerprintsAdd(c *cli.Context) error {
	if c.NArg() == 0 {
		return cli.Exit(l10n(c, "sluice: 请给出要登记的文件；见 'sluice fingerprints add --help'",
			"sluice: give the files to register; see 'sluice fingerprints add --help'"), exitUsage)
	}
	// check every file first, so that a missing one changes nothing
	for _, p := range c.Args().Slice() {
		if fi, err := os.Stat(p); err != nil || fi.IsDir() {
			return cli.Exit(fmt.Sprintf("sluice: %s is not a readable file; give files", p), exitUndecided)
		}
	}
	db, api, err := storeOrDaemon(c)
	if err != nil {
		return err
	}
	register := func(p string) (store.Fingerprint, error) { return fingerprintViaAPI(api, p) }
	if api == nil {
		defer db.Close()
		// hash every file before recording any, so that an unreadable one changes nothing
		fps := map[string]store.Fingerprint{}
		for _, p := range c.Args().Slice() {
			fp, err := fingerprintFile(p)
			if err != nil {
				return cli.Exit(err.Error(), exitUndecided)
			}
			fps[p] = fp
		}
		register = func(p string) (store.Fingerprint, error) { return fps[p], db.AddFingerprint(fps[p], cliActor()) }
	}
	for _, p := range c.Args().Slice() {
		fp, err := register(p)
		if err != nil {
			return failure(err)
		}
		sum := fp.SHA256[:min(16, len(fp.SHA256))]
		fmt.Println(l10n(c,
			fmt.Sprintf("已登记 %s（%d 字节，sha256 %s，%d 个 4 MiB 分块）", fp.Name, fp.Size, sum, len(fp.BlockMD5s)),
			fmt.Sprintf("Registered %s (%d bytes, sha256 %s, %d blocks of 4 MiB)", fp.Name, fp.Size, sum, len(fp.BlockMD5s))))
	}
	return nil
}

func fingerprintsList(c *cli.Context) error {
	db, api, err := storeOrDaemon(c)
	if err != nil {
		return err
	}
	var list struct {
		Fingerprints []store.Fingerprint `json:"fingerprints"`
	}
	if api != nil {
		err = api.do("GET", "/api/admin/fingerprints", nil, &list)
	} else {
		defer db.Close()
		list.Fingerprints, err = db.Fingerprints()
	}
	if err != nil {
		return failure(err)
	}
	fps := list.Fingerprints
	if c.Bool("json") {
		if fps == nil {
			fps = []store.Fingerprint{}
		}
		return printJSON(map[string]any{"fingerprints": fps})
	}
	if len(fps) == 0 {
		fmt.Println(l10n(c, "还没有登记任何敏感文件；用 'sluice fingerprints add FILE' 登记。",
			"No sensitive files registered yet; register some with 'sluice fingerprints add FILE'."))
		return nil
	}
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, l10n(c, "名称\t大小\tSHA256\tMD5\t登记时间", "NAME\tSIZE\tSHA256\tMD5\tADDED"))
	for _, fp := range fps {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", fp.Name, fp.Size, fp.SHA256, fp.MD5, fp.Added.Local().Format(time.DateTime))
	}
	return tw.Flush()
}
