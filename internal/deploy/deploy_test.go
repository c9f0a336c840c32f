package deploy

import (
	"archive/zip"
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/sluice-dlp/sluice/extension"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/internal/testtool"
)

func testKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	key, created, err := LoadOrCreateKey(filepath.Join(t.TempDir(), "extension.key"))
	if err != nil || !created {
		t.Fatalf("key: %v %v", err, created)
	}
	return key
}

// pbFields splits a protobuf message into its length-delimited fields.
func pbFields(t *testing.T, b []byte) map[uint64][][]byte {
	t.Helper()
	out := map[uint64][][]byte{}
	for len(b) > 0 {
		tag, n := binary.Uvarint(b)
		b = b[n:]
		if tag&7 != 2 {
			t.Fatalf("unexpected wire type %d", tag&7)
		}
		l, n := binary.Uvarint(b)
		b = b[n:]
		out[tag>>3] = append(out[tag>>3], b[:l])
		b = b[l:]
	}
	return out
}

func readZip(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		var buf bytes.Buffer
		buf.ReadFrom(rc)
		rc.Close()
		out[f.Name] = buf.Bytes()
	}
	return out
}

// TestPackCRX3 checks the CRX3 container as Chromium reads it: magic, version, header, a valid RSA
// signature over the signed data and archive, and the id derived from the key (Chromium itself installs
// this file in TestBrowserPolicyInChromium).
func TestPackCRX3(t *testing.T) {
	key := testKey(t)
	p, err := Pack(extension.Files, key, "http://sluice.example:8081/extension/updates.xml")
	if err != nil {
		t.Fatal(err)
	}
	crx := p.CRX
	if string(crx[:4]) != "Cr24" || binary.LittleEndian.Uint32(crx[4:]) != 3 {
		t.Fatalf("not a CRX3: % x", crx[:8])
	}
	hl := binary.LittleEndian.Uint32(crx[8:])
	header, archive := crx[12:12+hl], crx[12+hl:]
	f := pbFields(t, header)
	proof := pbFields(t, f[2][0])
	signed := f[10000][0]
	pub, err := x509.ParsePKIXPublicKey(proof[1][0])
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	h.Write([]byte("CRX3 SignedData\x00"))
	binary.Write(h, binary.LittleEndian, uint32(len(signed)))
	h.Write(signed)
	h.Write(archive)
	if err := rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), crypto.SHA256, h.Sum(nil), proof[2][0]); err != nil {
		t.Fatalf("CRX signature does not verify: %v", err)
	}
	sum := sha256.Sum256(proof[1][0])
	if crxID := pbFields(t, signed)[1][0]; !bytes.Equal(crxID, sum[:16]) || idFromDER(proof[1][0]) != p.ID {
		t.Fatal("crx_id does not match the key")
	}
	files := readZip(t, archive)
	var m map[string]any
	json.Unmarshal(files["manifest.json"], &m)
	if m["update_url"] != "http://sluice.example:8081/extension/updates.xml" || m["key"] != nil || files["background.js"] == nil || files["schema.json"] == nil {
		t.Fatalf("packed Chrome manifest: %v", m)
	}
	xm := map[string]any{}
	json.Unmarshal(readZip(t, p.XPI)["manifest.json"], &xm)
	gecko := xm["browser_specific_settings"].(map[string]any)["gecko"].(map[string]any)
	if gecko["id"] != GeckoID || xm["update_url"] != nil || xm["key"] != nil {
		t.Fatalf("XPI manifest: %v", xm)
	}
	// The key is kept: the id does not change between runs.
	file := filepath.Join(t.TempDir(), "k")
	k1, _, _ := LoadOrCreateKey(file)
	k2, created, _ := LoadOrCreateKey(file)
	if created || ExtensionID(&k1.PublicKey) != ExtensionID(&k2.PublicKey) {
		t.Fatal("the signing key is not reused")
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", fi.Mode())
	}
	if x := string(UpdateManifest(p.ID, p.Version, "http://h/x.crx?a=1&b=2")); !strings.Contains(x, "appid='"+p.ID+"'") || !strings.Contains(x, "a=1&amp;b=2") {
		t.Fatalf("update manifest: %s", x)
	}
}

func writePolicies(t *testing.T, o Options) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := Write(dir, o); err != nil {
		t.Fatal(err)
	}
	return dir
}

var testOpts = Options{ConsoleURL: "http://sluice.corp.example:8081/", ExtensionID: "abcdefghijklmnopabcdefghijklmnop", CACert: []byte{0x30, 0x03, 0x02, 0x01, 0x01}}

