// Package deploy writes the enterprise policy files that roll Sluice out to managed browsers (Chrome and
// Edge on Windows, macOS and Linux; Firefox everywhere): the proxy through the PAC file with no direct
// fallback, the settings locked, the companion extension force-installed and configured through managed
// storage, and the Sluice CA where the browser takes one by policy. It also packs the extension (CRX3, XPI).
package deploy

import (
	"crypto/sha256"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/sluice-dlp/sluice/internal/l10n"
)

// Options say what the policies point browsers at.
type Options struct {
	ConsoleURL  string // the console as staff reach it, e.g. http://sluice.corp.example:8081
	PACURL      string // PAC file URL (default ConsoleURL + /proxy.pac); ignored when Proxy is set
	Proxy       string // HOST:PORT of a fixed proxy instead of the PAC file
	ExtensionID string // Chrome/Edge id of the packed extension
	UpdateURL   string // Chrome/Edge update manifest (default ConsoleURL + /extension/updates.xml)
	XPIURL      string // Firefox package (default ConsoleURL + /extension/sluice.xpi)
	CACert      []byte // DER of the Sluice root CA
	NoPairing   bool   // leave the token field in the extension instead of the one-time pairing code
}

// File names the generator writes under the output directory.
const (
	LinuxChrome   = "linux/etc/opt/chrome/policies/managed/sluice.json"
	LinuxChromium = "linux/etc/chromium/policies/managed/sluice.json"
	LinuxEdge     = "linux/etc/opt/edge/policies/managed/sluice.json"
	WinChrome     = "windows/sluice-chrome.reg"
	WinEdge       = "windows/sluice-edge.reg"
	WinCA         = "windows/sluice-ca.crt"
	WinCAScript   = "windows/install-ca.cmd"
	MacProfile    = "macos/sluice.mobileconfig"
	FirefoxPolicy = "firefox/distribution/policies.json"
	FirefoxCA     = "firefox/distribution/certificates/sluice-ca.crt"
	ReadmeFile    = "README.txt"
)

// CAFileName is the name the Firefox policy installs the CA under (distribution/certificates/).
const CAFileName = "sluice-ca.crt"

// check fills the defaults and refuses options a browser would not accept.
func (o *Options) check() error {
	u, err := url.Parse(o.ConsoleURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return l10n.Errorf(l10n.Invalid, "控制台地址 %q 无效；请用 --console 给出员工访问控制台的网址，如 http://sluice.corp.example:8081",
			"console URL %q is not valid; pass --console with the URL staff reach the console at, e.g. http://sluice.corp.example:8081", o.ConsoleURL)
	}
	o.ConsoleURL = strings.TrimRight(o.ConsoleURL, "/")
	if o.Proxy != "" {
		if _, port, err := net.SplitHostPort(o.Proxy); err != nil || port == "" {
			return l10n.Errorf(l10n.Invalid, "--proxy %q 应为 HOST:PORT，如 sluice.corp.example:8080", "--proxy %q must be HOST:PORT, e.g. sluice.corp.example:8080", o.Proxy)
		}
		o.PACURL = ""
	} else if o.PACURL == "" {
		o.PACURL = o.ConsoleURL + "/proxy.pac"
	}
	if o.PACURL != "" {
		if p, err := url.Parse(o.PACURL); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return l10n.Errorf(l10n.Invalid, "--pac %q 不是 http(s) 网址", "--pac %q is not an http(s) URL", o.PACURL)
		}
	}
	if len(o.ExtensionID) != 32 || strings.Trim(o.ExtensionID, "abcdefghijklmnop") != "" {
		return l10n.Errorf(l10n.Invalid, "扩展 ID %q 应为 32 个 a–p 字母", "extension id %q must be 32 letters a–p", o.ExtensionID)
	}
	if o.UpdateURL == "" {
		o.UpdateURL = o.ConsoleURL + "/extension/updates.xml"
	}
	if o.XPIURL == "" {
		o.XPIURL = o.ConsoleURL + "/extension/sluice.xpi"
	}
	return nil
}

// managedConfig is what the extension reads from chrome.storage.managed (see extension/schema.json).
func (o *Options) managedConfig() map[string]any {
	return map[string]any{"consoleUrl": o.ConsoleURL, "pairing": !o.NoPairing}
}

// Write generates every policy file under dir and returns the paths written, relative to dir.
func Write(dir string, o Options) ([]string, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	chrome, edge := chromePolicy(&o, false), chromePolicy(&o, true)
	linuxChrome, err := linuxJSON(&o, chrome)
	if err != nil {
		return nil, err
	}
	linuxEdge, err := linuxJSON(&o, edge)
	if err != nil {
		return nil, err
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: o.CACert})
	ff, err := json.MarshalIndent(map[string]any{"policies": firefoxPolicy(&o)}, "", "  ")
	if err != nil {
		return nil, err
	}
	files := []struct {
		name string
		data []byte
	}{
		{LinuxChrome, linuxChrome},
		{LinuxChromium, linuxChrome},
		{LinuxEdge, linuxEdge},
		{WinChrome, regFile(`SOFTWARE\Policies\Google\Chrome`, chrome, o.ExtensionID, o.managedConfig())},
		{WinEdge, regFile(`SOFTWARE\Policies\Microsoft\Edge`, edge, o.ExtensionID, o.managedConfig())},
		{WinCA, o.CACert},
		{WinCAScript, []byte(winCAScript)},
		{MacProfile, mobileconfig(&o, chrome, edge)},
		{FirefoxPolicy, append(ff, '\n')},
		{FirefoxCA, caPEM},
		{ReadmeFile, []byte(readme(&o))},
	}
	var out []string
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return out, l10n.Wrap(err, l10n.Internal, "无法创建目录 %s；请用 --out 换一个", "cannot create %s; choose another --out", filepath.Dir(p))
		}
		if err := os.WriteFile(p, f.data, 0o644); err != nil {
			return out, l10n.Wrap(err, l10n.Internal, "无法写入 %s", "cannot write %s", p)
		}
		out = append(out, f.name)
	}
	return out, nil
}

