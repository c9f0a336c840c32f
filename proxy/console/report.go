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
	mux.HandleFunc("GET /api/admin/report/departing/{name}", s.api(func(w http.ResponseWriter, r *http.Request, o *ops.Local) {
		rep, err := o.DepartureReport(r.Context(), r.PathValue("name"))
		if err != nil {
			api.WriteError(w, r, err)
			return
		}
		api.WriteJSON(w, http.StatusOK, rep)
	}))
	mux.HandleFunc("GET /report/departing/{name}", s.page(func(w http.ResponseWriter, r *http.Request, u *store.User) {
		lang := l10n.ZH
		if pageLang(w, r) == "en" {
			lang = l10n.EN
		}
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