// TestWindowsRegFiles decodes the .reg files as regedit would read them (UTF-16LE with a BOM).
func TestWindowsRegFiles(t *testing.T) {
	dir := writePolicies(t, testOpts)
	for _, f := range []struct{ file, key, pin string }{{WinChrome, `Google\Chrome`, `toolbar_pin\":\"force_pinned`}, {WinEdge, `Microsoft\Edge`, `toolbar_state\":\"force_shown`}} {
		raw, _ := os.ReadFile(filepath.Join(dir, f.file))
		if raw[0] != 0xff || raw[1] != 0xfe {
			t.Fatalf("%s has no UTF-16LE byte-order mark", f.file)
		}
		u := make([]uint16, (len(raw)-2)/2)
		for i := range u {
			u[i] = binary.LittleEndian.Uint16(raw[2+2*i:])
		}
		s := string(utf16.Decode(u))
		for _, want := range []string{
			"Windows Registry Editor Version 5.00\r\n",
			`[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\` + f.key + `]`,
			`"ProxySettings"="{\"ProxyMode\":\"pac_script\",\"ProxyPacMandatory\":true,\"ProxyPacUrl\":\"http://sluice.corp.example:8081/proxy.pac\"}"`,
			`[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\` + f.key + `\ExtensionInstallForcelist]` + "\r\n" + `"1"="abcdefghijklmnopabcdefghijklmnop;http://sluice.corp.example:8081/extension/updates.xml"`,
			f.pin,
			`[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\` + f.key + `\3rdparty\extensions\abcdefghijklmnopabcdefghijklmnop\policy]` + "\r\n" + `"consoleUrl"="http://sluice.corp.example:8081"` + "\r\n" + `"pairing"=dword:00000001`,
		} {
			if !strings.Contains(s, want) {
				t.Fatalf("%s lacks %q:\n%s", f.file, want, s)
			}
		}
	}
}

// TestMacProfileParses reads the .mobileconfig with Python's plistlib, a real property-list parser.
func TestMacProfileParses(t *testing.T) {
	py := testtool.Require(t, "python3")
	dir := writePolicies(t, testOpts)
	script := `import plistlib, json, sys
d = plistlib.load(open(sys.argv[1], 'rb'))
out = {p['PayloadType']: p for p in d['PayloadContent']}
print(json.dumps({'top': d['PayloadType'], 'types': sorted(out), 'uuids': len({p['PayloadUUID'] for p in d['PayloadContent']}),
  'ca': out['com.apple.security.root']['PayloadContent'].hex(), 'proxy': out['com.google.Chrome']['ProxySettings'],
  'managed': out['com.google.Chrome.extensions.abcdefghijklmnopabcdefghijklmnop'],
  'ff': out['org.mozilla.firefox']['Proxy'], 'ffon': out['org.mozilla.firefox']['EnterprisePoliciesEnabled']}))`
	raw, err := exec.Command(py, "-c", script, filepath.Join(dir, MacProfile)).CombinedOutput()
	if err != nil {
		t.Fatalf("plistlib: %v %s", err, raw)
	}
	var got struct {
		Top     string
		Types   []string
		UUIDs   int
		CA      string
		Proxy   map[string]any
		Managed map[string]any
		FF      map[string]any
		FFOn    bool
	}
	json.Unmarshal(raw, &got)
	if got.Top != "Configuration" || len(got.Types) != 6 || got.UUIDs != 6 || got.CA != "3003020101" || got.Proxy["ProxyPacMandatory"] != true ||
		got.Managed["consoleUrl"] != "http://sluice.corp.example:8081" || got.FF["Locked"] != true || !got.FFOn {
		t.Fatalf("profile: %s", raw)
	}
}

// TestFixedProxyAndBadOptions: --proxy replaces the PAC everywhere; bad values are refused with the fix.
func TestFixedProxyAndBadOptions(t *testing.T) {
	o := testOpts
	o.Proxy, o.NoPairing = "sluice.corp.example:8080", true
	dir := writePolicies(t, o)
	var linux map[string]any
	json.Unmarshal(must(os.ReadFile(filepath.Join(dir, LinuxChrome))), &linux)
	if p := linux["ProxySettings"].(map[string]any); p["ProxyMode"] != "fixed_servers" || p["ProxyServer"] != "sluice.corp.example:8080" || p["ProxyPacUrl"] != nil {
		t.Fatalf("fixed proxy: %v", p)
	}
	if m := linux["3rdparty"].(map[string]any)["extensions"].(map[string]any)[o.ExtensionID].(map[string]any); m["pairing"] != false {
		t.Fatalf("--no-pairing: %v", m)
	}
	var ff struct{ Policies map[string]map[string]any }
	json.Unmarshal(must(os.ReadFile(filepath.Join(dir, FirefoxPolicy))), &ff)
	if p := ff.Policies["Proxy"]; p["Mode"] != "manual" || p["HTTPProxy"] != "sluice.corp.example:8080" || p["Locked"] != true {
		t.Fatalf("Firefox fixed proxy: %v", p)
	}
	for _, bad := range []Options{
		{ConsoleURL: "sluice.corp:8081", ExtensionID: testOpts.ExtensionID},
		{ConsoleURL: "http://a:1", ExtensionID: "xyz"},
		{ConsoleURL: "http://a:1", ExtensionID: testOpts.ExtensionID, Proxy: "no-port"},
		{ConsoleURL: "http://a:1", ExtensionID: testOpts.ExtensionID, PACURL: "file:///etc/passwd"},
	} {
		_, err := Write(t.TempDir(), bad)
		if err == nil || l10n.CodeOf(err) != l10n.Invalid {
			t.Fatalf("%+v accepted: %v", bad, err)
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
