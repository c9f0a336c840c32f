package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/sluice-dlp/sluice/proxy"
	"github.com/sluice-dlp/sluice/store"
	"github.com/sluice-dlp/sluice/watermark"
	"github.com/urfave/cli/v2"
)

func init() {
	register(&cli.Command{
		Name:      "trace",
		Usage:     "find who sent a leaked file (PDF, PNG, JPEG, WebP, BMP, GIF, TIFF; also re-saved, scaled, cropped or screenshotted copies)",
		ArgsUsage: "FILE",
		Flags: append(daemonFlags(),
			&cli.BoolFlag{Name: "json", Usage: "print one JSON document", EnvVars: []string{"SLUICE_JSON"}}),
		Action: traceFile,
	})
}

// TraceResult is the JSON shape of `sluice trace --json` (DESIGN.md).
type TraceResult struct {
	Found       bool    `json:"found"`
	MarkID      string  `json:"mark_id,omitempty"`
	User        string  `json:"user,omitempty"`
	DisplayName string  `json:"display_name,omitempty"`
	StaffID     string  `json:"staff_id,omitempty"`
	Time        string  `json:"time,omitempty"`
	Destination string  `json:"destination,omitempty"`
	Category    string  `json:"category,omitempty"`
	FileName    string  `json:"file_name,omitempty"`
	Approval    string  `json:"approval,omitempty"`
	EventID     uint64  `json:"event_id,omitempty"`
	Confidence  float64 `json:"confidence"`
	Layer       string  `json:"layer,omitempty"`
	Note        string  `json:"note,omitempty"`
}

func traceFile(c *cli.Context) error {
	_, data, err := fileArg(c)
	if err != nil {
		return err
	}
	keyPath := proxy.PathsFor(dataDir(c)).MarkKey
	if _, err := os.Stat(keyPath); err != nil {
		return cli.Exit(l10n(c, "sluice: 找不到水印密钥 "+keyPath+"；请在 Sluice 服务器上运行，或用 --data 指向其数据目录",
			"sluice: no mark key at "+keyPath+"; run this on the Sluice server or point --data at its data dir"), exitUsage)
	}
	key, err := watermark.LoadOrCreateKey(keyPath)
	if err != nil {
		return cli.Exit(err.Error(), exitUndecided)
	}
	res, err := watermark.NewMarker(key).Decode(data)
	if err != nil && !errors.Is(err, watermark.ErrCorrupt) && !errors.Is(err, watermark.ErrUnsupported) {
		return cli.Exit("sluice: "+err.Error(), exitUndecided)
	}
	out := TraceResult{Found: res.Found, Confidence: res.Confidence, Layer: res.Layer}
	if err != nil {
		out.Note = err.Error()
	}
	if res.Found {
		out.MarkID = store.MarkIDString(res.MarkID)
		if o, err := resolveMark(c, res.MarkID); err != nil {
			out.Note = err.Error()
		} else {
			out.User, out.DisplayName, out.StaffID = o.User, o.DisplayName, o.StaffID
			out.Time, out.Destination, out.Category = o.Time.Format(time.RFC3339), o.Host, o.Category
			out.FileName, out.Approval, out.EventID = o.FileName, o.ApprovalID, o.EventID
		}
	}
	if c.Bool("json") {
		printJSON(out)
	} else if out.Found {
		fmt.Println(l10n(c, "找到水印", "mark found") + fmt.Sprintf(" %s (%s, %.2f)", out.MarkID, out.Layer, out.Confidence))
		if out.User != "" {
			when, _ := time.Parse(time.RFC3339, out.Time)
			fmt.Printf(l10n(c, "  发送人：%s（%s，工号 %s）\n  时间：%s\n  目的地：%s %s\n  文件：%s\n", "  sender: %s (%s, staff ID %s)\n  time: %s\n  destination: %s %s\n  file: %s\n"),
				out.DisplayName, out.User, out.StaffID, when.Local().Format("2006-01-02 15:04:05"), out.Destination, out.Category, out.FileName)
			if out.Approval != "" {
				fmt.Printf(l10n(c, "  审批：%s\n", "  approval: %s\n"), out.Approval)
			}
		} else {
			fmt.Println("  " + out.Note)
		}
	} else {
		fmt.Println(l10n(c, "未发现 Sluice 水印（不是猜测：没有标记通过校验）", "no Sluice mark found (not a guess: nothing cleared the check)"))
	}
	if !out.Found {
		return cli.Exit("", exitUndecided)
	}
	return nil
}

// resolveMark looks a mark id up in the outbound archive, directly or through the daemon.
func resolveMark(c *cli.Context, id uint64) (*store.Outbound, error) {
	db, api, err := storeOrAPI(c)
	if err != nil {
		return nil, fmt.Errorf("mark id is valid but the archive is not available here: %v", err)
	}
	if api != nil {
		var o store.Outbound
		if err := api.do("GET", "/api/admin/marks/"+store.MarkIDString(id), nil, &o); err != nil {
			return nil, err
		}
		return &o, nil
	}
	defer db.Close()
	o, err := db.Outbound(id)
	if err != nil {
		return nil, fmt.Errorf("sluice: mark %s is not in this installation's archive", store.MarkIDString(id))
	}
	return o, nil
}
