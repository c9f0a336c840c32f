package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/sluice-dlp/sluice/proxy"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/store"
	"github.com/sluice-dlp/sluice/watermark"
	"github.com/urfave/cli/v2"
)

func init() {
	register(&cli.Command{
		Name:      "mark",
		Usage:     "watermark a PDF or image exactly as the proxy would, and record it",
		ArgsUsage: "FILE",
		Flags: append(daemonFlags(),
			&cli.StringFlag{Name: "user", Usage: "the rep whose name and staff ID go into the mark", EnvVars: []string{"SLUICE_MARK_USER"}, Required: true},
			&cli.StringFlag{Name: "dest", Usage: "destination URL or host it is meant for, e.g. https://mail.qq.com/", EnvVars: []string{"SLUICE_MARK_DEST"}},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "where to write the marked file", EnvVars: []string{"SLUICE_MARK_OUT"}, Required: true},
		),
		Action: markFile,
	})
}

func markFile(c *cli.Context) error {
	in, data, err := fileArg(c)
	if err != nil {
		return err
	}
	name := filepath.Base(in)
	var out []byte
	var markID string
	db, api, err := storeOrAPI(c)
	if err != nil {
		return err
	}
	if api != nil {
		q := url.Values{"user": {c.String("user")}, "dest": {c.String("dest")}, "name": {name}}
		var h map[string][]string
		out, h, err = api.raw("POST", "/api/admin/mark?"+q.Encode(), data)
		if err != nil {
			return failure(err)
		}
		if v := h["X-Sluice-Mark-Id"]; len(v) > 0 {
			markID = v[0]
		}
	} else {
		defer db.Close()
		p := proxy.PathsFor(dataDir(c))
		pol, err := policy.LoadFile(p.Policy)
		if err != nil {
			return cli.Exit(err.Error(), exitUndecided)
		}
		key, err := watermark.LoadOrCreateKey(p.MarkKey)
		if err != nil {
			return cli.Exit(err.Error(), exitUndecided)
		}
		var o *store.Outbound
		out, o, err = proxy.ManualMark(db, watermark.NewMarker(key), pol, c.String("user"), c.String("dest"), name, data)
		if err != nil {
			return failure(err)
		}
		markID = store.MarkIDString(o.MarkID)
	}
	if err := os.WriteFile(c.String("out"), out, 0o644); err != nil {
		return cli.Exit("sluice: cannot write "+c.String("out")+": "+err.Error(), exitUndecided)
	}
	fmt.Println(l10n(c, fmt.Sprintf("已加水印：%s（标记 %s）", c.String("out"), markID), fmt.Sprintf("marked: %s (mark %s)", c.String("out"), markID)))
	return nil
}
