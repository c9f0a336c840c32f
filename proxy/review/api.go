package review

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/store"
)

const maxAPIBody = 64 << 10

// APIRequest is a request as the API shows it: the stored record plus who it waits for.
type APIRequest struct {
	*store.Request
	Stage      string `json:"stage,omitempty"`       // lead or head while undecided
	WaitingFor string `json:"waiting_for,omitempty"` // login name expected to act next
	URL        string `json:"url"`                   // console page of the request
}

// ArchiveRecord is one outbound archive record with the people who approved it.
type ArchiveRecord struct {
	*store.Outbound
	MarkIDText string   `json:"mark_id_text,omitempty"` // 12 hex digits, as sluice trace prints it
	Receiver   string   `json:"receiver,omitempty"`
	Purpose    string   `json:"purpose,omitempty"`
	Approvers  []string `json:"approvers,omitempty"`
}

func (s *Server) apiRequest(r *store.Request) APIRequest {
	return APIRequest{Request: r, Stage: r.Stage(), WaitingFor: r.Approver(), URL: s.c.BaseURL + "/request/" + r.ID}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// apiError answers {"error": code, "message": text} in the caller's language.
func apiError(w http.ResponseWriter, r *http.Request, status int, code, detail string) {
	msg := apiLang(r).T(code)
	if detail != "" {
		msg += ": " + detail
	}
	writeJSON(w, status, map[string]string{"error": code, "message": msg})
}

// storeError maps a store error onto an API status and code.
func storeError(err error) (int, string) {
	switch {
	case errors.Is(err, store.ErrForbidden):
		return http.StatusForbidden, "forbidden"
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "not_found"
	case errors.Is(err, store.ErrConflict):
		return http.StatusConflict, "conflict"
	case errors.Is(err, store.ErrInvalid):
		return http.StatusBadRequest, "invalid"
	}
	return http.StatusInternalServerError, "internal"
}

func (s *Server) apiStoreError(w http.ResponseWriter, r *http.Request, err error) {
	st, code := storeError(err)
	if st == http.StatusInternalServerError {
		s.c.Logger.Error("sluice: console API failed", "path", r.URL.Path, "err", err)
	}
	apiError(w, r, st, code, strings.TrimPrefix(err.Error(), "sluice: "))
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxAPIBody)
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		apiError(w, r, http.StatusBadRequest, "invalid", "body must be a JSON object: "+err.Error())
		return false
	}
	return true
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request, u *store.User) {
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": u.Name, "display_name": u.DisplayName, "staff_id": u.StaffID,
		"department": u.Department, "lead": u.Lead, "head": u.Head, "roles": roles})
}

func (s *Server) apiEvent(w http.ResponseWriter, r *http.Request, u *store.User) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		apiError(w, r, http.StatusBadRequest, "invalid", "event id must be a number")
		return
	}
	e, err := s.c.DB.Event(id)
	if err != nil || !canSeeEvent(u, e) {
		apiError(w, r, http.StatusNotFound, "not_found", "event "+r.PathValue("id"))
		return
	}
	out := map[string]any{"event": e}
	if req, err := s.c.DB.RequestForEvent(id); err == nil && canSeeRequest(u, req) {
		out["request"] = s.apiRequest(req)
	} else if e.Verdict == "approval" && e.User == u.Name {
		out["form_url"] = s.c.BaseURL + "/request/new?event=" + r.PathValue("id")
	}
	writeJSON(w, http.StatusOK, out)
}

// fileRequest files a request for user and sends the reviewers' alert; shared by API and console.
func (s *Server) fileRequest(u *store.User, n store.NewRequest) (*store.Request, error) {
	if n.MaxUses == 0 {
		n.MaxUses = s.c.MaxUses
	}
	req, err := s.c.DB.FileRequest(u.Name, n, time.Now())
	if err != nil {
		return nil, err
	}
	s.c.Alerter.Send(Alert{Kind: "request", User: u.Name, DisplayName: u.Label(), Destination: req.Host,
		Files: fileNames(req.Files), Reasons: req.FindingsSummary, EventID: req.EventID, RequestID: req.ID,
		Time: req.Created, ConsoleURL: s.c.BaseURL + "/request/" + req.ID})
	return req, nil
}

func (s *Server) apiFile(w http.ResponseWriter, r *http.Request, u *store.User) {
	var n store.NewRequest
	if !decodeBody(w, r, &n) {
		return
	}
	req, err := s.fileRequest(u, n)
	if err != nil {
		s.apiStoreError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"request_id": req.ID, "status": req.Status, "url": s.c.BaseURL + "/request/" + req.ID})
}

