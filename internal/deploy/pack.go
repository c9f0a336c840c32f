package deploy

import (
	"archive/zip"
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
)

// GeckoID is the extension's id in Firefox (browser_specific_settings.gecko.id in manifest.json).
const GeckoID = "companion@sluice-dlp"

// LoadOrCreateKey reads the RSA key that signs the packed extension, creating it (mode 0600) when
// missing; the Chrome/Edge extension id follows from it, so keep it with the data dir's backups.
func LoadOrCreateKey(file string) (*rsa.PrivateKey, bool, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, false, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, false, err
		}
		out := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
		if err := os.WriteFile(file, out, 0o600); err != nil {
			return nil, false, l10n.Wrap(err, l10n.Internal, "无法写入扩展签名密钥 %s；请检查数据目录的权限", "cannot write the extension signing key %s; check the data dir's permissions", file)
		}
		return key, true, nil
	}
	if err != nil {
		return nil, false, l10n.Wrap(err, l10n.Unreadable, "无法读取扩展签名密钥 %s", "cannot read the extension signing key %s", file)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, false, l10n.Errorf(l10n.Unreadable, "%s 不是 PEM 格式的私钥；删除它会生成新密钥（扩展 ID 也会改变）", "%s is not a PEM private key; deleting it makes a new key (and a new extension id)", file)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, false, l10n.Wrap(err, l10n.Unreadable, "%s 不是 PKCS#8 私钥", "%s is not a PKCS#8 private key", file)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, false, l10n.Errorf(l10n.Unreadable, "%s 不是 RSA 私钥；Chrome 的 CRX 需要 RSA", "%s is not an RSA key; Chrome's CRX format needs RSA", file)
	}
	return rk, false, nil
}

// ExtensionID returns the Chrome extension id of a public key: the first 128 bits of SHA-256 of its
// DER SubjectPublicKeyInfo, written with the letters a–p.
func ExtensionID(pub *rsa.PublicKey) string {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	return idFromDER(der)
}

func idFromDER(der []byte) string {
	sum := sha256.Sum256(der)
	h := hex.EncodeToString(sum[:16])
	b := make([]byte, len(h))
	for i, c := range h {
		b[i] = byte('a' + strings.IndexRune("0123456789abcdef", c))
	}
	return string(b)
}

// Packed is the extension built for distribution: a signed CRX3 for Chrome and Edge, an XPI for Firefox.
type Packed struct {
	ID      string // Chrome/Edge extension id (from the signing key)
	Version string // manifest version string
	CRX     []byte
	XPI     []byte
}

// Pack zips the extension files in src (manifest.json at the root), sets update_url in the Chrome copy,
// drops the development "key" field, and signs the CRX3 with key.
func Pack(src fs.FS, key *rsa.PrivateKey, updateURL string) (*Packed, error) {
	raw, err := fs.ReadFile(src, "manifest.json")
	if err != nil {
		return nil, l10n.Wrap(err, l10n.NotFound, "扩展目录中没有 manifest.json", "the extension has no manifest.json")
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, l10n.Wrap(err, l10n.Invalid, "扩展的 manifest.json 不是有效的 JSON", "the extension's manifest.json is not valid JSON")
	}
	version, _ := m["version"].(string)
	delete(m, "key") // the packed copy's identity is the signing key, not the development key
	chromeM := clone(m)
	if updateURL != "" {
		chromeM["update_url"] = updateURL
	}
	chromeZip, err := zipFS(src, chromeM)
	if err != nil {
		return nil, err
	}
	xpi, err := zipFS(src, m)
	if err != nil {
		return nil, err
	}
	crx, err := signCRX3(chromeZip, key)
	if err != nil {
		return nil, err
	}
	return &Packed{ID: ExtensionID(&key.PublicKey), Version: version, CRX: crx, XPI: xpi}, nil
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// zipFS writes every file of src into a zip in a stable order, with manifest replaced by m.
func zipFS(src fs.FS, m map[string]any) ([]byte, error) {
	var names []string
	err := fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && p != "manifest.json" {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	man, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	stamp := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) // reproducible archives
	add := func(name string, data []byte) error {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: stamp})
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}
	if err := add("manifest.json", man); err != nil {
		return nil, err
	}
	for _, n := range names {
		data, err := fs.ReadFile(src, n)
		if err != nil {
			return nil, err
		}
		if err := add(path.Clean(n), data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// signCRX3 wraps a zip archive in Chrome's CRX3 container: "Cr24", version 3, the header length, a
// CrxFileHeader protobuf with one sha256_with_rsa proof over the signed header data and the archive.
func signCRX3(archive []byte, key *rsa.PrivateKey) ([]byte, error) {
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(pub)
	signedData := pbBytes(1, sum[:16]) // SignedData{crx_id}
	h := sha256.New()
	h.Write([]byte("CRX3 SignedData\x00"))
	binary.Write(h, binary.LittleEndian, uint32(len(signedData)))
	h.Write(signedData)
	h.Write(archive)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h.Sum(nil))
	if err != nil {
		return nil, fmt.Errorf("signing the CRX: %w", err)
	}
	proof := append(pbBytes(1, pub), pbBytes(2, sig)...)               // AsymmetricKeyProof
	header := append(pbBytes(2, proof), pbBytes(10000, signedData)...) // CrxFileHeader
	out := make([]byte, 0, 12+len(header)+len(archive))
	out = append(out, "Cr24"...)
	out = binary.LittleEndian.AppendUint32(out, 3)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(header)))
	out = append(out, header...)
	return append(out, archive...), nil
}

// pbBytes encodes one length-delimited protobuf field.
func pbBytes(field int, b []byte) []byte {
	out := binary.AppendUvarint(nil, uint64(field)<<3|2)
	out = binary.AppendUvarint(out, uint64(len(b)))
	return append(out, b...)
}

// UpdateManifest returns the update manifest XML Chrome and Edge poll for a self-hosted extension.
func UpdateManifest(id, version, crxURL string) []byte {
	var b strings.Builder
	b.WriteString("<?xml version='1.0' encoding='UTF-8'?>\n")
	b.WriteString("<gupdate xmlns='http://www.google.com/update2/response' protocol='2.0'>\n")
	fmt.Fprintf(&b, "  <app appid='%s'>\n    <updatecheck codebase='%s' version='%s' />\n  </app>\n</gupdate>\n",
		xmlAttr(id), xmlAttr(crxURL), xmlAttr(version))
	return []byte(b.String())
}

func xmlAttr(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&apos;", `"`, "&quot;").Replace(s)
}
