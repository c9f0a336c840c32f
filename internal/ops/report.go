package ops

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/store"
)

// DepartureReport lists everything a leaving employee sent out, tried to send, or had held or blocked
// from LookbackDays before their leaving date until now (admins and investigators).
func (l *Local) DepartureReport(ctx context.Context, name string) (api.DepartureReport, error) {
	if err := l.needInvestigator(); err != nil {
		return api.DepartureReport{}, err
	}
	u, err := l.DB.User(name)
	if err != nil {
		return api.DepartureReport{}, err
	}
	if u.Departing == "" {
		return api.DepartureReport{}, l10n.Errorf(l10n.Invalid, "%s 没有登记离职；先运行 sluice users depart %s --date YYYY-MM-DD",
			"%s is not marked as leaving; run sluice users depart %s --date YYYY-MM-DD first", name, name)
	}
	leave, _ := time.ParseInLocation("2006-01-02", u.Departing, time.Local)
	rep := api.DepartureReport{User: api.UserOf(u), From: leave.AddDate(0, 0, -u.LookbackDays), To: l.now(), Events: []api.ReportEvent{}, Requests: []string{}}
	evs, err := l.DB.Events(store.EventFilter{User: name, Since: rep.From, Limit: 1_000_000})
	if err != nil {
		return rep, err
	}
	lg := lang(ctx)
	customers := map[uint64]bool{}
	for i := len(evs) - 1; i >= 0; i-- { // oldest first
		e := evs[i]
		switch {
		case e.Action == "approval.request":
			rep.Requests = append(rep.Requests, e.RequestID)
			continue
		case e.Action != "upload" && e.Action != "message":
			continue
		}
		switch e.Verdict {
		case "allow", "watermark":
			rep.Sent++
		case "approval":
			rep.Held++
		case "block":
			rep.Blocked++
		}
		re := api.ReportEvent{ID: e.ID, Time: e.Time, Action: e.Action, Host: e.Host, Category: e.Category, Verdict: e.Verdict,
			Reasons: e.Reasons, Approval: e.RequestID, Files: []api.ReportFile{}}
		for n, fr := range e.Files {
			ids := store.DecodeCustomers(fr.Customers)
			for _, id := range ids {
				customers[id] = true
			}
			f := api.ReportFile{Name: api.FileLabel(fr, lg), Type: fr.Type, Size: fr.Size, Findings: api.FindingsLine(fr.Findings, lg), Customers: len(ids), MarkID: fr.MarkID}
			if fr.Blob != "" {
				f.Copy = fmt.Sprintf("%s/event/%d/preview/%d", strings.TrimRight(l.BaseURL, "/"), e.ID, n)
			}
			re.Files = append(re.Files, f)
		}
		rep.Events = append(rep.Events, re)
	}
	rep.Customers = len(customers)
	return rep, nil
}
