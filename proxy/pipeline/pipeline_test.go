package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/fixture"
	"github.com/sluice-dlp/sluice/internal/ops"
	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/proxy/policy"
	"github.com/sluice-dlp/sluice/proxy/upload"
	"github.com/sluice-dlp/sluice/store"
	"github.com/sluice-dlp/sluice/watermark"
)

// told records what the steps tell people.
type told struct {
	mu      sync.Mutex
	notices []api.Notice
	alerts  []api.Alert
}

func (t *told) Notify(user string, n api.Notice) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.notices = append(t.notices, n)
}

func (t *told) Alert(a api.Alert) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.alerts = append(t.alerts, a)
}

// deps builds real step dependencies: a bbolt store in a temp dir, the default policy, a scanner
// over the store's (empty) customer list, a marker with a fresh key.
func deps(t *testing.T) (*Deps, *told) {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "sluice.db"), filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p := policy.Default()
	opts, err := ops.ScannerOptions(p, db)
	if err != nil {
		t.Fatal(err)
	}
	sc := inspect.NewScanner(opts)
	key, err := watermark.LoadOrCreateKey(filepath.Join(dir, "mark.key"))
	if err != nil {
		t.Fatal(err)
	}
	tl := &told{}
	return &Deps{Scanner: func() *inspect.Scanner { return sc }, Policy: p, DB: db, Marker: watermark.NewMarker(key), Notifier: tl,
		ConsoleURL: func() string { return "http://console.test" }, Body: upload.Options{Dir: dir},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, tl
}

var rep = &store.User{Name: "zhangsan", DisplayName: "张三", StaffID: "A1024", Roles: []string{store.RoleStaff}}

