package ops

import (
	"context"
	"slices"
	"strings"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/store"
)

// IsReviewer reports whether u may decide requests (reviewers and admins).
func IsReviewer(u *store.User) bool {
	return u.HasRole(store.RoleReviewer) || u.HasRole(store.RoleAdmin)
}

// CanInvestigate reports whether u may read the archive and the audit log (admins and investigators).
func CanInvestigate(u *store.User) bool {
	return u.HasRole(store.RoleAdmin) || u.HasRole(store.RoleInvestigator)
}

// CanSeeRequest says who sees a request: the requester, its lead and head, anyone who acted, admins, investigators.
func CanSeeRequest(u *store.User, r *store.Request) bool {
	if u.Name == r.Requester || CanInvestigate(u) {
		return true
	}
	if IsReviewer(u) && (u.Name == r.Lead || u.Name == r.Head) {
		return true
	}
	for _, st := range r.History {
		if st.Actor == u.Name {
			return true
		}
	}
	return false
}

// CanSeeEvent says who sees an audit event: its own user; reviewers, admins and investigators any.
func CanSeeEvent(u *store.User, e *store.Event) bool {
	return e.User == u.Name || IsReviewer(u) || CanInvestigate(u)
}

// FileRequest files a request for a held upload of the acting user and alerts the reviewers.
func (l *Local) FileRequest(ctx context.Context, n store.NewRequest) (api.Request, error) {
	u, err := l.person()
	if err != nil {
		return api.Request{}, err
	}
	if n.MaxUses == 0 {
		n.MaxUses = max(l.MaxUses, 1)
	}
	req, err := l.DB.FileRequest(u.Name, n, l.now())
	if err != nil {
		return api.Request{}, err
	}
	if l.Notifier != nil {
		l.Notifier.Alert(api.Alert{Kind: "request", User: u.Name, DisplayName: u.Label(), Destination: req.Host,
			Files: FileNames(req.Files), Reasons: req.FindingsSummary, EventID: req.EventID, RequestID: req.ID,
			Time: req.Created, ConsoleURL: l.requestView(req).URL})
	}
	return l.requestView(req), nil
}

// Requests lists what the acting user may see: their own, the ones waiting for them, or (investigators) any.
func (l *Local) Requests(ctx context.Context, q api.RequestQuery) ([]api.Request, error) {
	u, err := l.viewer()
	if err != nil {
		return nil, err
	}
	var rs []*store.Request
	if q.Queue {
		rs, err = l.queue(u)
	} else {
		f := store.RequestFilter{Status: q.Status}
		switch {
		case q.Mine || !IsReviewer(u) && !CanInvestigate(u):
			f.Requester = u.Name
		case !CanInvestigate(u): // reviewers: what they filed, must decide or acted on
			f.Involves = u.Name
		}
		rs, err = l.DB.Requests(f)
	}
	if err != nil {
		return nil, err
	}
	out := []api.Request{}
	for _, r := range rs {
		if CanSeeRequest(u, r) && (q.Status == "" || r.Status == q.Status) {
			out = append(out, l.requestView(r))
		}
	}
	return out, nil
}

// queue returns the undecided requests u may act on: as lead or head, or any (admins).
func (l *Local) queue(u *store.User) ([]*store.Request, error) {
	if u.HasRole(store.RoleAdmin) {
		var out []*store.Request
		for _, st := range []string{store.StatusPending, store.StatusLeadApproved} {
			rs, err := l.DB.Requests(store.RequestFilter{Status: st})
			if err != nil {
				return nil, err
			}
			for _, r := range rs {
				if r.CheckApprover(u) == nil {
					out = append(out, r)
				}
			}
		}
		slices.SortStableFunc(out, func(a, b *store.Request) int { return b.Created.Compare(a.Created) })
		return out, nil
	}
	if !IsReviewer(u) {
		return nil, nil
	}
	return l.DB.Requests(store.RequestFilter{Approver: u.Name})
}

// Request shows one request the acting user may see (others are "not found").
func (l *Local) Request(ctx context.Context, id string) (api.Request, error) {
	u, err := l.viewer()
	if err != nil {
		return api.Request{}, err
	}
	r, err := l.DB.Request(strings.TrimSpace(id))
	if err != nil || !CanSeeRequest(u, r) {
		return api.Request{}, l10n.Errorf(l10n.NotFound, "没有申请 %s", "no request %s", id)
	}
	return l.requestView(r), nil
}

// Act approves, denies or withdraws a request as the acting user and tells the requester of a final decision.
func (l *Local) Act(ctx context.Context, id, action, comment string) (api.Request, error) {
	u, err := l.person()
	if err != nil {
		return api.Request{}, err
	}
	if _, err := l.Request(ctx, id); err != nil {
		return api.Request{}, err
	}
	r, err := l.DB.Act(strings.TrimSpace(id), u.Name, action, comment, l.now())
	if err != nil {
		return api.Request{}, err
	}
	switch r.Status {
	case store.StatusApproved:
		l.notifyRequester(r, "approved")
	case store.StatusDenied:
		l.notifyRequester(r, "denied")
	}
	return l.requestView(r), nil
}

// ExpireRequests marks undecided requests past their deadline as expired and tells their requesters.
func (l *Local) ExpireRequests() error {
	rs, err := l.DB.ExpireRequests(l.now())
	for _, r := range rs {
		l.notifyRequester(r, "expired")
	}
	return err
}

// notifyRequester sends a status notice about r to its requester's extension.
func (l *Local) notifyRequester(r *store.Request, typ string) {
	if l.Notifier == nil {
		return
	}
	l.Notifier.Notify(r.Requester, api.Notice{Type: typ, EventID: r.EventID, RequestID: r.ID, Destination: r.Host,
		Files: FileNames(r.Files), FormURL: l.requestView(r).URL, Time: l.now().UTC()})
}

// Event shows one audit event to a user who may see it, with its request or the form to file one.
func (l *Local) Event(ctx context.Context, id uint64) (*store.Event, *api.Request, error) {
	u, err := l.person()
	if err != nil {
		return nil, nil, err
	}
	e, err := l.DB.Event(id)
	if err != nil || !CanSeeEvent(u, e) {
		return nil, nil, l10n.Errorf(l10n.NotFound, "没有编号为 %d 的事件", "no event %d", id)
	}
	if r, err := l.DB.RequestForEvent(id); err == nil && CanSeeRequest(u, r) {
		v := l.requestView(r)
		return e, &v, nil
	}
	return e, nil, nil
}

// FileNames lists the names of the files among records (not an upload's form fields).
func FileNames(fs []store.FileRecord) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		if f.Kind != store.FileKindMessage {
			out = append(out, f.Name)
		}
	}
	return out
}
