package policy

import (
	"github.com/sluice-dlp/sluice/internal/l10n"
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
		"web.whatsapp.com": EncryptedChat, "oapi.dingtalk.com": Corporate, "www.baidu.com": Other, "qq.com": Other,
		// every upload host the issue names (#10), found in real clients' upload code
		"pcs.baidu.com": Netdisk, "photo.baidu.com": Netdisk, "www.123pan.com": Netdisk, "pc-api.uc.cn": Netdisk, "ul-zb.pds.uc.cn": Netdisk,
		"api.ilanzou.com": Netdisk, "upload.qiniup.com": ObjectStorage, "api-pan.xunlei.com": Netdisk, "api-drive.mypikpak.com": Netdisk,
		"yun.139.com": Netdisk, "www.terabox.com": Netdisk, "clients6.google.com": Netdisk, "graph.microsoft.com": Netdisk,
		"cs1.up.1drv.com": Netdisk, "upload.box.com": Netdisk, "api.pcloud.com": Netdisk, "g.api.mega.co.nz": Netdisk,
		"file.web.wechat.com": WebChat, "web2.wechat.com": WebChat,
		"bucket.oss-cn-shenzhen.aliyuncs.com": ObjectStorage, "ex-1250000000.cos.ap-shanghai.myqcloud.com": ObjectStorage,
		"b.s3.amazonaws.com": ObjectStorage, "acct.blob.core.windows.net": ObjectStorage, "storage.googleapis.com": ObjectStorage,
		"x.bj.bcebos.com": ObjectStorage, "cn-beijing-data.aliyundrive.net": Netdisk,
		"chatgpt.com": AIChat, "files.oaiusercontent.com": AIChat, "chat.deepseek.com": AIChat, "kimi.moonshot.cn": AIChat,
		"tongyi.aliyun.com": AIChat, "www.doubao.com": AIChat, "yiyan.baidu.com": AIChat, "yuanbao.tencent.com": AIChat,
		"chatglm.cn": AIChat, "claude.ai": AIChat, "gemini.google.com": AIChat, "copilot.microsoft.com": AIChat,
		"www.perplexity.ai": AIChat, "poe.com": AIChat, "content-push.googleapis.com": AIChat,
		"wetransfer.com": FileTransfer, "pastebin.com": FileTransfer, "gist.github.com": FileTransfer, "www.wenshushu.cn": FileTransfer,
		"docs.qq.com": OnlineDocs, "shimo.im": OnlineDocs, "www.yuque.com": OnlineDocs, "www.kdocs.cn": OnlineDocs,
		"acme.feishu.cn": OnlineDocs, "www.notion.so": OnlineDocs, "docs.google.com": OnlineDocs, "note.youdao.com": OnlineDocs, "www.evernote.com": OnlineDocs,
		// never decrypted
		"ebank.icbc.com.cn": Bypass, "www.alipay.com": Bypass, "etax.chinatax.gov.cn": Bypass, "www.12306.cn": Bypass,
		"intranet": Intranet, "localhost": Intranet, "10.1.2.3": Intranet, "192.168.1.1:8443": Intranet, "[::1]:443": Intranet,
		"8.8.8.8": Other, "files.example-transfer.net": Other,
	} {
		if got := c.Lookup(host, "").Category; got != want {
			t.Errorf("%s: %q, want %q", host, got, want)
		}
	}
	if d := c.Lookup("api.github.com", "/gists"); d.Category != FileTransfer {
		t.Errorf("gist API: %q", d.Category)
	}
	if d := c.Lookup("api.github.com", "/repos/x/y"); d.Category != Other {
		t.Errorf("other GitHub API: %q", d.Category)
	}
	if d := c.Lookup("g.api.mega.co.nz", ""); !d.Opaque {
		t.Error("MEGA is not marked as encrypting in the browser")
	}
	p, err := Parse("policy.yaml", []byte(strings.Replace(string(DefaultYAML()), "company_domains: []", "company_domains: [acme.com.cn, acme.feishu.cn]", 1)))
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]Category{"mail.acme.com.cn": Corporate, "acme.feishu.cn": Corporate, "other.feishu.cn": OnlineDocs} {
		if got := p.Catalog().Lookup(host, "").Category; got != want {
			t.Errorf("with company domains, %s: %q want %q", host, got, want)
		}
	}
	if p.Catalog().Intercept("mail.acme.com.cn") || !p.Catalog().Intercept("mail.163.com") || !p.Catalog().Intercept("files.example-transfer.net") ||
		p.Catalog().Intercept("ebank.icbc.com.cn") {
		t.Fatal("intercept decision wrong")
	}
}