// visibleRequests lists requests by the query's filter, limited to what u may see.
func (s *Server) visibleRequests(u *store.User, mine bool, status string) ([]*store.Request, error) {
	f := store.RequestFilter{Status: status}
	switch {
	case mine || !isReviewer(u) && !canInvestigate(u):
		f.Requester = u.Name
	case !canInvestigate(u): // reviewers: what they filed, must decide or acted on
		f.Involves = u.Name
	}
	all, err := s.c.DB.Requests(f)
	if err != nil {
		return nil, err
	}
	var out []*store.Request
	for _, r := range all {
		if canSeeRequest(u, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (s *Server) apiList(w http.ResponseWriter, r *http.Request, u *store.User) {
	q := r.URL.Query()
	rs, err := s.visibleRequests(u, q.Get("mine") == "1" || q.Get("mine") == "true", q.Get("status"))
	if err != nil {
		s.apiStoreError(w, r, err)
		return
	}
	s.writeRequests(w, rs)
}

func (s *Server) writeRequests(w http.ResponseWriter, rs []*store.Request) {
	out := make([]APIRequest, 0, len(rs))
	for _, r := range rs {
		out = append(out, s.apiRequest(r))
	}
	writeJSON(w, http.StatusOK, map[string]any{"requests": out})
}

// queueFor returns the undecided requests u may act on: as lead or head, or any (admins).
func (s *Server) queueFor(u *store.User) ([]*store.Request, error) {
	if isAdmin(u) {
		var out []*store.Request
		for _, st := range []string{store.StatusPending, store.StatusLeadApproved} {
			rs, err := s.c.DB.Requests(store.RequestFilter{Status: st})
			if err != nil {
				return nil, err
			}
			for _, r := range rs {
				if r.CheckApprover(u) == nil {
					out = append(out, r)
				}
			}
		}
		return out, nil
	}
	if !isReviewer(u) {
		return nil, nil
	}
	return s.c.DB.Requests(store.RequestFilter{Approver: u.Name})
}

func (s *Server) apiQueue(w http.ResponseWriter, r *http.Request, u *store.User) {
	rs, err := s.queueFor(u)
	if err != nil {
		s.apiStoreError(w, r, err)
		return
	}
	s.writeRequests(w, rs)
}

func (s *Server) apiShow(w http.ResponseWriter, r *http.Request, u *store.User) {
	req, err := s.c.DB.Request(r.PathValue("id"))
	if err != nil || !canSeeRequest(u, req) {
		apiError(w, r, http.StatusNotFound, "not_found", "request "+r.PathValue("id"))
		return
	}
	writeJSON(w, http.StatusOK, s.apiRequest(req))
}

// act performs an approve/deny/withdraw by u and sends the resulting notices; shared by API and console.
func (s *Server) act(u *store.User, id, action, comment string) (*store.Request, error) {
	req, err := s.c.DB.Act(id, u.Name, action, comment, time.Now())
	if err != nil {
		return nil, err
	}
	switch req.Status {
	case store.StatusApproved:
		s.notifyRequester(req, "approved")
	case store.StatusDenied:
		s.notifyRequester(req, "denied")
	}
	return req, nil
}

func (s *Server) apiAct(w http.ResponseWriter, r *http.Request, u *store.User) {
	action := r.PathValue("action")
	if action != store.ActApprove && action != store.ActDeny && action != store.ActWithdraw {
		apiError(w, r, http.StatusNotFound, "not_found", "use approve, deny or withdraw")
		return
	}
	var body struct {
		Comment string `json:"comment"`
	}
	if r.ContentLength != 0 && !decodeBody(w, r, &body) {
		return
	}
	if old, err := s.c.DB.Request(r.PathValue("id")); err != nil || !canSeeRequest(u, old) {
		apiError(w, r, http.StatusNotFound, "not_found", "request "+r.PathValue("id"))
		return
	}
	req, err := s.act(u, r.PathValue("id"), action, body.Comment)
	if err != nil {
		s.apiStoreError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.apiRequest(req))
}

// archiveQuery parses user, host, q, since, until (YYYY-MM-DD or RFC 3339) into a filter.
func archiveQuery(r *http.Request) (store.ArchiveFilter, error) {
	q := r.URL.Query()
	f := store.ArchiveFilter{User: strings.TrimSpace(q.Get("user")), Host: strings.TrimSpace(q.Get("host")), Text: strings.TrimSpace(q.Get("q"))}
	var err error
	if f.Since, err = parseDay(q.Get("since"), false); err != nil {
		return f, err
	}
	f.Until, err = parseDay(q.Get("until"), true)
	return f, err
}

func parseDay(s string, end bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation("2006-01-02", s, time.Local)
	if err != nil {
		return t, errors.New("dates are YYYY-MM-DD or RFC 3339")
	}
	if end {
		t = t.Add(24*time.Hour - time.Nanosecond)
	}
	return t, nil
}

// archive searches outbound records and adds each record's approvers.
func (s *Server) archive(f store.ArchiveFilter) ([]ArchiveRecord, error) {
	recs, err := s.c.DB.Archive(f)
	if err != nil {
		return nil, err
	}
	out := make([]ArchiveRecord, 0, len(recs))
	for _, o := range recs {
		ar := ArchiveRecord{Outbound: o}
		if o.MarkID != 0 {
			ar.MarkIDText = store.MarkIDString(o.MarkID)
		}
		if o.ApprovalID != "" {
			if req, err := s.c.DB.Request(o.ApprovalID); err == nil {
				ar.Receiver, ar.Purpose = req.Receiver, req.Purpose
				for _, st := range req.History {
					if st.Action == store.ActApprove {
						ar.Approvers = append(ar.Approvers, st.Actor)
					}
				}
			}
		}
		out = append(out, ar)
	}
	return out, nil
}

func (s *Server) apiArchive(w http.ResponseWriter, r *http.Request, u *store.User) {
	if !canInvestigate(u) {
		apiError(w, r, http.StatusForbidden, "forbidden", "the archive is for admins and investigators")
		return
	}
	f, err := archiveQuery(r)
	if err != nil {
		apiError(w, r, http.StatusBadRequest, "invalid", err.Error())
		return
	}
	recs, err := s.archive(f)
	if err != nil {
		s.apiStoreError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"records": recs})
}
