// Package api holds the wire types of Sluice's console API and the one error contract every HTTP
// route answers with; the daemon's handlers and the CLI's client share them.
package api

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/sluice-dlp/sluice/internal/l10n"
)

// ErrorBody is the JSON shape of every error answer: a stable code and a message in the caller's language.
type ErrorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// Status maps an error code onto its HTTP status.
func Status(c l10n.Code) int {
	switch c {
	case l10n.NotFound:
		return http.StatusNotFound
	case l10n.Forbidden:
		return http.StatusForbidden
	case l10n.Conflict:
		return http.StatusConflict
	case l10n.Invalid:
		return http.StatusBadRequest
	case l10n.Unauthorized:
		return http.StatusUnauthorized
	case l10n.TooLarge:
		return http.StatusRequestEntityTooLarge
	case l10n.Unreadable:
		return http.StatusUnprocessableEntity
	case l10n.Unavailable, l10n.Locked:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// Lang is the caller's language: ?lang=, then Accept-Language, then zh-CN.
func Lang(r *http.Request) l10n.Lang {
	if q := r.URL.Query().Get("lang"); q != "" {
		return l10n.Parse(q)
	}
	return l10n.Parse(r.Header.Get("Accept-Language"))
}

// WriteJSON answers v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// WriteError answers err in the error shape, in the caller's language, with the status of its code.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	code := l10n.CodeOf(err)
	WriteJSON(w, Status(code), ErrorBody{Error: string(code), Message: l10n.Text(err, Lang(r))})
}

// ReadError turns an error answer back into an error with its code; message is already in the asked language.
func ReadError(resp *http.Response) error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var e ErrorBody
	if json.Unmarshal(data, &e) == nil && e.Error != "" {
		return &l10n.Error{Code: l10n.Code(e.Error), ZH: e.Message, EN: e.Message}
	}
	text := strings.TrimSpace(string(data))
	if len(text) > 200 {
		text = text[:200]
	}
	return l10n.Errorf(l10n.Unavailable, "控制台返回 %s：%s", "the console answered %s: %s", resp.Status, text)
}

// DecodeJSON reads a JSON request body of at most limit bytes into v; the error is an invalid-request one.
func DecodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	if err := dec.Decode(v); err != nil {
		return l10n.Wrap(err, l10n.Invalid, "请求体必须是有效的 JSON 对象", "the body must be a JSON object")
	}
	return nil
}
