package console

import (
	"net/http"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/internal/ops"
	"github.com/sluice-dlp/sluice/internal/report"
	"github.com/sluice-dlp/sluice/store"
)

// reportRoutes serves the hand-over report of a leaving employee: JSON for the CLI, a page for people
// (admins and investigators).
func (s *Server) reportRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/risk", s.api(func(w http.ResponseWriter, r *http.Request, _ *ops.Local) {
		api.WriteJSON(w, http.StatusOK, map[string]any{"users": s.riskFor(s.authUser(r))})
	}))
	mux.HandleFunc("GET /risk", s.page(func(w http.ResponseWriter, r *http.Request, u *store.User) {
		lang := l10n.Parse(string(pageLang(w, r)))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := report.Risk(w, s.riskFor(u), lang); err != nil {
			s.c.Logger.Error("risk page failed", "err", err)
		}
	}))
	mux.HandleFunc("GET /api/admin/report/departing/{name}", s.api(func(w http.ResponseWriter, r *http.Request, o *ops.Local) {
		rep, err := o.DepartureReport(r.Context(), r.PathValue("name"))
		if err != nil {
			api.WriteError(w, r, err)
			return
		}
		api.WriteJSON(w, http.StatusOK, rep)
	}))
	mux.HandleFunc("GET /report/departing/{name}", s.page(func(w http.ResponseWriter, r *http.Request, u *store.User) {
		lang := l10n.Parse(string(pageLang(w, r)))
		rep, err := s.c.Ops.As(u).DepartureReport(l10n.WithLang(r.Context(), lang), r.PathValue("name"))
		if err != nil {
			api.WriteError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := report.Departure(w, rep, lang); err != nil {
			s.c.Logger.Error("hand-over report page failed", "err", err)
		}
	}))
}

// riskFor is the ranking a user may see: everyone for admins and investigators, their own reps (as lead
// or head) for reviewers, nothing for others.
func (s *Server) riskFor(u *store.User) []report.RiskRow {
	if s.c.Risk == nil || u == nil {
		return []report.RiskRow{}
	}
	all := u.HasRole(store.RoleAdmin) || u.HasRole(store.RoleInvestigator)
	out := []report.RiskRow{}
	for _, st := range s.c.Risk() {
		rep, err := s.c.DB.User(st.User)
		if err != nil || !all && rep.Lead != u.Name && rep.Head != u.Name {
			continue
		}
		out = append(out, report.RiskRow{Standing: st, DisplayName: rep.Label(), StaffID: rep.StaffID, Department: rep.Department})
	}
	return out
}
