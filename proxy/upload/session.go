package upload

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
)

// SessionOptions bound the upload sessions: how big one file and all held slices may be, how long a
// session may wait for its next slice.
type SessionOptions struct {
	Dir     string        // where held slices wait (the data dir's spool/)
	MaxFile int64         // a file larger than this is not assembled: the "can't inspect" verdict (default 512 MiB)
	MaxHeld int64         // all sessions together hold at most this many bytes (default 2 GiB)
	Idle    time.Duration // a session whose next slice does not come within this is dropped, never released (default 30 min)
	Now     func() time.Time
}

func (o *SessionOptions) defaults() {
	if o.MaxFile <= 0 {
		o.MaxFile = 512 << 20
	}
	if o.MaxHeld <= 0 {
		o.MaxHeld = 2 << 30
	}
	if o.Idle <= 0 {
		o.Idle = 30 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Sessions holds the slices of files being uploaded in several requests, per user, until each file is
// whole; nothing of a file reaches the site before the file has been judged.
type Sessions struct {
	opts    SessionOptions
	mu      sync.Mutex
	m       map[string]*Session
	held    int64
	lengths map[string]learned // upload URL → the file's length, from a tus creation's answer
}

type learned struct {
	n    int64
	when time.Time
}

// Session is one file being uploaded in slices.
type Session struct {
	key, user, service, protocol, name string
	total                              int64
	parts                              int
	slices                             []*held
	bytes                              int64
	seen                               time.Time
}

// held is one slice waiting: its bytes, and its request to replay once the file is allowed.
type held struct {
	index  int
	offset int64
	id     string
	data   *Spool
	body   *Body
	req    *HeldRequest
}

// HeldRequest is a slice's request as it will be sent to the site once the whole file is allowed.
type HeldRequest struct {
	Method string
	URL    *url.URL
	Header http.Header
	Body   *Spool            // the request body as received
	synth  map[string]string // what Sluice answered in the site's place: "etag", "session_id"
}

// NewSessions returns an empty set of upload sessions.
func NewSessions(o SessionOptions) *Sessions {
	o.defaults()
	return &Sessions{opts: o, m: map[string]*Session{}, lengths: map[string]learned{}}
}

// Assembled is a file made whole from its slices, with the held slice requests to send before the one
// that completed it.
type Assembled struct {
	File   *Spool
	Name   string
	Slices int
	Replay *Replay
	bodies []*Body
}

// Close releases the held slices' spools.
func (a *Assembled) Close() {
	for _, b := range a.bodies {
		b.Close()
	}
	a.bodies = nil
}

// ErrSliceTooLarge is the sentinel of a sliced file over the size limit (held slices are dropped).
var ErrSliceTooLarge = l10n.Sentinel(l10n.TooLarge)

// Hold takes one slice of user's upload. For a slice that does not complete its file it keeps the slice
// (on disk) and returns the answer the service would give. For the slice or call that completes the file
// it returns the file made whole; the caller judges it and, if it may leave, sends the Replay's requests
// before the completing request itself. On error the session is dropped and nothing is released.
func (s *Sessions) Hold(user, service string, sl *Slice, r *http.Request, b *Body) (*http.Response, *Assembled, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep()
	key := user + "\x00" + sl.Key
	sess := s.m[key]
	if sl.Abort {
		s.drop(key)
		return nil, nil, nil
	}
	if sess == nil {
		sess = &Session{key: key, user: user, service: service, protocol: sl.Protocol, total: -1}
		s.m[key] = sess
	}
	sess.seen = s.opts.Now()
	if sl.Name != "" && sl.Name != "." && sl.Name != "/" {
		sess.name = sl.Name
	}
	if sl.Total >= 0 {
		sess.total = sl.Total
	}
	if sl.Parts > 0 {
		sess.parts = sl.Parts
	}
	if l, ok := s.lengths[sl.Key]; ok && sess.total < 0 {
		sess.total = l.n
	}
	if sl.Data != nil && sl.Offset >= 0 && sess.total >= 0 && sl.Offset+sl.Data.Size() == sess.total {
		sl.Final = true // the last bytes of a file whose length the site was told
	}
	if sl.FinalIfWhole && sess.total > 0 && sess.contiguous() == sess.total {
		sl.Final, sl.Commit = true, true
	}
	if sl.Data == nil && !sl.Final { // a status query: answer what arrived
		return sl.reply(sl, sess, r), nil, nil
	}
	h := &held{index: sl.Index, offset: sl.Offset, id: sl.ID, data: sl.Data, body: b}
	if sl.Data != nil {
		size := sl.Data.Size()
		if sess.bytes+size > s.opts.MaxFile || s.held+size > s.opts.MaxHeld {
			s.drop(key)
			return nil, nil, l10n.Wrap(ErrSliceTooLarge, l10n.TooLarge, "分片上传的文件超过 %d MiB（或待判定的分片总量已满），无法检查",
				"the file sent in slices is over %d MiB (or the slices waiting to be judged fill the limit), so it cannot be inspected", s.opts.MaxFile>>20)
		}
		s.replace(sess, h)
		sess.bytes += size
		s.held += size
	}
	if !sl.Final && (sess.parts == 0 || sess.dataSlices() < sess.parts) {
		if err := b.spill(); err != nil {
			s.drop(key)
			return nil, nil, err
		}
		h.req = &HeldRequest{Method: r.Method, URL: r.URL, Header: r.Header.Clone(), Body: b.Raw, synth: map[string]string{}}
		resp := sl.reply(sl, sess, r)
		h.req.learnAnswer(resp)
		return resp, nil, nil
	}
	return s.assemble(key, sess, sl, h)
}

// dataSlices counts the held slices that carry bytes of the file (not an opening request).
func (sess *Session) dataSlices() int {
	n := 0
	for _, h := range sess.slices {
		if !h.opener() {
			n++
		}
	}
	return n
}

// opener reports whether h opened the session without carrying file bytes (Baidu's precreate, an empty Dropbox start).
func (h *held) opener() bool { return h.id == "start" && h.data.Size() == 0 }

// replace adds h to the session, dropping an earlier copy of the same slice (a retry).
func (s *Sessions) replace(sess *Session, h *held) {
	for i, o := range sess.slices {
		if o.index == h.index && o.offset == h.offset && o.id == h.id {
			sess.bytes -= o.data.Size()
			s.held -= o.data.Size()
			if o.body != nil {
				o.body.Close()
			}
			sess.slices = append(sess.slices[:i], sess.slices[i+1:]...)
			break
		}
	}
	sess.slices = append(sess.slices, h)
}

// assemble puts the slices in file order, checks none is missing, and hands them over as one file.
func (s *Sessions) assemble(key string, sess *Session, sl *Slice, last *held) (*http.Response, *Assembled, error) {
	defer func() { // the slices now belong to the Assembled (or are released with the error)
		delete(s.m, key)
		s.held -= sess.bytes
	}()
	order, err := fileOrder(sess, sl)
	if err != nil {
		s.release(sess, last)
		return nil, nil, err
	}
	a := &Assembled{Name: sess.name, Slices: len(order), Replay: &Replay{subst: map[string]string{}}}
	var pieces []*Spool
	for _, h := range order {
		pieces = append(pieces, h.data)
	}
	for _, h := range sendOrder(sess, order) {
		if h != last && h.req != nil {
			a.Replay.Requests = append(a.Replay.Requests, h.req)
		}
		if h != last && h.body != nil {
			a.bodies = append(a.bodies, h.body)
		}
	}
	if a.File, err = Concat(pieces); err != nil {
		a.Close()
		return nil, nil, err
	}
	return nil, a, nil
}

// release closes the held slices of a session that will not be released, except the completing one (the caller's).
func (s *Sessions) release(sess *Session, except *held) {
	for _, h := range sess.slices {
		if h != except && h.body != nil {
			h.body.Close()
		}
	}
}

// fileOrder returns the session's slices in file order and says which are missing.
func fileOrder(sess *Session, sl *Slice) ([]*held, error) {
	missing := func(what string) error {
		return l10n.Errorf(l10n.Unreadable, "分片上传缺少%s，无法拼出完整文件", "the sliced upload lacks %s, so the whole file cannot be put together", what)
	}
	byKey := map[string]*held{}
	for _, h := range sess.slices {
		byKey[h.id] = h
		byKey[strconv.Itoa(h.index)] = h
	}
	var out []*held
	if len(sl.Order) > 0 { // the commit names the parts in order
		for _, k := range sl.Order {
			h, ok := byKey[k]
			if !ok {
				return nil, missing("part " + k)
			}
			out = append(out, h)
		}
		return out, nil
	}
	for _, h := range sess.slices {
		if !h.opener() {
			out = append(out, h)
		}
	}
	if len(out) == 0 {
		return nil, missing(" any data")
	}
	if out[0].offset >= 0 { // placed by byte offset: contiguous from 0 (to the total, when known)
		sort.Slice(out, func(i, j int) bool { return out[i].offset < out[j].offset })
		end := int64(0)
		for _, h := range out {
			if h.offset != end {
				return nil, missing("bytes " + strconv.FormatInt(end, 10) + "–" + strconv.FormatInt(h.offset, 10))
			}
			end += h.data.Size()
		}
		if sess.total >= 0 && end != sess.total {
			return nil, missing("the bytes after " + strconv.FormatInt(end, 10))
		}
		return out, nil
	}
	sort.Slice(out, func(i, j int) bool { return out[i].index < out[j].index })
	want := out[0].index
	if want > 1 {
		return nil, missing("part " + strconv.Itoa(want-1))
	}
	for _, h := range out {
		if h.index != want {
			return nil, missing("part " + strconv.Itoa(want))
		}
		want++
	}
	if sess.parts > 0 && len(out) != sess.parts {
		return nil, missing("parts " + strconv.Itoa(len(out)) + "–" + strconv.Itoa(sess.parts-1))
	}
	return out, nil
}

// sendOrder is the order the held requests reach the site: file order, after any request that opened the
// session (Dropbox's start).
func sendOrder(sess *Session, order []*held) []*held {
	out := make([]*held, 0, len(order))
	for _, h := range sess.slices {
		if h.id == "start" {
			out = append(out, h)
		}
	}
	for _, h := range order {
		if h.id != "start" {
			out = append(out, h)
		}
	}
	return out
}

// drop forgets a session and releases its slices.
func (s *Sessions) drop(key string) {
	if sess := s.m[key]; sess != nil {
		s.release(sess, nil)
		s.held -= sess.bytes
		delete(s.m, key)
	}
}

// sweep drops sessions that waited longer than Idle for their next slice: their slices are never released.
func (s *Sessions) sweep() {
	cut := s.opts.Now().Add(-s.opts.Idle)
	for k, sess := range s.m {
		if sess.seen.Before(cut) {
			s.drop(k)
		}
	}
	for k, l := range s.lengths {
		if l.when.Before(cut) {
			delete(s.lengths, k)
		}
	}
}

// Learn notes what a site's answer says about slices to come: the URL and length of a tus upload it created.
func (s *Sessions) Learn(req *http.Request, resp *http.Response) {
	if req.Method != http.MethodPost || req.Header.Get("Tus-Resumable") == "" || resp.StatusCode != http.StatusCreated {
		return
	}
	n, err := strconv.ParseInt(req.Header.Get("Upload-Length"), 10, 64)
	loc, lerr := req.URL.Parse(resp.Header.Get("Location"))
	if err != nil || lerr != nil || resp.Header.Get("Location") == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.lengths) < 10000 {
		s.lengths["tus:"+loc.Host+loc.Path] = learned{n: n, when: s.opts.Now()}
	}
}

// Held returns how many files are waiting for slices and how many bytes their slices hold.
func (s *Sessions) Held() (sessions int, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m), s.held
}

