package ops

import (
	"bytes"
	"context"
	"sort"
	"time"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/store"
)

// provenanceScan bounds how many audit records a provenance search reads, newest first.
const provenanceScan = 200_000

// provenance finds the customer-list entries a file holds and ranks the recorded uploads (sent, held and
// blocked alike) by how many of them each carried. Only salted hashes of customer values are stored, so
// this works on entry ids, never on the values.
func (l *Local) provenance(ctx context.Context, data []byte) (*api.Provenance, error) {
	sc, err := l.scanner()
	if err != nil {
		return nil, err
	}
	res, err := sc.Scan(ctx, bytes.NewReader(data), int64(len(data)), "")
	if err != nil {
		return nil, l10n.Wrap(err, l10n.Unreadable, "无法读取这个文件的内容", "the file's content cannot be read")
	}
	out := &api.Provenance{Customers: len(res.Customers), Matches: []api.Provenant{}}
	if len(res.Customers) == 0 {
		return out, nil
	}
	evs, err := l.DB.Events(store.EventFilter{Action: "upload", Limit: provenanceScan})
	if err != nil {
		return nil, err
	}
	users := map[string]*store.User{}
	for _, ev := range evs {
		for _, fr := range ev.Files {
			sent := store.DecodeCustomers(fr.Customers)
			n := store.Overlap(res.Customers, sent)
			if n == 0 {
				continue
			}
			p := api.Provenant{Overlap: n, Carried: len(sent), EventID: ev.ID, Time: ev.Time.Format(time.RFC3339), User: ev.User,
				Host: ev.Host, Category: ev.Category, FileName: fr.Name, Verdict: ev.Verdict, Approval: ev.RequestID}
			u, ok := users[ev.User]
			if !ok {
				u, _ = l.DB.User(ev.User)
				users[ev.User] = u
			}
			if u != nil {
				p.DisplayName, p.StaffID = u.DisplayName, u.StaffID
			}
			out.Matches = append(out.Matches, p)
		}
	}
	sort.SliceStable(out.Matches, func(i, j int) bool { // most overlap first; then the closest fit, the earliest
		a, b := out.Matches[i], out.Matches[j]
		if a.Overlap != b.Overlap {
			return a.Overlap > b.Overlap
		}
		if a.Carried != b.Carried {
			return a.Carried < b.Carried
		}
		return a.EventID < b.EventID
	})
	if len(out.Matches) > 20 {
		out.Matches = out.Matches[:20]
	}
	return out, nil
}
