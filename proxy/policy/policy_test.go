package policy

import (
	"strings"
	"testing"

	"github.com/sluice-dlp/sluice/proxy/inspect"
)

func TestCatalogLookup(t *testing.T) {
	c := Default().Catalog()
	for host, want := range map[string]Category{
		"mail.qq.com": Webmail, "MAIL.QQ.COM:443": Webmail, "exmail.qq.com": Corporate, "work.weixin.qq.com": Corporate,
		"pan.baidu.com": Netdisk, "c3.pcs.baidu.com": Netdisk, "www.aliyundrive.com": Netdisk, "wx2.qq.com": WebChat,
		"file.wx2.qq.com": WebChat, "filehelper.weixin.qq.com": WebChat, "web.telegram.org": EncryptedChat,
		"web.whatsapp.com": EncryptedChat, "oapi.dingtalk.com": Corporate, "www.baidu.com": Unwatched, "qq.com": Unwatched,
	} {
		if got := c.Lookup(host, "/").Category; got != want {
			t.Errorf("%s: %q, want %q", host, got, want)
		}
	}
	p, err := Parse("policy.yaml", []byte(strings.Replace(string(DefaultYAML()), "company_domains: []", "company_domains: [acme.com.cn]", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Catalog().Lookup("mail.acme.com.cn", "").Category; got != Corporate {
		t.Fatalf("company domain: %q", got)
	}
	if p.Catalog().Intercept("mail.acme.com.cn") || !p.Catalog().Intercept("mail.163.com") {
		t.Fatal("intercept decision wrong")
	}
}

func TestPolicyValidationNamesFileLineAndValue(t *testing.T) {
	base := string(DefaultYAML())
	cases := map[string]struct{ from, to, want string }{
		"bad action":            {"    pdf_or_image: watermark\n    other_file: allow\n    sensitive_message: block", "    pdf_or_image: watermak\n    other_file: allow\n    sensitive_message: block", `"watermak"`},
		"unknown key":           {"version: 1", "version: 1\nverbose: true", "verbose"},
		"uninspectable allowed": {"    uninspectable: approval\n    unmarkable: approval\n    integrity_checked: approval\n  webchat:", "    uninspectable: allow\n    unmarkable: approval\n    integrity_checked: approval\n  webchat:", "uninspectable"},
		"bad version":           {"version: 1", "version: 2", "version 2"},
		"bad alert":             {"alerts: []", "alerts:\n  - type: pager\n    url: https://x", `"pager"`},
		"bad origin":            {"  - chrome-extension://hhmdcaggkijegbkceamalgkfeehfdjlg", "  - http://evil", "chrome-extension://"},
		"template typo":         {`template: "{name} · {staff_id} · {time}"`, `template: "{name} · {staffid}"`, "{staffid}"},
		"template names nobody": {`template: "{name} · {staff_id} · {time}"`, `template: "机密 {time}"`, "names nobody"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			src := strings.Replace(base, tc.from, tc.to, 1)
			if src == base {
				t.Fatalf("test edit did not apply")
			}
			_, err := Parse("/etc/sluice/policy.yaml", []byte(src))
			if err == nil {
				t.Fatal("invalid policy accepted")
			}
			msg := err.Error()
			if !strings.Contains(msg, "/etc/sluice/policy.yaml") || !strings.Contains(msg, "line ") || !strings.Contains(msg, tc.want) {
				t.Fatalf("error lacks file, line or value %s: %s", tc.want, msg)
			}
		})
	}
}

func result(typ string, counts map[string]int) *inspect.Result {
	r := &inspect.Result{Type: typ}
	for k, n := range counts {
		r.Findings = append(r.Findings, inspect.Finding{Kind: k, Count: n})
	}
	return r
}

func TestDecideDefaultPolicy(t *testing.T) {
	p := Default()
	c := p.Catalog()
	customers := map[string]int{inspect.KindCustomer: 5}
	cases := []struct {
		name      string
		host      string
		files     []*inspect.Result
		msgs      []*inspect.Result
		integrity bool
		want      Verdict
	}{
		{"customer xlsx to netdisk", "pan.baidu.com", []*inspect.Result{result("xlsx", customers)}, nil, false, Block},
		{"harmless docx to netdisk", "pan.baidu.com", []*inspect.Result{result("docx", nil)}, nil, false, Approval},
		{"customer xlsx to webmail", "mail.qq.com", []*inspect.Result{result("xlsx", customers)}, nil, false, Approval},
		{"harmless pdf to webmail", "mail.qq.com", []*inspect.Result{result("pdf", nil)}, nil, false, Watermark},
		{"harmless jpeg to webchat", "file.wx2.qq.com", []*inspect.Result{result("jpeg", nil)}, nil, false, Watermark},
		{"harmless docx to webmail", "mail.163.com", []*inspect.Result{result("docx", nil)}, nil, false, Allow},
		{"pdf with declared md5", "mail.qq.com", []*inspect.Result{result("pdf", nil)}, nil, true, Approval},
		{"encrypted zip to webmail", "mail.qq.com", []*inspect.Result{result("zip", map[string]int{inspect.KindEncrypted: 1})}, nil, false, Approval},
		{"ID number message to webchat", "wx.qq.com", nil, []*inspect.Result{result("txt", map[string]int{inspect.KindIDNumber: 1})}, false, Block},
		{"3 phones in a message", "wx.qq.com", nil, []*inspect.Result{result("txt", map[string]int{inspect.KindPhone: 3})}, false, Block},
		{"1 phone in a message", "wx.qq.com", nil, []*inspect.Result{result("txt", map[string]int{inspect.KindPhone: 1})}, false, Allow},
		{"any upload to telegram", "web.telegram.org", []*inspect.Result{result("jpeg", nil)}, nil, false, Block},
		{"customer list to corporate", "work.weixin.qq.com", []*inspect.Result{result("xlsx", customers)}, nil, false, Allow},
		{"mixed: strictest wins", "mail.qq.com", []*inspect.Result{result("pdf", nil), result("xlsx", customers)}, nil, false, Approval},
	}
	for _, tc := range cases {
		d := p.Decide(Input{User: "zhangsan", Dest: c.Lookup(tc.host, "/upload"), Results: tc.files, Messages: tc.msgs, Integrity: tc.integrity})
		if d.Verdict != tc.want {
			t.Errorf("%s: %s (%v), want %s", tc.name, d.Verdict, d.Texts("en"), tc.want)
		}
		if tc.want != Allow && len(d.Reasons) == 0 {
			t.Errorf("%s: no reasons", tc.name)
		}
		for _, r := range d.Reasons {
			if r.ZH == "" || r.EN == "" {
				t.Errorf("%s: reason %q lacks a language", tc.name, r.Code)
			}
		}
	}
}
