package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// PAC returns a proxy auto-config script sending the watched hosts to proxyAddr, with no DIRECT
// fallback for them (if the proxy is down, uploads to them fail instead of leaving unchecked).
func (c *Catalog) PAC(proxyAddr string) []byte {
	var exact, suffix []string
	for _, p := range c.WatchedHosts() {
		if s, ok := strings.CutPrefix(p, "*."); ok {
			suffix = append(suffix, "."+s)
		} else {
			exact = append(exact, p)
		}
	}
	ej, _ := json.Marshal(exact)
	sj, _ := json.Marshal(suffix)
	var b bytes.Buffer
	fmt.Fprintf(&b, `// Sluice PAC: watched destinations go through the Sluice proxy, with no DIRECT fallback
// (if the proxy is down, uploads to them fail instead of leaving unchecked). Everything else is direct.
var exact = %s;
var suffix = %s;
function FindProxyForURL(url, host) {
  host = host.toLowerCase();
  for (var i = 0; i < exact.length; i++) { if (host === exact[i]) return "PROXY %s"; }
  for (var j = 0; j < suffix.length; j++) { if (dnsDomainIs(host, suffix[j])) return "PROXY %s"; }
  return "DIRECT";
}
`, ej, sj, proxyAddr, proxyAddr)
	return b.Bytes()
}
