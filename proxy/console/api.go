package console

import (
	"net/http"
	"strconv"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/internal/ops"
)

const maxAPIBody = 64 << 10

// apiRoutes mounts the JSON API every signed-in user has (docs/API.md): who am I, events, requests, archive.
func (s *Server) apiRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/me", s.api(s.apiMe))
	mux.HandleFunc("GET /api/events/{id}", s.api(s.apiEvent))
	mux.HandleFunc("POST /api/requests", s.api(s.apiFile))
	mux.HandleFunc("GET /api/requests", s.api(s.apiList(false)))
	mux.HandleFunc("GET /api/queue", s.api(s.apiList(true)))
	mux.HandleFunc("GET /api/requests/{id}", s.api(s.apiShow))
	mux.HandleFunc("POST /api/requests/{id}/{action}", s.api(s.apiAct))
	mux.HandleFunc("GET /api/archive", s.api(s.apiArchive))
}

// reply answers v with status, or err in the error shape.
func reply(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	api.WriteJSON(w, status, v)
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request, o *ops.Local) {
	u := s.authUser(r)
	api.WriteJSON(w, http.StatusOK, api.UserOf(u))
}

func (s *Server) apiEvent(w http.ResponseWriter, r *http.Request, o *ops.Local) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		api.WriteError(w, r, l10n.New(l10n.Invalid, "事件编号必须是数字", "the event id must be a number"))
		return
	}
	e, req, err := o.Event(r.Context(), id)
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	lang := api.Lang(r)
	out := map[string]any{"event": e, "files": api.FilesInWords(e.Files, lang)}
	if req != nil {
		s.describe(req, lang)
		out["request"] = req
	} else if e.Verdict == "approval" && e.User == s.authUser(r).Name {
		out["form_url"] = s.c.BaseURL + "/request/new?event=" + r.PathValue("id")
	}
	api.WriteJSON(w, http.StatusOK, out)
}

func (s *Server) apiFile(w http.ResponseWriter, r *http.Request, o *ops.Local) {
	var n filing
	if err := api.DecodeJSON(w, r, maxAPIBody, &n); err != nil {
		api.WriteError(w, r, err)
		return
	}
	if n.Again != "" {
		old, _, err := s.earlier(r.Context(), o, s.authUser(r), n.Again)
		if err != nil {
			api.WriteError(w, r, err)
			return
		}
		fillFrom(&n.NewRequest, old)
	}
	req, err := o.FileRequest(r.Context(), n.NewRequest)
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	api.WriteJSON(w, http.StatusCreated, api.Filed{RequestID: req.ID, Status: req.Status, URL: req.URL})
}

func (s *Server) apiList(queue bool) opsHandler {
	return func(w http.ResponseWriter, r *http.Request, o *ops.Local) {
		q := r.URL.Query()
		mine, _ := strconv.ParseBool(q.Get("mine"))
		rs, err := o.Requests(r.Context(), api.RequestQuery{Mine: mine, Queue: queue, Status: q.Get("status")})
		for i := range rs {
			s.describe(&rs[i], api.Lang(r))
		}
		reply(w, r, http.StatusOK, api.Requests{Requests: rs}, err)
	}
}

func (s *Server) apiShow(w http.ResponseWriter, r *http.Request, o *ops.Local) {
	req, err := o.Request(r.Context(), r.PathValue("id"))
	s.describe(&req, api.Lang(r))
	reply(w, r, http.StatusOK, req, err)
}

func (s *Server) apiAct(w http.ResponseWriter, r *http.Request, o *ops.Local) {
	var body api.Comment
	if r.ContentLength != 0 {
		if err := api.DecodeJSON(w, r, maxAPIBody, &body); err != nil {
			api.WriteError(w, r, err)
			return
		}
	}
	req, err := o.Act(r.Context(), r.PathValue("id"), r.PathValue("action"), body.Comment)
	s.describe(&req, api.Lang(r))
	reply(w, r, http.StatusOK, req, err)
}

func (s *Server) apiArchive(w http.ResponseWriter, r *http.Request, o *ops.Local) {
	f, err := api.ArchiveFilter(r.URL.Query())
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	recs, err := o.Archive(r.Context(), f)
	reply(w, r, http.StatusOK, api.Archive{Records: recs}, err)
}
