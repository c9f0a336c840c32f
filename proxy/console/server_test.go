package console

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dlp/sluice/store"
)

// call makes an API call with an optional bearer token and decodes the JSON answer.
func (c *console) call(t *testing.T, method, path, tok string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, c.url+path, rd)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestUnauthenticatedRefused(t *testing.T) {
	c := newConsole(t)
	ev := c.hold(t, "zhang", "mail.qq.com", map[string][]byte{"a.png": testPNG(20, 20)})
	req, err := c.db.FileRequest("zhang", store.NewRequest{EventID: ev.ID, Receiver: "r", Purpose: "p", Days: 1}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	id := req.ID
	pages := []string{"/", "/queue", "/mine", "/history", "/archive", "/audit", "/request/new?event=1", "/request/" + id,
		"/request/" + id + "/preview/0", "/event/1/preview/0", "/nope"}
	cl := c.client(t)
	for _, p := range pages {
		resp, err := cl.Get(c.url + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
			t.Errorf("GET %s unauthenticated: %s → %q", p, resp.Status, resp.Header.Get("Location"))
		}
	}
	for _, p := range []string{"/request/new", "/request/" + id + "/approve", "/request/" + id + "/deny", "/request/" + id + "/withdraw"} {
		resp, err := cl.PostForm(c.url+p, url.Values{"comment": {"x"}, "event": {"1"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("POST %s unauthenticated: %s", p, resp.Status)
		}
	}
	api := [][2]string{{"GET", "/api/me"}, {"GET", "/api/events/1"}, {"POST", "/api/requests"}, {"GET", "/api/requests"},
		{"GET", "/api/queue"}, {"GET", "/api/requests/" + id}, {"POST", "/api/requests/" + id + "/approve"},
		{"POST", "/api/requests/" + id + "/deny"}, {"POST", "/api/requests/" + id + "/withdraw"}, {"GET", "/api/archive"}, {"GET", "/api/whatever"}}
	for _, tok := range []string{"", "slc_forged"} {
		for _, a := range api {
			st, body := c.call(t, a[0], a[1], tok, map[string]string{})
			if st != http.StatusUnauthorized || body["error"] != "unauthorized" {
				t.Errorf("%s %s token %q: %d %v", a[0], a[1], tok, st, body)
			}
		}
	}
	if r, _ := c.db.Request(id); len(r.History) != 1 {
		t.Fatalf("unauthenticated calls changed the request: %+v", r.History)
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	c := newConsole(t)
	ev := c.hold(t, "zhang", "mail.qq.com", map[string][]byte{"a.png": testPNG(20, 20)})
	req, _ := c.db.FileRequest("zhang", store.NewRequest{EventID: ev.ID, Receiver: "r", Purpose: "p", Days: 1}, time.Now())
	li := c.login(t, "li")
	for _, hd := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
		{"Origin": "https://evil.example"},
	} {
		r, _ := http.NewRequest("POST", c.url+"/request/"+req.ID+"/approve", strings.NewReader("comment=ok"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range hd {
			r.Header.Set(k, v)
		}
		resp, err := li.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("cross-origin POST %v: %s", hd, resp.Status)
		}
	}
	if r, _ := c.db.Request(req.ID); r.Status != store.StatusPending {
		t.Fatalf("cross-origin POST changed the request to %s", r.Status)
	}
	// Same-origin POST from the console itself works.
	r, _ := http.NewRequest("POST", c.url+"/request/"+req.ID+"/approve", strings.NewReader("comment=ok"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.Header.Set("Origin", c.url)
	resp, err := li.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("same-origin approve: %s", resp.Status)
	}
	if r, _ := c.db.Request(req.ID); r.Status != store.StatusLeadApproved {
		t.Fatalf("status %s after same-origin approve", r.Status)
	}
}

func TestLogout(t *testing.T) {
	c := newConsole(t)
	cl := c.login(t, "zhang")
	resp, _ := cl.Get(c.url + "/mine")
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("signed in /mine: %s", resp.Status)
	}
	resp, _ = cl.PostForm(c.url+"/logout", nil)
	resp.Body.Close()
	resp, _ = cl.Get(c.url + "/mine")
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after logout /mine: %s", resp.Status)
	}
}

func TestAPIApprovalFlow(t *testing.T) {
	c := newConsole(t)
	ev := c.hold(t, "zhang", "mail.qq.com", map[string][]byte{"客户清单.png": testPNG(64, 48)})
	tok := c.tokens

	if st, b := c.call(t, "GET", "/api/me", tok["zhang"], nil); st != 200 || b["display_name"] != "张三" {
		t.Fatalf("me: %d %v", st, b)
	}
	if st, b := c.call(t, "GET", "/api/events/"+itoa(ev.ID), tok["zhang"], nil); st != 200 || b["form_url"] == nil {
		t.Fatalf("own event: %d %v", st, b)
	}
	if st, _ := c.call(t, "GET", "/api/events/"+itoa(ev.ID), tok["eve"], nil); st != 404 {
		t.Fatalf("someone else's event: %d", st)
	}
	body := map[string]any{"event_id": ev.ID, "receiver": "李四 (ACME 采购)", "purpose": "报价确认", "days": 7}
	if st, b := c.call(t, "POST", "/api/requests", tok["eve"], body); st != 403 || b["error"] != "forbidden" {
		t.Fatalf("filing another user's event: %d %v", st, b)
	}
	if st, b := c.call(t, "POST", "/api/requests?lang=en", tok["zhang"], map[string]any{"event_id": ev.ID}); st != 400 || !strings.Contains(b["message"].(string), "receiver") {
		t.Fatalf("incomplete request: %d %v", st, b)
	}
	st, b := c.call(t, "POST", "/api/requests", tok["zhang"], body)
	if st != 201 || b["status"] != "pending" {
		t.Fatalf("file: %d %v", st, b)
	}
	id := b["request_id"].(string)
	if st, _ := c.call(t, "POST", "/api/requests", tok["zhang"], body); st != 409 {
		t.Fatalf("second filing: %d", st)
	}
	if a := wait(t, c.alerts); a.Kind != "request" || a.RequestID != id || a.DisplayName != "张三" {
		t.Fatalf("request alert: %+v", a)
	}

	queue := func(user string) []any {
		_, b := c.call(t, "GET", "/api/queue", tok[user], nil)
		return b["requests"].([]any)
	}
	if q := queue("li"); len(q) != 1 || q[0].(map[string]any)["id"] != id || q[0].(map[string]any)["waiting_for"] != "li" {
		t.Fatalf("li's queue: %v", q)
	}
	if q := queue("wang"); len(q) != 0 {
		t.Fatalf("wang's queue before lead approval: %v", q)
	}
	if q := queue("zhang"); len(q) != 0 {
		t.Fatalf("staff queue: %v", q)
	}
	if st, _ := c.call(t, "GET", "/api/requests/"+id, tok["eve"], nil); st != 404 {
		t.Fatalf("unrelated staff sees the request: %d", st)
	}
	if st, b := c.call(t, "POST", "/api/requests/"+id+"/approve", tok["zhang"], map[string]string{"comment": "me"}); st != 403 {
		t.Fatalf("self approval: %d %v", st, b)
	}
	if st, b := c.call(t, "POST", "/api/requests/"+id+"/approve", tok["li"], map[string]string{"comment": "同意"}); st != 200 || b["status"] != "lead_approved" {
		t.Fatalf("lead approve: %d %v", st, b)
	}
	if st, _ := c.call(t, "POST", "/api/requests/"+id+"/approve", tok["li"], nil); st != 403 {
		t.Fatalf("lead approving twice: %d", st)
	}
	if q := queue("wang"); len(q) != 1 {
		t.Fatalf("wang's queue after lead approval: %v", q)
	}
	st, b = c.call(t, "POST", "/api/requests/"+id+"/approve", tok["wang"], map[string]string{"comment": "可以"})
	if st != 200 || b["status"] != "approved" || b["grant_id"] == "" {
		t.Fatalf("head approve: %d %v", st, b)
	}
	if st, _ := c.call(t, "POST", "/api/requests/"+id+"/withdraw", tok["zhang"], nil); st != 409 {
		t.Fatalf("withdraw after approval: %d", st)
	}
	// The requester's extension gets the approval; the proxy finds the grant.
	back := c.rec.noticesFor("zhang")
	if len(back) != 1 || back[0].Type != "approved" || back[0].RequestID != id || back[0].Files[0] != "客户清单.png" {
		t.Fatalf("notices: %+v", back)
	}
	g, err := c.db.FindGrant("zhang", ev.Files[0].SHA256, "mail.qq.com", "webmail", time.Now())
	if err != nil || g.RequestID != id {
		t.Fatalf("grant: %v %v", g, err)
	}

	// The proxy's retry lands in the archive; investigators find it with its approvers.
	c.db.PutOutbound(&store.Outbound{EventID: 99, Time: time.Now(), User: "zhang", DisplayName: "张三", Host: "mail.qq.com",
		FileName: "客户清单.png", OrigSHA256: ev.Files[0].SHA256, ApprovalID: id, GrantID: g.ID})
	if st, _ := c.call(t, "GET", "/api/archive", tok["zhang"], nil); st != 403 {
		t.Fatalf("staff archive: %d", st)
	}
	st, b = c.call(t, "GET", "/api/archive?q=客户清单&user=zhang", tok["inv"], nil)
	recs, _ := b["records"].([]any)
	if st != 200 || len(recs) != 1 {
		t.Fatalf("archive: %d %v", st, b)
	}
	rec := recs[0].(map[string]any)
	if rec["approval"] != id || len(rec["approvers"].([]any)) != 2 || rec["receiver"] != "李四 (ACME 采购)" {
		t.Fatalf("archive record: %v", rec)
	}
	if _, probs, err := c.db.VerifyChain(); err != nil || len(probs) > 0 {
		t.Fatalf("audit chain: %v %v", err, probs)
	}
}

func TestDenyAndExpireNotify(t *testing.T) {
	c := newConsole(t)
	e1 := c.hold(t, "zhang", "pan.baidu.com", map[string][]byte{"a.png": testPNG(8, 8)})
	e2 := c.hold(t, "zhang", "pan.baidu.com", map[string][]byte{"b.png": testPNG(9, 9)})
	r1, _ := c.db.FileRequest("zhang", store.NewRequest{EventID: e1.ID, Receiver: "r", Purpose: "p", Days: 1}, time.Now())
	r2, _ := c.db.FileRequest("zhang", store.NewRequest{EventID: e2.ID, Receiver: "r", Purpose: "p", Days: 1}, time.Now())
	if st, b := c.call(t, "POST", "/api/requests/"+r1.ID+"/deny", c.tokens["boss"], map[string]string{"comment": "不行"}); st != 200 || b["status"] != "denied" {
		t.Fatalf("admin deny: %d %v", st, b)
	}
	c.ops.Now = func() time.Time { return time.Now().Add(store.DefaultDecideTime + time.Minute) }
	if err := c.ops.ExpireRequests(); err != nil {
		t.Fatal(err)
	}
	if r, _ := c.db.Request(r2.ID); r.Status != store.StatusExpired {
		t.Fatalf("after sweep: %s", r.Status)
	}
	back := c.rec.noticesFor("zhang")
	if len(back) != 2 || back[0].Type != "denied" || back[1].Type != "expired" || back[1].RequestID != r2.ID {
		t.Fatalf("notices: %+v", back)
	}
}

func TestConsolePages(t *testing.T) {
	c := newConsole(t)
	ev := c.hold(t, "zhang", "mail.qq.com", map[string][]byte{"报价单.pdf": testPDF("Quote for ACME"), "名单.txt": []byte("张三 13812345678 zs@example.com\n")})
	z := c.login(t, "zhang")
	get := func(cl *http.Client, p string) (int, string) {
		resp, err := cl.Get(c.url + p)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(data)
	}
	st, page := get(z, "/request/new?event="+itoa(ev.ID))
	if st != 200 || !strings.Contains(page, "接收方身份") || !strings.Contains(page, "报价单.pdf") || !strings.Contains(page, "138****5678") || strings.Contains(page, "13812345678") {
		t.Fatalf("form page %d:\n%s", st, page)
	}
	if st, page := get(z, "/request/new?event="+itoa(ev.ID)+"&lang=en"); st != 200 || !strings.Contains(page, "Receiver") {
		t.Fatalf("english form %d", st)
	}
	if st, _ := get(c.login(t, "eve"), "/request/new?event="+itoa(ev.ID)); st != 404 {
		t.Fatalf("someone else's held event form: %d", st)
	}
	resp, err := z.PostForm(c.url+"/request/new", url.Values{"event": {itoa(ev.ID)}, "receiver": {"李四"}, "purpose": {"报价"}, "days": {"5"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/request/R-") {
		t.Fatalf("file via form: %s %q", resp.Status, loc)
	}
	id := strings.TrimPrefix(loc, "/request/")
	li := c.login(t, "li")
	if st, page := get(li, "/queue"); st != 200 || !strings.Contains(page, id) {
		t.Fatalf("li's queue page %d", st)
	}
	st, page = get(li, "/request/"+id)
	if st != 200 || !strings.Contains(page, `id="approve"`) || !strings.Contains(page, "/request/"+id+"/preview/") {
		t.Fatalf("detail page %d:\n%s", st, page)
	}
	for i, f := range ev.Files {
		resp, err := li.Get(c.url + "/request/" + id + "/preview/" + strconv.Itoa(i))
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		isPNG := resp.StatusCode == 200 && resp.Header.Get("Content-Type") == "image/png" && bytes.HasPrefix(data, []byte("\x89PNG"))
		if strings.HasSuffix(f.Name, ".pdf") != isPNG { // the PDF's first page renders; text has an excerpt instead
			t.Fatalf("preview of %s: %s png=%v", f.Name, resp.Status, isPNG)
		}
	}
	resp, err = li.PostForm(c.url+"/request/"+id+"/approve", url.Values{"comment": {"同意"}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("lead approves via the form: %v %v", resp, err)
	}
	resp.Body.Close()
	if st, page := get(li, "/request/"+id); st != 200 || strings.Contains(page, `id="approve"`) || !strings.Contains(page, `id="deny"`) {
		t.Fatalf("after the lead step the lead may still deny but not approve again (%d)", st)
	}
	if st, page := get(c.login(t, "wang"), "/request/"+id); st != 200 || !strings.Contains(page, `id="approve"`) {
		t.Fatalf("the head sees the approve button (%d)", st)
	}
	if st, page := get(z, "/request/"+id); st != 200 || strings.Contains(page, `id="approve"`) || !strings.Contains(page, "/withdraw") {
		t.Fatalf("the requester sees withdraw, never approve (%d)", st)
	}
	if st, _ := get(z, "/request/"+id); st != 200 {
		t.Fatalf("requester's own detail: %d", st)
	}
	if st, _ := get(c.login(t, "eve"), "/request/"+id); st != 404 {
		t.Fatalf("unrelated staff detail: %d", st)
	}
	for _, p := range []string{"/archive", "/audit"} {
		if st, _ := get(z, p); st != 403 {
			t.Fatalf("staff %s: %d", p, st)
		}
		if st, page := get(c.login(t, "inv"), p); st != 200 || !strings.Contains(page, "<h1>") {
			t.Fatalf("investigator %s: %d", p, st)
		}
	}
	if st, page := get(c.login(t, "boss"), "/audit?verify=1&action=approval."); st != 200 || !strings.Contains(page, "审计链校验通过") || !strings.Contains(page, "approval.request") {
		t.Fatalf("audit verify page %d:\n%s", st, page)
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
