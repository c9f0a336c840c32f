package upload

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Replay is what must reach the site before the request that completed a held file: the held slice
// requests in order. Values Sluice answered in the site's place (an ETag, Dropbox's session id) are
// replaced by the site's own in every later request.
type Replay struct {
	Requests []*HeldRequest
	subst    map[string]string // Sluice's value → the site's
}

// answerKeys are the values clients read from a slice's answer and send back later.
var answerKeys = []string{"etag", "session_id", "uploadid"}

// learnAnswer remembers the values Sluice answered for this held request.
func (h *HeldRequest) learnAnswer(resp *http.Response) {
	if v := resp.Header.Get("ETag"); v != "" {
		h.synth["etag"] = v
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	for k, v := range jsonValues(body) {
		h.synth[k] = v
	}
}

// jsonValues picks the answer keys out of a small JSON object.
func jsonValues(body []byte) map[string]string {
	out := map[string]string{}
	var m map[string]any
	if len(body) > 64<<10 || json.Unmarshal(body, &m) != nil {
		return out
	}
	for _, k := range answerKeys {
		if s, ok := m[k].(string); ok && s != "" {
			out[k] = s
		}
	}
	return out
}

// Request builds the request to send to the site for h, with the site's values in place of Sluice's.
func (rp *Replay) Request(ctx context.Context, h *HeldRequest) *http.Request {
	u := *h.URL
	if len(rp.subst) > 0 { // an upload id Sluice answered with, in a slice's query (Baidu's superfile2)
		u.RawQuery = rp.replacer().Replace(u.RawQuery)
	}
	req := &http.Request{Method: h.Method, URL: &u, Header: h.Header.Clone(), Host: u.Host, Proto: "HTTP/1.1",
		ProtoMajor: 1, ProtoMinor: 1, ContentLength: h.Body.Size(), Body: io.NopCloser(h.Body.Reader())}
	req.Header.Set("Content-Length", strconv.FormatInt(h.Body.Size(), 10))
	req.Header.Del("Transfer-Encoding")
	rp.fixHeader(req.Header)
	return req.WithContext(ctx)
}

// Learn reads the site's answer to h and records where it differs from what Sluice answered.
func (rp *Replay) Learn(h *HeldRequest, resp *http.Response) {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	real := jsonValues(body)
	if v := resp.Header.Get("ETag"); v != "" {
		real["etag"] = v
	}
	for k, ours := range h.synth {
		if theirs := real[k]; theirs != "" && theirs != ours {
			rp.subst[ours] = theirs
			rp.subst[strings.Trim(ours, `"`)] = strings.Trim(theirs, `"`)
		}
	}
}

// Fix puts the site's values in place of Sluice's in the completing request (query, headers, and a body
// of at most 4 MiB: a commit call's part list).
func (rp *Replay) Fix(req *http.Request, body *Spool) (*Spool, error) {
	rp.fixHeader(req.Header)
	if len(rp.subst) > 0 {
		req.URL.RawQuery = rp.replacer().Replace(req.URL.RawQuery)
	}
	if len(rp.subst) == 0 || body == nil || body.Size() > 4<<20 {
		return nil, nil
	}
	data, err := body.Bytes(4 << 20)
	if err != nil {
		return nil, err
	}
	fixed := []byte(rp.replacer().Replace(string(data)))
	if bytes.Equal(fixed, data) {
		return nil, nil
	}
	return SpoolBytes(fixed), nil
}

func (rp *Replay) fixHeader(h http.Header) {
	if len(rp.subst) == 0 {
		return
	}
	r := rp.replacer()
	for k, vs := range h {
		for i, v := range vs {
			vs[i] = r.Replace(v)
		}
		h[k] = vs
	}
}

func (rp *Replay) replacer() *strings.Replacer {
	var pairs []string
	for ours, theirs := range rp.subst {
		pairs = append(pairs, ours, theirs)
	}
	return strings.NewReplacer(pairs...)
}

// Len is the number of held requests to send first.
func (rp *Replay) Len() int { return len(rp.Requests) }
