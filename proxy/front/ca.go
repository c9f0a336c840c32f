// Package front is the MITM front of Sluice: the installation CA and its leaf certificates, dialing
// and upstream TLS, proxy authentication, the goproxy wiring that tunnels or intercepts each
// CONNECT, and the forwarding of requests, with their outcome reported to the pipeline.
package front

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// CA is Sluice's root certificate authority, generated per installation.
type CA struct {
	Cert    *x509.Certificate
	Key     *ecdsa.PrivateKey
	CertPEM []byte
	// CertPath and KeyPath are where the CA lives in the data dir.
	CertPath, KeyPath string
}

// CheckKeyPerms refuses a private key file that group or others can read.
func CheckKeyPerms(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if info.Mode().Perm()&0o077 != 0 {
		return l10n.Errorf(l10n.Forbidden, "根证书私钥 %[1]s 对同组或其他用户可读（权限 %04[2]o）；请运行：chmod 600 %[1]s", "CA key %[1]s is readable by group/others (mode %04[2]o); run: chmod 600 %[1]s", path, info.Mode().Perm())
	}
	return nil
}

// LoadOrCreateCA loads ca.pem/ca.key from dir, creating them on first use.
// nameConstraints, when non-empty, restricts a newly created CA to those DNS domains.
func LoadOrCreateCA(dir string, nameConstraints []string) (*CA, error) {
	ca := &CA{CertPath: filepath.Join(dir, "ca.pem"), KeyPath: filepath.Join(dir, "ca.key")}
	_, certErr := os.Stat(ca.CertPath)
	_, keyErr := os.Stat(ca.KeyPath)
	switch {
	case os.IsNotExist(certErr) && os.IsNotExist(keyErr):
		if err := ca.create(nameConstraints); err != nil {
			return nil, err
		}
	case os.IsNotExist(certErr) || os.IsNotExist(keyErr):
		return nil, l10n.Errorf(l10n.Invalid, "只找到 %s 和 %s 中的一个；请恢复缺失的文件，或删除两者以生成新的根证书（之后浏览器须重新信任）", "found only one of %s and %s; restore the missing file, or delete both to create a new CA (browsers must then trust the new one)", ca.CertPath, ca.KeyPath)
	}
	if err := CheckKeyPerms(ca.KeyPath); err != nil {
		return nil, err
	}
	return ca, ca.load()
}

func (ca *CA) load() error {
	certPEM, err := os.ReadFile(ca.CertPath)
	if err != nil {
		return l10n.Wrap(err, l10n.Internal, "无法读取根证书", "cannot read the CA certificate")
	}
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return l10n.Errorf(l10n.Invalid, "%s 不是 PEM 证书；删除 ca.pem 和 ca.key 可生成新的根证书", "%s is not a PEM certificate; delete ca.pem and ca.key to create a new CA", ca.CertPath)
	}
	if ca.Cert, err = x509.ParseCertificate(block.Bytes); err != nil {
		return l10n.Wrap(err, l10n.Invalid, "%s", "%s", ca.CertPath)
	}
	keyPEM, err := os.ReadFile(ca.KeyPath)
	if err != nil {
		return l10n.Wrap(err, l10n.Internal, "无法读取根证书私钥", "cannot read the CA key")
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil {
		return l10n.Errorf(l10n.Invalid, "%s 不是 PEM 私钥", "%s is not a PEM key", ca.KeyPath)
	}
	key, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return l10n.Wrap(err, l10n.Invalid, "%s", "%s", ca.KeyPath)
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok || !ec.PublicKey.Equal(ca.Cert.PublicKey) {
		return l10n.New(l10n.Invalid, "ca.key 与 ca.pem 不匹配；请恢复配对的文件，或删除两者以生成新的根证书", "ca.key does not belong to ca.pem; restore the matching pair or delete both to create a new CA")
	}
	ca.Key, ca.CertPEM = ec, certPEM
	if time.Until(ca.Cert.NotAfter) < 30*24*time.Hour {
		return l10n.Errorf(l10n.Invalid, "根证书 %s 将于 %s 过期；请删除 ca.pem 和 ca.key，重启后重新运行 'sluice ca install'", "CA certificate %s expires %s; delete ca.pem and ca.key, restart, and re-run 'sluice ca install'", ca.CertPath, ca.Cert.NotAfter.Format("2006-01-02"))
	}
	return nil
}

func (ca *CA) create(nameConstraints []string) error {
	if err := os.MkdirAll(filepath.Dir(ca.CertPath), 0o700); err != nil {
		return l10n.Wrap(err, l10n.Internal, "无法创建数据目录", "cannot create the data dir")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{Organization: []string{"Sluice DLP"}, OrganizationalUnit: []string{host}, CommonName: "Sluice DLP Root CA " + time.Now().Format("2006-01-02")},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		SubjectKeyId:          keyID(&key.PublicKey),
	}
	if len(nameConstraints) > 0 {
		tmpl.PermittedDNSDomainsCritical = true
		tmpl.PermittedDNSDomains = nameConstraints
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return l10n.Wrap(err, l10n.Internal, "无法生成根证书", "cannot create the CA")
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(ca.KeyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		return l10n.Wrap(err, l10n.Internal, "无法写入根证书私钥", "cannot write the CA key")
	}
	return os.WriteFile(ca.CertPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

// ConstraintDomains turns catalog host patterns into name-constraint domains ("*.pcs.baidu.com" → "pcs.baidu.com").
func ConstraintDomains(patterns []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range patterns {
		d := strings.TrimPrefix(p, "*.")
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// Fingerprint returns the SHA-256 fingerprint of the CA certificate, as browsers show it.
func (ca *CA) Fingerprint() string {
	sum := sha256.Sum256(ca.Cert.Raw)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

func randomSerial() *big.Int {
	limit := new(big.Int).Lsh(big.NewInt(1), 127)
	n, err := rand.Int(rand.Reader, limit)
	if err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return n.Add(n, big.NewInt(1))
}

func keyID(pub *ecdsa.PublicKey) []byte {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	sum := sha256.Sum256(der)
	return sum[:20]
}