// flow constructs the flow of one multipart upload of files (name → bytes) with form fields to url.
func flow(t *testing.T, d *Deps, url string, files map[string][]byte, fields map[string]string) *Flow {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	for name, data := range files {
		w, _ := mw.CreateFormFile("file", name)
		w.Write(data)
	}
	mw.Close()
	req := httptest.NewRequest("POST", url, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Mode", "cors")
	return &Flow{Ctx: context.Background(), Req: req, User: rep, Dest: d.Policy.Catalog().Lookup(req.URL.Host, req.URL.Path), Started: time.Now()}
}

// runTo runs the default steps of f up to and including hook.
func runTo(t *testing.T, d *Deps, f *Flow, last Hook) {
	t.Helper()
	for _, s := range New(d).steps {
		if s.Hook() > last {
			return
		}
		if err := s.Run(f); err != nil {
			t.Fatalf("%s: %v", s.Hook(), err)
		}
		if f.Response != nil {
			return
		}
	}
}

func TestPartsAndInspectKeepOneRecordPerFile(t *testing.T) {
	d, _ := deps(t)
	list := fixture.CSV(fixture.Customers(40, 1))
	f := flow(t, d, "https://mail.163.com/upload", map[string][]byte{"客户.csv": list}, map[string]string{"subject": "周报", "to": "a@b.cn"})
	runTo(t, d, f, HookInspect)
	if len(f.Files) != 2 || f.Files[0].Name != "客户.csv" || f.Files[0].Message || !f.Files[1].Message {
		t.Fatalf("files: %+v", f.Files)
	}
	if f.Files[0].Result.Count(inspect.KindPhone) < 40 || f.Files[0].Part.SHA256() == "" {
		t.Fatalf("the file's own result: %+v", f.Files[0].Result)
	}
	if got := f.FilesOnly(); len(got) != 1 || got[0] != f.Files[0] {
		t.Fatalf("FilesOnly: %+v", got)
	}
}

func TestDecideOnConstructedFlow(t *testing.T) {
	d, _ := deps(t)
	f := &Flow{User: rep, Dest: d.Policy.Catalog().Lookup("pan.baidu.com", "/"), Files: []*File{
		{Name: "客户.xlsx", Result: &inspect.Result{Type: "xlsx", Findings: []inspect.Finding{{Kind: inspect.KindPhone, Count: 30}}}},
		{Message: true, Result: &inspect.Result{Type: "text"}},
	}}
	if err := (decideStep{d}).Run(f); err != nil {
		t.Fatal(err)
	}
	if f.Decision.Verdict != policy.Block || !f.Decision.Sensitive {
		t.Fatalf("30 phones to a netdisk: %+v", f.Decision)
	}
}

func TestRefuseRecordsBeforeAnsweringAndHidesFormFields(t *testing.T) {
	d, tl := deps(t)
	f := flow(t, d, "https://pan.baidu.com/rest/2.0/pcs/file", map[string][]byte{"客户.csv": fixture.CSV(fixture.Customers(40, 2))}, map[string]string{"path": "/我的资源"})
	runTo(t, d, f, HookRespond)
	if f.Response == nil || f.Response.StatusCode != http.StatusForbidden || f.Event == nil || f.Event.Verdict != "block" {
		t.Fatalf("blocked upload: resp %+v event %+v", f.Response, f.Event)
	}
	var ref Refusal
	json.NewDecoder(f.Response.Body).Decode(&ref)
	if ref.EventID != f.Event.ID || len(ref.Files) != 1 || ref.Files[0] != "客户.csv" {
		t.Fatalf("refusal names the form fields or misses the event: %+v", ref)
	}
	if len(f.Event.Files) != 2 || f.Event.Files[1].Kind != store.FileKindMessage {
		t.Fatalf("event records: %+v", f.Event.Files)
	}
	if len(tl.notices) != 1 || tl.notices[0].Type != "blocked" || len(tl.alerts) != 1 {
		t.Fatalf("notices %+v alerts %+v", tl.notices, tl.alerts)
	}
}

// approve files and approves a request for a held event, returning the grant ids.
func approve(t *testing.T, db *store.DB, ev uint64) []string {
	t.Helper()
	for _, u := range []*store.User{{Name: "lisi", Roles: []string{store.RoleReviewer}}, {Name: "wangwu", Roles: []string{store.RoleReviewer}}} {
		if _, err := db.User(u.Name); err != nil {
			if err := db.CreateUser("test", u); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := db.User(rep.Name); err != nil {
		u := *rep
		u.Lead, u.Head = "lisi", "wangwu"
		if err := db.CreateUser("test", &u); err != nil {
			t.Fatal(err)
		}
	}
	r, err := db.FileRequest(rep.Name, store.NewRequest{EventID: ev, Receiver: "客户", Purpose: "报价", Days: 1}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	db.Act(r.ID, "lisi", store.ActApprove, "", time.Now())
	r, err = db.Act(r.ID, "wangwu", store.ActApprove, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return r.GrantIDs
}

func TestGrantsAreUsedForAllFilesOrNone(t *testing.T) {
	d, _ := deps(t)
	a, b := fixture.CSV(fixture.Customers(40, 3)), fixture.CSV(fixture.Customers(40, 4))
	held := flow(t, d, "https://mail.163.com/upload", map[string][]byte{"a.csv": a}, nil)
	runTo(t, d, held, HookRespond)
	grants := approve(t, d.DB, held.Event.ID)

	both := flow(t, d, "https://mail.163.com/upload", map[string][]byte{"a.csv": a, "b.csv": b}, nil)
	runTo(t, d, both, HookRespond)
	if both.Decision.Verdict != policy.Approval {
		t.Fatalf("a granted file with an ungranted one: %s", both.Decision.Verdict)
	}
	if g, _ := d.DB.Grant(grants[0]); g.Uses != 0 {
		t.Fatalf("the granted file's approval was used although the upload stayed held: %d", g.Uses)
	}
	alone := flow(t, d, "https://mail.163.com/upload", map[string][]byte{"a.csv": a}, nil)
	runTo(t, d, alone, HookForward)
	if alone.Response != nil || alone.Decision.Verdict != policy.Allow || alone.Files[0].Grant == nil {
		t.Fatalf("the approved file alone: %+v", alone.Decision)
	}
}

func TestForwardFailureIsRecordedAsErrorAndGivesTheGrantBack(t *testing.T) {
	d, _ := deps(t)
	a := fixture.CSV(fixture.Customers(40, 5))
	held := flow(t, d, "https://mail.163.com/upload", map[string][]byte{"a.csv": a}, nil)
	runTo(t, d, held, HookRespond)
	grants := approve(t, d.DB, held.Event.ID)
	p := New(d)
	f := flow(t, d, "https://mail.163.com/upload", map[string][]byte{"a.csv": a}, nil)
	p.Run(f)
	if f.Response != nil || !f.Outcome.Forwarding {
		t.Fatalf("granted upload not forwarded: %+v", f.Outcome)
	}
	if g, _ := d.DB.Grant(grants[0]); g.Uses != 1 {
		t.Fatalf("uses before the upstream answered: %d", g.Uses)
	}
	p.Finish(f, nil, errors.New("dial tcp: connection refused"))
	if f.Event == nil || f.Event.Verdict != "error" || f.Event.Extra["failed_at"] != "forward" {
		t.Fatalf("the failed forward is not recorded as an error: %+v", f.Event)
	}
	if evs, _ := d.DB.Events(store.EventFilter{Action: "upload", Verdict: "allow"}); len(evs) != 0 {
		t.Fatalf("the log says an upload was allowed that never left: %+v", evs[0])
	}
	if g, _ := d.DB.Grant(grants[0]); g.Uses != 0 {
		t.Fatalf("the approval's use was not given back: %d", g.Uses)
	}
	if recs, _ := d.DB.Archive(store.ArchiveFilter{}); len(recs) != 0 {
		t.Fatalf("the archive says a file left that did not: %+v", recs)
	}
}

func TestForwardedUploadRecordsUpstreamStatusOnce(t *testing.T) {
	d, _ := deps(t)
	p := New(d)
	img := fixture.PNG(fixture.Photo(640, 480, 1))
	f := flow(t, d, "https://mail.163.com/upload", map[string][]byte{"photo.png": img}, nil)
	p.Run(f)
	if f.Response != nil || f.Decision.Verdict != policy.Watermark || f.Files[0].Marked == nil || f.Event != nil {
		t.Fatalf("photo to webmail: %+v event %v", f.Decision, f.Event)
	}
	body, _ := io.ReadAll(f.Req.Body)
	if bytes.Contains(body, img) || !bytes.Contains(body, f.Files[0].Marked) {
		t.Fatal("the forwarded body is not the marked file")
	}
	p.Finish(f, &http.Response{StatusCode: 200}, nil)
	p.Finish(f, &http.Response{StatusCode: 200}, nil) // a second report changes nothing
	evs, _ := d.DB.Events(store.EventFilter{Action: "upload"})
	if len(evs) != 1 || evs[0].Verdict != "watermark" || evs[0].Extra["upstream_status"] != "200" || evs[0].Files[0].MarkID == "" {
		t.Fatalf("events: %+v", evs)
	}
	recs, _ := d.DB.Archive(store.ArchiveFilter{})
	if len(recs) != 1 || recs[0].EventID != evs[0].ID || recs[0].MarkID == 0 {
		t.Fatalf("archive: %+v", recs)
	}
}

// failing is a step that fails, standing in for a store outage.
type failing struct{ h Hook }

func (s failing) Hook() Hook        { return s.h }
func (s failing) Run(f *Flow) error { return fmt.Errorf("disk full") }

func TestFailedStepFailsClosed(t *testing.T) {
	d, _ := deps(t)
	p := New(d)
	p.Add(failing{HookEnforce})
	f := flow(t, d, "https://mail.163.com/upload", map[string][]byte{"notes.txt": []byte("hello")}, nil)
	p.Run(f)
	if f.Response == nil || f.Response.StatusCode != http.StatusBadGateway || f.Outcome.Forwarding {
		t.Fatalf("a failed step let the upload through: %+v", f.Outcome)
	}
	if f.Event == nil || f.Event.Verdict != "error" || !strings.Contains(strings.Join(f.Event.Reasons, " "), "disk full") {
		t.Fatalf("failure not audited with its cause: %+v", f.Event)
	}
}
