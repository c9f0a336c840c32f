package policy

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-dlp/sluice/internal/testtool"
)

// pacEngine evaluates a PAC script in Node.js's JavaScript engine with the standard PAC helper
// functions (isPlainHostName, dnsDomainIs, isInNet without DNS) and returns FindProxyForURL per host.
const pacEngine = `
const vm = require("vm"), fs = require("fs");
const [pacFile, hostsFile] = process.argv.slice(2);
function ip2n(a) { return a.split(".").reduce((n, o) => n * 256 + (+o), 0); }
const sandbox = {
  isPlainHostName: h => h.indexOf(".") < 0,
  dnsDomainIs: (h, d) => h.length >= d.length && h.substring(h.length - d.length) === d,
  isInNet: (h, net, mask) => {
    if (!/^[0-9.]+$/.test(h)) throw new Error("isInNet would resolve " + h);
    return (ip2n(h) & ip2n(mask)) >>> 0 === (ip2n(net) & ip2n(mask)) >>> 0;
  },
  dnsResolve: h => { throw new Error("the PAC must not resolve " + h); },
};
vm.createContext(sandbox);
vm.runInContext(fs.readFileSync(pacFile, "utf8"), sandbox);
const out = {};
for (const h of JSON.parse(fs.readFileSync(hostsFile, "utf8"))) out[h] = sandbox.FindProxyForURL("https://" + h + "/", h);
process.stdout.write(JSON.stringify(out));
`

func evalPAC(t *testing.T, pac []byte, hosts []string) map[string]string {
	t.Helper()
	node := testtool.Require(t, "node")
	dir := t.TempDir()
	pacFile, hostsFile, engine := filepath.Join(dir, "proxy.pac"), filepath.Join(dir, "hosts.json"), filepath.Join(dir, "engine.js")
	hj, _ := json.Marshal(hosts)
	for f, data := range map[string][]byte{pacFile: pac, hostsFile: hj, engine: []byte(pacEngine)} {
		if err := os.WriteFile(f, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(node, engine, pacFile, hostsFile).CombinedOutput()
	if err != nil {
		t.Fatalf("PAC evaluation failed: %v\n%s", err, out)
	}
	got := map[string]string{}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("engine output: %v %s", err, out)
	}
	return got
}

func TestPACRoutesEachCase(t *testing.T) {
	const via = "PROXY 10.0.0.5:8080"
	cases := map[string]string{
		"pan.baidu.com": via, "c3.pcs.baidu.com": via, "pcs.baidu.com": via, "mail.qq.com": via, "chatgpt.com": via,
		"files.oaiusercontent.com": via, "bucket.oss-cn-beijing.aliyuncs.com": via, "docs.qq.com": via, "wetransfer.com": via,
		"files.example-transfer.net": via + "; DIRECT", "www.baidu.com": via + "; DIRECT", "8.8.8.8": via + "; DIRECT",
		"work.weixin.qq.com": "DIRECT", "oapi.dingtalk.com": "DIRECT", "exmail.qq.com": "DIRECT", "mail.acme.com.cn": "DIRECT",
		"ebank.icbc.com.cn": "DIRECT", "www.alipay.com": "DIRECT", "etax.chinatax.gov.cn": "DIRECT",
		"intranet": "DIRECT", "localhost": "DIRECT", "10.1.2.3": "DIRECT", "192.168.1.20": "DIRECT", "172.20.0.1": "DIRECT", "127.0.0.1": "DIRECT",
	}
	var hosts []string
	for h := range cases {
		hosts = append(hosts, h)
	}
	p, err := Parse("policy.yaml", []byte(strings.Replace(string(DefaultYAML()), "company_domains: []", "company_domains: [acme.com.cn]", 1)))
	if err != nil {
		t.Fatal(err)
	}
	got := evalPAC(t, p.Catalog().PAC("10.0.0.5:8080", p.PAC.Fallback), hosts)
	for h, want := range cases {
		if got[h] != want {
			t.Errorf("%s: %q, want %q", h, got[h], want)
		}
	}
	closed := evalPAC(t, p.Catalog().PAC("10.0.0.5:8080", "closed"), []string{"files.example-transfer.net", "pan.baidu.com"})
	if closed["files.example-transfer.net"] != via || closed["pan.baidu.com"] != via {
		t.Errorf("fallback closed: %v", closed)
	}
}