// Sweep drops idle sessions (housekeeping calls it); it returns how many sessions and bytes are still held.
func (s *Sessions) Sweep() (sessions int, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep()
	return len(s.m), s.held
}

// spill moves a held body's bytes to disk.
func (b *Body) spill() error {
	if err := b.Raw.ToDisk(); err != nil {
		return err
	}
	return b.Decoded.ToDisk()
}

// CommitFor returns the commit of one of user's pending object-store sessions that a request names
// without being the store's own commit call: 阿里云盘's file/complete, 123云盘's upload_complete and
// 中国移动云盘's complete carry the store's upload id in their JSON. nil when it names none.
func (s *Sessions) CommitFor(user string, r *http.Request, b *Body) *Slice {
	s.mu.Lock()
	var ids []string
	for _, sess := range s.m {
		if sess.user == user && sess.protocol == "multipart" {
			ids = append(ids, strings.TrimPrefix(sess.key[len(user)+1:], "mp:"))
		}
	}
	s.mu.Unlock()
	if len(ids) == 0 {
		return nil
	}
	text := r.URL.RawQuery
	if data, err := b.Decoded.Bytes(1 << 20); err == nil {
		text += "\n" + string(data)
	}
	for _, id := range ids {
		if len(id) >= 8 && strings.Contains(text, id) {
			return &Slice{Protocol: "multipart", Key: "mp:" + id, Index: -1, Offset: -1, Total: -1, Final: true, Commit: true}
		}
	}
	return nil
}
