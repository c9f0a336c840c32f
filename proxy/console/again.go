package console

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/internal/ops"
	"github.com/sluice-dlp/sluice/store"
)

// "再次申请": when an approved file was held again (its sends used, or the approval expired), the rep
// files a new request for the new upload with one click, the receiver, purpose, validity and sends
// copied from the earlier request. The block page links to the console's form filled in from it
// (/request/new?event=N&again=R-…); the extension posts {"event_id": N, "again": "R-…"}.

// filing is the body of POST /api/requests: a new request, or one filled in from an earlier request.
type filing struct {
	store.NewRequest
	Again string `json:"again,omitempty"` // id of the caller's earlier request to copy what was left empty from
}

// earlier loads the caller's own earlier request id and says why it no longer covers the file.
func (s *Server) earlier(ctx context.Context, o *ops.Local, u *store.User, id string) (*store.Request, *api.PastApproval, error) {
	v, err := o.Request(ctx, strings.TrimSpace(id))
	if err != nil {
		return nil, nil, err
	}
	if v.Requester != u.Name {
		return nil, nil, l10n.Errorf(l10n.Forbidden, "只能沿用自己的申请 %s", "only your own request %s can be filed again", id)
	}
	use := s.usage(v.Request)
	if use == nil || use.UsesLeft > 0 && !use.Expired {
		return v.Request, nil, nil // not approved, or still valid (for another file): nothing to explain
	}
	past := &api.PastApproval{RequestID: v.ID, State: "used_up", Uses: use.Uses, MaxUses: use.MaxUses, Expires: use.Expires}
	if use.UsesLeft > 0 {
		past.State = "expired"
	}
	return v.Request, past, nil
}

// fillFrom copies what n leaves empty from the earlier request old.
func fillFrom(n *store.NewRequest, old *store.Request) {
	if strings.TrimSpace(n.Receiver) == "" {
		n.Receiver = old.Receiver
	}
	if strings.TrimSpace(n.Purpose) == "" {
		n.Purpose = old.Purpose
	}
	if n.Days == 0 {
		n.Days = old.Days
	}
	if n.MaxUses == 0 {
		n.MaxUses = old.MaxUses
	}
	n.AnyHost = n.AnyHost || old.AnyHost
}

// againForm fills the new-request form from the earlier request named by ?again=, and says why.
func (s *Server) againForm(w http.ResponseWriter, r *http.Request, u *store.User, form url.Values) string {
	id := r.URL.Query().Get("again")
	if id == "" {
		return ""
	}
	o, ctx := s.as(w, r, u)
	old, past, err := s.earlier(ctx, o, u, id)
	if err != nil {
		return ""
	}
	form.Set("receiver", old.Receiver)
	form.Set("purpose", old.Purpose)
	form.Set("days", strconv.Itoa(old.Days))
	form.Set("max_uses", strconv.Itoa(old.MaxUses))
	if old.AnyHost {
		form.Set("any_host", "1")
	}
	lang := pageLang(w, r)
	p := &page{Lang: lang}
	if past == nil {
		return p.Tf("again_from", old.ID)
	}
	return p.Tf("again_intro", past.Text(l10n.Lang(lang)))
}
