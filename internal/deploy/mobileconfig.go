package deploy

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
)

// mobileconfig is the macOS configuration profile for an MDM (or a double-click on a test Mac): the CA
// as a trusted root, Chrome and Edge policies with the extension's managed storage, and Firefox's
// policies (which trust the macOS store through ImportEnterpriseRoots).
func mobileconfig(o *Options, chrome, edge map[string]any) []byte {
	ff := firefoxPolicy(o)
	ff["Certificates"] = map[string]any{"ImportEnterpriseRoots": true} // the root payload puts the CA in the macOS store
	ff["EnterprisePoliciesEnabled"] = true
	payloads := []any{
		payload(o, "com.apple.security.root", "ca", "Sluice 根证书 / Sluice root CA", map[string]any{
			"PayloadContent": o.CACert, "PayloadCertificateFileName": CAFileName}),
		payload(o, "com.google.Chrome", "chrome", "Chrome", chrome),
		payload(o, "com.google.Chrome.extensions."+o.ExtensionID, "chrome-ext", "Sluice (Chrome)", o.managedConfig()),
		payload(o, "com.microsoft.Edge", "edge", "Microsoft Edge", edge),
		payload(o, "com.microsoft.Edge.extensions."+o.ExtensionID, "edge-ext", "Sluice (Edge)", o.managedConfig()),
		payload(o, "org.mozilla.firefox", "firefox", "Firefox", ff),
	}
	top := map[string]any{
		"PayloadType":        "Configuration",
		"PayloadVersion":     1,
		"PayloadIdentifier":  "io.sluice-dlp.browser-policy",
		"PayloadUUID":        uuidFor(o, "profile"),
		"PayloadDisplayName": "Sluice 浏览器策略 / Sluice browser policy",
		"PayloadDescription": "代理（PAC，无直连回退）、根证书和 Sluice 扩展 / Proxy (PAC, no direct fallback), root CA and the Sluice extension: " + o.ConsoleURL,
		"PayloadScope":       "System",
		"PayloadContent":     payloads,
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">` + "\n")
	b.WriteString(`<plist version="1.0">` + "\n")
	plistValue(&b, top, 0)
	b.WriteString("</plist>\n")
	return []byte(b.String())
}

// payload is one entry of PayloadContent: the settings plus the identifying keys every payload needs.
func payload(o *Options, typ, name, display string, settings map[string]any) map[string]any {
	p := clone(settings)
	p["PayloadType"] = typ
	p["PayloadVersion"] = 1
	p["PayloadIdentifier"] = "io.sluice-dlp.browser-policy." + name
	p["PayloadUUID"] = uuidFor(o, name)
	p["PayloadDisplayName"] = display
	return p
}

// uuidFor derives a stable UUID from the console and extension, so a regenerated profile replaces the old one.
func uuidFor(o *Options, name string) string {
	s := sha256.Sum256([]byte(o.ConsoleURL + "|" + o.ExtensionID + "|" + name))
	s[6] = s[6]&0x0f | 0x50 // version 5 layout (name-based, SHA)
	s[8] = s[8]&0x3f | 0x80
	return fmt.Sprintf("%X-%X-%X-%X-%X", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
}

// plistValue writes v as an XML property list value.
func plistValue(b *strings.Builder, v any, depth int) {
	ind := strings.Repeat("  ", depth)
	switch x := v.(type) {
	case map[string]any:
		b.WriteString(ind + "<dict>\n")
		for _, k := range sortedKeys(x) {
			b.WriteString(ind + "  <key>" + xmlText(k) + "</key>\n")
			plistValue(b, x[k], depth+1)
		}
		b.WriteString(ind + "</dict>\n")
	case []any:
		b.WriteString(ind + "<array>\n")
		for _, e := range x {
			plistValue(b, e, depth+1)
		}
		b.WriteString(ind + "</array>\n")
	case string:
		b.WriteString(ind + "<string>" + xmlText(x) + "</string>\n")
	case bool:
		if x {
			b.WriteString(ind + "<true/>\n")
		} else {
			b.WriteString(ind + "<false/>\n")
		}
	case int:
		fmt.Fprintf(b, "%s<integer>%d</integer>\n", ind, x)
	case []byte:
		b.WriteString(ind + "<data>" + base64.StdEncoding.EncodeToString(x) + "</data>\n")
	default:
		panic(fmt.Sprintf("plist: unsupported type %T", v))
	}
}

func xmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
