// Package report renders reports for people: the hand-over report of a leaving employee as a
// self-contained HTML page (the console shows it; `sluice report departing --html` writes it).
package report

import (
	"embed"
	"html/template"
	"io"
	"time"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/proxy/policy"
)

//go:embed departure.html
var files embed.FS

var departure = template.Must(template.New("departure.html").Funcs(template.FuncMap{
	"t":       func(lang l10n.Lang, zh, en string) string { return lang.Pick(zh, en) },
	"when":    func(t time.Time) string { return t.Local().Format("2006-01-02 15:04") },
	"day":     func(t time.Time) string { return t.Local().Format("2006-01-02") },
	"verdict": func(lang l10n.Lang, v string) string { return policy.VerdictName(policy.Verdict(v), lang) },
	"category": func(lang l10n.Lang, c string) string {
		if c == "" {
			return ""
		}
		return policy.CategoryName(policy.Category(c), lang)
	},
}).ParseFS(files, "departure.html"))

// Departure writes the hand-over report as an HTML page in lang.
func Departure(w io.Writer, rep api.DepartureReport, lang l10n.Lang) error {
	return departure.Execute(w, map[string]any{"R": rep, "L": lang, "Lang": map[l10n.Lang]string{l10n.ZH: "zh-CN", l10n.EN: "en"}[lang]})
}
