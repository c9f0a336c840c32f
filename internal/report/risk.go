package report

import (
	"fmt"
	"html/template"
	"io"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/proxy/risk"
)

// RiskRow is one user on the Risk page: their standing and who they are.
type RiskRow struct {
	risk.Standing
	DisplayName string `json:"display_name"`
	StaffID     string `json:"staff_id"`
	Department  string `json:"department"`
}

var riskPage = template.Must(template.New("risk").Funcs(template.FuncMap{
	"t":      func(lang l10n.Lang, zh, en string) string { return lang.Pick(zh, en) },
	"metric": func(lang l10n.Lang, m string) string { return risk.MetricName(m, lang) },
	"num":    func(v float64) string { return fmt.Sprintf("%.0f", v) },
	"score":  func(v float64) string { return fmt.Sprintf("%.2f", v) },
	"inc":    func(i int) int { return i + 1 },
}).Parse(`<!doctype html>
<html lang="{{if eq .L "en"}}en{{else}}zh-CN{{end}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{t .L "风险" "Risk"}} · Sluice</title>
<style>body{font:14px/1.5 system-ui,"Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:.35em .5em;text-align:left;vertical-align:top}
.crossed{color:#a00;font-weight:600}.small{color:#666;font-size:12px}
@media (max-width:600px){table,thead,tbody,tr,td{display:block}thead{display:none}td{border:0;padding:.1em 0}tr{border-bottom:1px solid #ddd;padding:.4em 0}}</style>
</head><body>
<h1>{{t .L "风险 · 异常活动排行" "Risk · unusual activity"}}</h1>
<p class="small">{{t .L "得分 = 窗口内的计数 ÷ 阈值（取最小值、本人日中位数×倍数、部门日中位数×倍数中的最大者）；≥ 1 即触发预警。" "Score = the window's count ÷ its threshold (the largest of the minimum, factor × own daily median, factor × the department's); 1 or more raises an alert."}}</p>
{{if not .Rows}}<p>{{t .L "暂无活动记录。" "No activity yet."}}</p>{{else}}
<table><thead><tr><th>#</th><th>{{t .L "员工" "Employee"}}</th><th>{{t .L "得分" "Score"}}</th><th>{{t .L "依据" "Why"}}</th></tr></thead><tbody>
{{range $i, $r := .Rows}}<tr class="{{if $r.Crossed}}crossed{{end}}" data-user="{{$r.User}}">
<td>{{inc $i}}</td><td>{{$r.DisplayName}}（{{$r.User}}{{with $r.StaffID}}，{{.}}{{end}}）<br><span class="small">{{$r.Department}}</span></td>
<td>{{score $r.Score}}</td>
<td>{{range $r.Metrics}}<div{{if .Crossed}} class="crossed"{{end}}>{{metric $.L .Name}} {{num .Window}} <span class="small">（{{t $.L "本人" "own"}} {{num .Own}} · {{t $.L "部门" "dept"}} {{num .Department}} · {{t $.L "阈值" "threshold"}} {{num .Threshold}}）</span></div>{{end}}</td>
</tr>{{end}}
</tbody></table>{{end}}
</body></html>`))

// Risk writes the Risk page: users ranked by score, each with the counts behind it.
func Risk(w io.Writer, rows []RiskRow, lang l10n.Lang) error {
	return riskPage.Execute(w, map[string]any{"Rows": rows, "L": lang})
}