func TestBypassAndPACSections(t *testing.T) {
	base := string(DefaultYAML())
	custom := strings.Replace(base, "  hosts: []\n#    - host", "  hosts:\n    - host: \"*.example-bank.com\"\n      reason: 网银\n#    - host", 1)
	custom = strings.Replace(custom, "groups: [banking, payment, health, government, client_cert]", "groups: [banking]", 1)
	custom = strings.Replace(custom, "fallback: direct", "fallback: closed", 1)
	p, err := Parse("policy.yaml", []byte(custom))
	if err != nil {
		t.Fatal(err)
	}
	c := p.Catalog()
	for host, want := range map[string]Category{"www.example-bank.com": Bypass, "ebank.icbc.com.cn": Bypass, "www.alipay.com": Other, "www.12306.cn": Other} {
		if got := c.Lookup(host, "").Category; got != want {
			t.Errorf("%s: %q want %q", host, got, want)
		}
	}
	if p.PAC.Fallback != "closed" || Default().PAC.Fallback != "direct" {
		t.Fatalf("pac.fallback: %q / default %q", p.PAC.Fallback, Default().PAC.Fallback)
	}
}

func TestOlderPolicyGetsTheNewRowsFromTheDefault(t *testing.T) {
	base := string(DefaultYAML())
	i := strings.Index(base, "  ai_chat:")
	j := strings.Index(base, "  encrypted_chat:")
	old := base[:i] + base[j:]
	p, err := Parse("old.yaml", []byte(old))
	if err != nil {
		t.Fatal(err)
	}
	if p.Rules[AIChat] != Default().Rules[AIChat] || len(p.Notes("en")) != 4 || !strings.Contains(p.Notes("zh-CN")[0], "采用内置默认值") {
		t.Fatalf("missing rows not filled from the default: %+v %v", p.Rules[AIChat], p.Notes("en"))
	}
}

