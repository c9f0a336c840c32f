package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// pacCode is what the PAC file does with a host pattern: P through Sluice with no fallback (a personal
// channel), D direct (corporate, bypass). Every other host goes through Sluice, falling back per policy.
const (
	pacPersonal = "P"
	pacDirect   = "D"
)

// pacTables returns the exact-name and suffix tables of the PAC file, decided as Lookup decides.
func (c *Catalog) pacTables() (exact, suffix map[string]string) {
	code := func(es []entry) string {
		s := c.pick(es, "/")
		if s == nil {
			return ""
		}
		switch {
		case neverDecrypted(s.Category):
			return pacDirect
		case slices.Contains(personal, s.Category) && len(s.Paths) == 0:
			return pacPersonal
		}
		return ""
	}
	exact, suffix = map[string]string{}, map[string]string{}
	for h, es := range c.exact {
		if v := code(es); v != "" {
			exact[h] = v
		}
	}
	for h, es := range c.suffix {
		if v := code(es); v != "" {
			suffix[h] = v
		}
	}
	return exact, suffix
}

// PAC returns the proxy auto-config script for proxyAddr. Personal channels go to Sluice with no DIRECT
// fallback (if Sluice is down, uploads to them fail instead of leaving unchecked); corporate channels, the
// bypass list, plain host names and private or loopback addresses go direct; every other site goes to
// Sluice, falling back to DIRECT only when fallback is "direct".
func (c *Catalog) PAC(proxyAddr, fallback string) []byte {
	exact, suffix := c.pacTables()
	ej, _ := json.Marshal(exact)
	sj, _ := json.Marshal(suffix)
	other := fmt.Sprintf("PROXY %s", proxyAddr)
	if fallback != "closed" {
		other += "; DIRECT"
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `// Sluice PAC. Personal channels (webmail, netdisks, web and AI chat, file transfer, online docs, object
// storage) go through Sluice with no DIRECT fallback: if Sluice is down, uploads to them fail instead of
// leaving unchecked. Corporate channels, the bypass list (banking, payment, health, government, client
// certificates), plain host names and private addresses go direct. Every other site goes through Sluice
// (pac.fallback: %s).
var exact = %s;
var suffix = %s;
var viaSluice = "PROXY %s";
var otherSites = %q;
function sluiceCode(host) {
  if (Object.prototype.hasOwnProperty.call(exact, host)) return exact[host];
  var rest = host;
  for (var i = rest.indexOf("."); i >= 0; i = rest.indexOf(".")) {
    rest = rest.substring(i + 1);
    if (Object.prototype.hasOwnProperty.call(suffix, rest)) return suffix[rest];
  }
  return "";
}
function privateAddress(host) {
  if (/^[0-9.]+$/.test(host)) {
    return isInNet(host, "10.0.0.0", "255.0.0.0") || isInNet(host, "172.16.0.0", "255.240.0.0") ||
      isInNet(host, "192.168.0.0", "255.255.0.0") || isInNet(host, "127.0.0.0", "255.0.0.0") ||
      isInNet(host, "169.254.0.0", "255.255.0.0") || host === "0.0.0.0";
  }
  if (host.indexOf(":") >= 0) {
    var h = host.replace(/^\[|\]$/g, "");
    return h === "::1" || /^f[cd]/.test(h) || /^fe[89ab]/.test(h);
  }
  return false;
}
function FindProxyForURL(url, host) {
  host = host.toLowerCase().replace(/\.$/, "");
  if (isPlainHostName(host) || host === "localhost" || privateAddress(host)) return "DIRECT";
  var code = sluiceCode(host);
  if (code === "D") return "DIRECT";
  if (code === "P") return viaSluice;
  return otherSites;
}
`, fallback, ej, sj, proxyAddr, other)
	return b.Bytes()
}
