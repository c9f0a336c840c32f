package daemon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/sluice-dlp/sluice/proxy/pipeline"
	"io"
	"net/http"
	"testing"
	"time"
)

// api calls the daemon's console API as the holder of token.
func (e *testEnv) api(t *testing.T, token, method, path string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, "http://"+e.d.ConsoleAddr()+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
	if resp.StatusCode/100 != 2 {
		t.Logf("%s %s → %d %s", method, path, resp.StatusCode, data)
	}
	return resp.StatusCode
}

func (e *testEnv) token(t *testing.T, user string) string {
	tok, err := e.d.DB.NewToken("test", user)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestHeldUploadApprovedTwiceThenRetried drives the whole approval flow through the product's own
// interfaces: the proxy holds, the API files, lead and head approve, the retry passes.
func TestHeldUploadApprovedTwiceThenRetried(t *testing.T) {
	up := newUpstream(t, 1<<20)
	env := startEnv(t, up, watched, nil)
	list := customerCSV(40)
	send := func(content []byte) (int, pipeline.Refusal) {
		return env.upload(t, "https://mail.qq.com/cgi-bin/upload", "客户清单.csv", content)
	}
	code, ref := send(list)
	if code != 403 || ref.Verdict != "approval" || ref.EventID == 0 {
		t.Fatalf("first send: %d %+v", code, ref)
	}
	rep, lead, head := env.token(t, "zhangsan"), env.token(t, "lisi"), env.token(t, "wangwu")
	var filed struct {
		RequestID string `json:"request_id"`
	}
	if code := env.api(t, rep, "POST", "/api/requests", map[string]any{"event_id": ref.EventID, "receiver": "ACME 采购部 赵六",
		"purpose": "年度报价确认", "days": 7, "max_uses": 2}, &filed); code != 201 {
		t.Fatalf("filing: %d", code)
	}
	if code := env.api(t, rep, "POST", "/api/requests/"+filed.RequestID+"/approve", map[string]string{"comment": "self"}, nil); code/100 == 2 {
		t.Fatal("requester approved their own request")
	}
	if code := env.api(t, head, "POST", "/api/requests/"+filed.RequestID+"/approve", nil, nil); code/100 == 2 {
		t.Fatal("department head approved before the lead")
	}
	if code, _ := send(list); code != 403 {
		t.Fatal("released before any approval")
	}
	if code := env.api(t, lead, "POST", "/api/requests/"+filed.RequestID+"/approve", map[string]string{"comment": "客户已签保密协议"}, nil); code != 200 {
		t.Fatalf("lead approval: %d", code)
	}
	if code, _ := send(list); code != 403 {
		t.Fatal("released after only one approval")
	}
	var final struct {
		Status string `json:"status"`
	}
	if code := env.api(t, head, "POST", "/api/requests/"+filed.RequestID+"/approve", map[string]string{"comment": "同意"}, &final); code != 200 || final.Status != "approved" {
		t.Fatalf("head approval: %d %+v", code, final)
	}
	// the same rep retries the same file: it goes through
	if code, ref := send(list); code != 200 {
		t.Fatalf("retry after approval: %d %+v", code, ref)
	}
	got := up.requests()
	if len(got) != 1 || !bytes.Contains(got[0].Body, list) {
		t.Fatalf("upstream did not receive the approved file: %d requests", len(got))
	}
	// a different file is held again
	other := append(customerCSV(40), []byte("上海新增贸易有限公司,周杰,13900001111,z@example.cn\n")...)
	if code, ref := send(other); code != 403 || ref.Verdict != "approval" {
		t.Fatalf("different file: %d %+v", code, ref)
	}
	// after the grant expires the same file is held again
	env.d.SetClock(func() time.Time { return time.Now().Add(8 * 24 * time.Hour) })
	if code, _ := send(list); code != 403 {
		t.Fatal("expired grant still releases the file")
	}
	// the record of what left names the approval
	evs, _ := env.d.DB.Events(storeFilterGranted())
	if len(evs) != 1 || evs[0].RequestID != filed.RequestID || evs[0].Extra["grant"] == "" {
		t.Fatalf("granted upload event: %+v", evs)
	}
	arch, _ := env.d.DB.Archive(archiveAll())
	if len(arch) != 1 || arch[0].ApprovalID != filed.RequestID || arch[0].Note == "" {
		t.Fatalf("outbound archive: %+v", arch)
	}
	n, problems, err := env.d.DB.VerifyChain()
	if err != nil || len(problems) != 0 {
		t.Fatalf("audit chain after the run: %d records, %v %v", n, problems, err)
	}
	t.Logf("%d audit records, chain intact; request %s", n, filed.RequestID)
	_ = fmt.Sprint
}