func TestPolicyValidationNamesFileLineAndValue(t *testing.T) {
	base := string(DefaultYAML())
	cases := map[string]struct{ from, to, want string }{
		"bad action":                          {"    pdf_or_image: watermark\n    other_file: allow\n    sensitive_message: block", "    pdf_or_image: watermak\n    other_file: allow\n    sensitive_message: block", `"watermak"`},
		"unknown key":                         {"version: 1", "version: 1\nverbose: true", "verbose"},
		"uninspectable allowed":               {"    uninspectable: approval\n    unmarkable: approval\n    integrity_checked: approval\n  webchat:", "    uninspectable: allow\n    unmarkable: approval\n    integrity_checked: approval\n  webchat:", "uninspectable"},
		"bad version":                         {"version: 1", "version: 2", "version 2"},
		"bad alert":                           {"alerts: []", "alerts:\n  - type: pager\n    url: https://x", `"pager"`},
		"bad origin":                          {"  - chrome-extension://hhmdcaggkijegbkceamalgkfeehfdjlg", "  - http://evil", "chrome-extension://"},
		"template typo":                       {`template: "{name} · {staff_id} · {time}"`, `template: "{name} · {staffid}"`, "{staffid}"},
		"template names nobody":               {`template: "{name} · {staff_id} · {time}"`, `template: "机密 {time}"`, "names nobody"},
		"unknown category":                    {"  other:              #", "  others:             #", `"others"`},
		"unknown bypass group":                {"groups: [banking,", "groups: [bankng,", `"bankng"`},
		"bad bypass host":                     {"  hosts: []\n#    - host", "  hosts:\n    - host: \"https://bank.example/\"\n      reason: x\n#    - host", "https://bank.example/"},
		"bypass without reason":               {"  hosts: []\n#    - host", "  hosts:\n    - host: bank.example.com\n#    - host", "needs a reason"},
		"bypass of corporate":                 {"  hosts: []\n#    - host", "  hosts:\n    - host: oapi.dingtalk.com\n      reason: x\n#    - host", "corporate channel"},
		"bad pac fallback":                    {"fallback: direct", "fallback: maybe", `"maybe"`},
		"other category entry":                {"extra_destinations: []", "extra_destinations:\n  - name: x\n    category: other\n    hosts: [x.example.com]", "category other"},
		"uninspectable allowed outside other": {"    uninspectable: approval\n    unmarkable: approval\n    integrity_checked: approval\n  netdisk:", "    uninspectable: allow\n    unmarkable: approval\n    integrity_checked: approval\n  netdisk:", "uninspectable"},
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
			if zh := l10n.Text(err, l10n.ZH); !strings.Contains(zh, "第") {
				t.Errorf("no Chinese message: %s", zh)
			}
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

// split returns n csv results with the same findings each (a list cut into pieces).
func split(n int, findings map[string]int) []*inspect.Result {
	var out []*inspect.Result
	for range n {
		out = append(out, result("csv", findings))
	}
	return out
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
		{"customer file to an AI chat", "chatgpt.com", []*inspect.Result{result("xlsx", customers)}, nil, false, Block},
		{"customer numbers pasted into an AI chat", "chat.deepseek.com", nil, []*inspect.Result{result("txt", map[string]int{inspect.KindPhone: 5})}, false, Block},
		{"harmless pdf to an AI chat", "kimi.moonshot.cn", []*inspect.Result{result("pdf", nil)}, nil, false, Allow},
		{"customer list to a file transfer site", "wetransfer.com", []*inspect.Result{result("csv", customers)}, nil, false, Block},
		{"harmless file to a file transfer site", "www.wenshushu.cn", []*inspect.Result{result("zip", nil)}, nil, false, Approval},
		{"customer list to online docs", "docs.qq.com", []*inspect.Result{result("xlsx", customers)}, nil, false, Approval},
		{"customer list to object storage", "b.oss-cn-hangzhou.aliyuncs.com", []*inspect.Result{result("xlsx", customers)}, nil, false, Block},
		{"customer list to an unknown site", "files.example-transfer.net", []*inspect.Result{result("xlsx", customers)}, nil, false, Approval},
		{"customer numbers in a message to an unknown site", "forum.example.com", nil, []*inspect.Result{result("txt", map[string]int{inspect.KindPhone: 5})}, false, Block},
		{"harmless pdf to an unknown site: no watermark", "files.example-transfer.net", []*inspect.Result{result("pdf", nil)}, nil, false, Allow},
		{"anything to MEGA (encrypted in the browser)", "g.api.mega.co.nz", []*inspect.Result{result("bin", nil)}, nil, false, Approval},
		{"a list split into five files of 8 rows, to webmail", "mail.163.com", split(5, map[string]int{inspect.KindContactRecord: 8, inspect.KindPhone: 8}), nil, false, Approval},
		{"a list split into five files of 8 rows, to a netdisk", "pan.baidu.com", split(5, map[string]int{inspect.KindContactRecord: 8, inspect.KindPhone: 8}), nil, false, Block},
		{"two files, 1 phone each, to webmail", "mail.163.com", split(2, map[string]int{inspect.KindPhone: 1}), nil, false, Allow},
		{"a file of 9 contact records and a mail body of 1", "mail.163.com", split(1, map[string]int{inspect.KindContactRecord: 9}),
			[]*inspect.Result{result("txt", map[string]int{inspect.KindContactRecord: 1})}, false, Approval},
		{"customer list to online banking (never decrypted)", "ebank.icbc.com.cn", []*inspect.Result{result("xlsx", customers)}, nil, false, Allow},
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
