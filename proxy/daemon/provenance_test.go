package daemon

import (
	"bytes"
	"fmt"
	"math/rand"
	"net/http"
	"net/url"
	"testing"

	"github.com/sluice-dlp/sluice/internal/api"
	"github.com/sluice-dlp/sluice/internal/customers"
	"github.com/sluice-dlp/sluice/internal/fixture"
	"github.com/sluice-dlp/sluice/store"
)

// TestWhoSentTheseCustomers: three reps send overlapping parts of the customer list (as xlsx, csv and
// docx) through the proxy; a leaked copy made from one rep's part — rows shuffled, a column dropped,
// saved as a new workbook, or pasted as text — is traced to that rep first, with the overlap; a list
// of unknown people traces to nobody.
func TestWhoSentTheseCustomers(t *testing.T) {
	up := newUpstream(t, 1<<20)
	env, addr := sharedEnv(t, up, watched)
	admin := env.adminToken(t)
	list := fixture.Customers(120, 11)
	var res customers.Result
	if code := env.rawAPI(t, admin, "POST", "/api/admin/customers/import?name=list.csv", fixture.CSV(list), &res); code != 200 || res.Added != 120 {
		t.Fatalf("import: %d %+v", code, res)
	}
	pw, _ := store.HashPassword("secret-password")
	for _, u := range []*store.User{
		{Name: "zhaoliu", DisplayName: "赵六", StaffID: "A1031", Lead: "lisi", Head: "wangwu", Roles: []string{store.RoleStaff}, PasswordHash: pw},
		{Name: "sunqi", DisplayName: "孙七", StaffID: "A1045", Lead: "lisi", Head: "wangwu", Roles: []string{store.RoleStaff}, PasswordHash: pw},
	} {
		if err := env.d.DB.CreateUser("test", u); err != nil {
			t.Fatal(err)
		}
	}
	asUser := func(name string) *http.Client {
		c := sharedClient(env, addr, up)
		c.Transport.(*http.Transport).Proxy = http.ProxyURL(mustURL(t, "http://"+name+":secret-password@"+addr))
		return c
	}
	rows := func(cs []fixture.Customer) [][]string {
		var out [][]string
		for _, c := range cs {
			out = append(out, []string{c.Company, c.Contact, c.Mobile})
		}
		return out
	}
	sends := []struct {
		user, url, name string
		data            []byte
	}{
		{"zhangsan", "https://pan.baidu.com/upload", "客户A.xlsx", fixture.XLSX(list[0:60])},
		{"zhaoliu", "https://mail.qq.com/cgi-bin/upload", "客户B.csv", fixture.CSV(list[40:100])},
		{"sunqi", "https://mail.163.com/upload", "客户C.docx", fixture.DOCX([]string{"客户拜访记录"}, rows(list[80:120]))},
	}
	for _, s := range sends {
		buf, ct := multipartUpload(t, s.name, s.data)
		req, _ := http.NewRequest("POST", s.url, buf)
		req.Header.Set("Content-Type", ct)
		resp, err := asUser(s.user).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("%s's part of the list: %d", s.user, resp.StatusCode)
		}
	}
	trace := func(data []byte) api.Trace {
		var out api.Trace
		if code := env.rawAPI(t, admin, "POST", "/api/admin/trace", data, &out); code != 200 {
			t.Fatalf("trace: %d", code)
		}
		return out
	}
	leaked := append([]fixture.Customer(nil), list[40:100]...)
	rand.New(rand.NewSource(3)).Shuffle(len(leaked), func(i, j int) { leaked[i], leaked[j] = leaked[j], leaked[i] })
	var txt bytes.Buffer
	for _, c := range leaked {
		fmt.Fprintf(&txt, "%s  %s  %s\n", c.Company, c.Contact, c.Mobile)
	}
	noEmail := make([]fixture.Customer, len(leaked))
	for i, c := range leaked {
		noEmail[i] = fixture.Customer{Company: c.Company, Contact: c.Contact, Mobile: c.Mobile}
	}
	for what, data := range map[string][]byte{"a new workbook, rows shuffled, e-mail dropped": fixture.XLSX(noEmail), "pasted as text": txt.Bytes()} {
		tr := trace(data)
		if tr.Found || tr.Provenance == nil || len(tr.Provenance.Matches) == 0 {
			t.Fatalf("%s: %+v", what, tr)
		}
		best := tr.Provenance.Matches[0]
		if best.User != "zhaoliu" || best.Overlap < 55 || best.StaffID != "A1031" || best.FileName != "客户B.csv" {
			t.Errorf("%s: traced to %+v (of %d customers)", what, best, tr.Provenance.Customers)
		}
		for _, m := range tr.Provenance.Matches[1:] {
			if m.Overlap >= best.Overlap {
				t.Errorf("%s: %s ties with the sender: %+v", what, m.User, m)
			}
		}
	}
	var strangers []fixture.Customer
	for i := range 60 {
		strangers = append(strangers, fixture.Customer{Company: fmt.Sprintf("乌鲁木齐天山第%d精密仪器研究所", i), Contact: "欧阳" + string(rune('甲'+i%10)),
			Mobile: fmt.Sprintf("199%08d", 31415926+i*271), Email: fmt.Sprintf("x%d@stranger.example", i)})
	}
	if tr := trace(fixture.XLSX(strangers)); tr.Provenance == nil || tr.Provenance.Customers != 0 || len(tr.Provenance.Matches) != 0 {
		t.Errorf("a list of unknown people: %+v", tr.Provenance)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