// chromePolicy is the Chrome (or Edge) policy dictionary shared by the Linux JSON, the registry and the
// macOS profile: proxy, force-installed and pinned extension. Mandatory policies cannot be changed by the user.
func chromePolicy(o *Options, edge bool) map[string]any {
	proxy := map[string]any{"ProxyMode": "pac_script", "ProxyPacUrl": o.PACURL, "ProxyPacMandatory": true}
	if o.Proxy != "" {
		proxy = map[string]any{"ProxyMode": "fixed_servers", "ProxyServer": o.Proxy, "ProxyBypassList": "<local>"}
	}
	ext := map[string]any{"installation_mode": "force_installed", "update_url": o.UpdateURL, "override_update_url": true}
	if edge {
		ext["toolbar_state"] = "force_shown"
	} else {
		ext["toolbar_pin"] = "force_pinned"
	}
	return map[string]any{
		"ProxySettings":             proxy,
		"ExtensionInstallForcelist": []any{o.ExtensionID + ";" + o.UpdateURL},
		"ExtensionSettings":         map[string]any{o.ExtensionID: ext},
	}
}

// linuxJSON is the policy file for /etc/opt/chrome, /etc/chromium or /etc/opt/edge policies/managed, with
// the extension's managed storage under "3rdparty".
func linuxJSON(o *Options, p map[string]any) ([]byte, error) {
	m := clone(p)
	m["3rdparty"] = map[string]any{"extensions": map[string]any{o.ExtensionID: o.managedConfig()}}
	b, err := json.MarshalIndent(m, "", "  ")
	return append(b, '\n'), err
}

// firefoxPolicy is policies.json's "policies": proxy locked (no failover to direct), the CA installed
// from distribution/certificates, the extension force-installed from the console, its managed storage.
func firefoxPolicy(o *Options) map[string]any {
	proxy := map[string]any{"Mode": "autoConfig", "AutoConfigURL": o.PACURL, "Locked": true}
	if o.Proxy != "" {
		proxy = map[string]any{"Mode": "manual", "HTTPProxy": o.Proxy, "SSLProxy": o.Proxy, "UseHTTPProxyForAllProtocols": true,
			"Passthrough": "localhost, 127.0.0.1", "Locked": true}
	}
	locked := func(v any) map[string]any { return map[string]any{"Value": v, "Status": "locked"} }
	return map[string]any{
		"Proxy":        proxy,
		"Certificates": map[string]any{"ImportEnterpriseRoots": true, "Install": []any{CAFileName}},
		"ExtensionSettings": map[string]any{GeckoID: map[string]any{"installation_mode": "force_installed",
			"install_url": o.XPIURL, "default_area": "navbar"}},
		"3rdparty": map[string]any{"Extensions": map[string]any{GeckoID: o.managedConfig()}},
		"Preferences": map[string]any{
			// a fixed moz-extension:// origin on new profiles, which the daemon's extension_origins can name
			"extensions.webextensions.uuids": map[string]any{"Value": `{"` + GeckoID + `":"` + FirefoxUUID(o.ExtensionID) + `"}`, "Status": "default"},
			// no direct connection when the proxy cannot be reached
			"network.proxy.failover_direct": locked(false),
			// the console's XPI is not signed by Mozilla: Firefox ESR (and Developer Edition) accept it with this
			"xpinstall.signatures.required": locked(false),
		},
	}
}

// FirefoxUUID is the moz-extension:// host the Firefox policy gives the extension on new profiles,
// derived from the Chrome id so that one installation always uses the same one.
func FirefoxUUID(extID string) string {
	s := sha256.Sum256([]byte("sluice firefox origin|" + extID))
	s[6] = s[6]&0x0f | 0x40
	s[8] = s[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
}

const winCAScript = "@echo off\r\n" +
	"rem Sluice: trust the Sluice root CA for every user of this PC (Chrome, Edge and, with\r\n" +
	"rem ImportEnterpriseRoots, Firefox use the Windows store). Run as administrator, or push\r\n" +
	"rem sluice-ca.crt by Group Policy: Computer Configuration > Policies > Windows Settings >\r\n" +
	"rem Security Settings > Public Key Policies > Trusted Root Certification Authorities.\r\n" +
	"certutil -addstore -f Root \"%~dp0sluice-ca.crt\"\r\n"
