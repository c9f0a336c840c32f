package daemon

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/customers"
	"github.com/sluice-dlp/sluice/store"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// rawAPI sends body as a raw file to the console API as the holder of token.
func (e *testEnv) rawAPI(t *testing.T, token, method, path string, body []byte, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+e.d.ConsoleAddr()+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Accept-Language", "en")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Logf("%s %s → %d %s", method, path, resp.StatusCode, data)
	} else if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
	return resp.StatusCode
}

// adminToken is the token 'sluice init' left for the CLI.
func (e *testEnv) adminToken(t *testing.T) string {
	b, err := os.ReadFile(PathsFor(e.dir).AdminToken)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// TestAdminImportTakesEffectAtOnce imports a customer list and registers a file through the
// admin API of a running daemon: the next upload through the proxy is judged with them, no restart.
func TestAdminImportTakesEffectAtOnce(t *testing.T) {
	up := newUpstream(t, 8<<20)
	env := startEnv(t, up, watched, nil)
	admin, staff := env.adminToken(t), env.token(t, testUser.Name)
	send := func(name string, content []byte) string {
		_, ref := env.upload(t, "https://pan.baidu.com/upload", name, content)
		return ref.Verdict
	}
	list := customerCSV(30)
	lines := strings.Split(strings.TrimSpace(string(list)), "\n")
	five := []byte(strings.Join(append(lines[:1], lines[11:16]...), "\n") + "\n")
	before := send("周报.csv", five)
	if before == "block" {
		t.Fatalf("5 contacts before any customer list: %s, want less than block", before)
	}

	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(list)
	if err != nil {
		t.Fatal(err)
	}
	var res customers.Result
	if code := env.rawAPI(t, admin, "POST", "/api/admin/customers/import?name=list.csv", gbk, &res); code != 200 || res.Added != 30 || len(res.Fields) != 4 {
		t.Fatalf("import: %d %+v", code, res)
	}
	if v := send("周报.csv", five); v != "block" {
		t.Errorf("5 imported customers to pan.baidu.com right after the import: %s, want block", v)
	}
	var rep api.ScanReport
	if code := env.rawAPI(t, admin, "POST", "/api/admin/scan?dest=pan.baidu.com&name=x.csv", five, &rep); code != 200 ||
		rep.Verdict != "block" || !rep.Sensitive || len(rep.Findings) == 0 {
		t.Errorf("scan through the API: %d %+v", code, rep)
	}
	var st store.CustomerStats
	if code := env.api(t, admin, "GET", "/api/admin/customers/stats", nil, &st); code != 200 || st.Entries != 30 {
		t.Errorf("stats: %d %+v", code, st)
	}

	// a registered file is recognised under another name at once
	secret := []byte("产品A 底价 100\n产品B 底价 200\n")
	if v := send("价格.txt", secret); v == "block" {
		t.Fatalf("unregistered price list: %s, want less than block", v)
	}
	var fp store.Fingerprint
	if code := env.rawAPI(t, admin, "POST", "/api/admin/fingerprints?name=../底价表.txt", secret, &fp); code != 200 || fp.Name != "底价表.txt" || fp.Size != int64(len(secret)) {
		t.Fatalf("fingerprint add: %d %+v", code, fp)
	}
	if v := send("价格.txt", secret); v != "block" {
		t.Errorf("registered file right after fingerprints add: %s, want block", v)
	}
	var fps struct{ Fingerprints []store.Fingerprint }
	if code := env.api(t, admin, "GET", "/api/admin/fingerprints", nil, &fps); code != 200 || len(fps.Fingerprints) != 1 {
		t.Errorf("fingerprints list: %d %+v", code, fps)
	}

	// clearing the list lets the same file through again
	if code := env.api(t, admin, "POST", "/api/admin/customers/clear", nil, nil); code != 200 {
		t.Fatalf("clear: %d", code)
	}
	if v := send("周报.csv", five); v != before {
		t.Errorf("5 contacts after the list was cleared: %s, want %s as before the import", v, before)
	}

	// a staff token is refused on every endpoint, and nothing changed
	for _, ep := range []struct{ method, path string }{{"POST", "/api/admin/customers/import"}, {"GET", "/api/admin/customers/stats"},
		{"POST", "/api/admin/customers/clear"}, {"POST", "/api/admin/fingerprints"}, {"GET", "/api/admin/fingerprints"}, {"POST", "/api/admin/scan"}} {
		if code := env.rawAPI(t, staff, ep.method, ep.path, gbk, nil); code != http.StatusForbidden {
			t.Errorf("staff token on %s %s: %d, want 403", ep.method, ep.path, code)
		}
	}
	if st, _ := env.d.DB.CustomerStats(); st.Entries != 0 {
		t.Errorf("a staff token imported a list: %+v", st)
	}
}

// TestAdminInspectBadInput checks the answers to unusable tables, columns and oversized bodies.
func TestAdminInspectBadInput(t *testing.T) {
	env := startEnv(t, nil, nil, nil)
	admin := env.adminToken(t)
	table := []byte("x\ty\tz\nACME GmbH\t13800138000\ta@acme.de\n")
	if code := env.rawAPI(t, admin, "POST", "/api/admin/customers/import", table, nil); code != http.StatusBadRequest {
		t.Errorf("unknown headers: %d, want 400", code)
	}
	var res customers.Result
	if code := env.rawAPI(t, admin, "POST", "/api/admin/customers/import?company=A&phone=2&email=z", table, &res); code != 200 || res.Added != 1 {
		t.Errorf("columns named: %d %+v", code, res)
	}
	if code := env.rawAPI(t, admin, "POST", "/api/admin/customers/import", []byte("PK\x03\x04 truncated"), nil); code != http.StatusUnprocessableEntity {
		t.Errorf("corrupt workbook: %d, want 422", code)
	}
	if code := env.rawAPI(t, admin, "POST", "/api/admin/customers/import", make([]byte, customers.MaxTableSize+1), nil); code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized table: %d, want 413", code)
	}
	if code := env.rawAPI(t, admin, "POST", "/api/admin/scan?dest=http://", []byte("hello"), nil); code != http.StatusBadRequest {
		t.Errorf("bad dest: %d, want 400", code)
	}
	if code := env.rawAPI(t, "slc_not-a-token", "GET", "/api/admin/customers/stats", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("bad token: %d, want 401", code)
	}
}

// TestAdminErrorsInCallersLanguage: every route answers errors in one shape, in the caller's language.
func TestAdminErrorsInCallersLanguage(t *testing.T) {
	env := startEnv(t, nil, nil, nil)
	admin := env.adminToken(t)
	for _, c := range []struct{ lang, want string }{{"zh-CN", "用户 zhangsan 已存在"}, {"en", "user zhangsan exists"}} {
		body, _ := json.Marshal(map[string]any{"name": "zhangsan", "staff_id": "B9"})
		req, _ := http.NewRequest("POST", "http://"+env.d.ConsoleAddr()+"/api/admin/users", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Accept-Language", c.lang)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e api.ErrorBody
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != http.StatusConflict || e.Error != "conflict" || !strings.HasPrefix(e.Message, c.want) || strings.Contains(e.Message, "sluice:") {
			t.Errorf("%s: %d %+v", c.lang, resp.StatusCode, e)
		}
	}
	if u, _ := env.d.DB.User("zhangsan"); u.StaffID != testUser.StaffID {
		t.Fatalf("an existing user was overwritten through the API: %+v", u)
	}
}
