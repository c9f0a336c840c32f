// Package truststore installs the Sluice CA into the system and browser trust stores, the way mkcert does:
// one file per store, every change recorded so that uninstall removes exactly what install made, and a
// check that says per store whether the CA is trusted.
package truststore

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/sluice-dlp/sluice/internal/l10n"
)

// Options say where and how to install; zero values mean the real machine.
type Options struct {
	CertPath string // PEM file of the CA
	Name     string // nickname in NSS databases and file name in system stores, e.g. "sluice-ca"
	Root     string // filesystem root for system stores ("/" when empty); tests use a temp dir
	Home     string // home directory for NSS databases ($HOME when empty)
	// SystemUpdate replaces the store's refresh command (update-ca-certificates, …); tests point it at a temp root.
	SystemUpdate []string
	// Owner, when set, receives what is created in Home (under sudo: the invoking user, not root).
	Owner *Owner
	// StateFile records what install created (the data dir's truststore.json); uninstall reads it.
	StateFile string
	// Stores limits the stores touched: "system", "nss"; empty means both.
	Stores []string
}

// Owner is the user and group that files created in a home directory must belong to.
type Owner struct{ UID, GID int }

func (o *Options) defaults() {
	if o.Root == "" {
		o.Root = "/"
	}
	if o.Home == "" {
		o.Home, _ = os.UserHomeDir()
	}
	if o.Name == "" {
		o.Name = "sluice-ca"
	}
}

func (o *Options) wants(store string) bool {
	if len(o.Stores) == 0 {
		return true
	}
	for _, s := range o.Stores {
		if s == store {
			return true
		}
	}
	return false
}

// Line is one thing done or one problem (with its fix), in both languages.
type Line struct{ ZH, EN string }

// Text returns the line in lang.
func (l Line) Text(lang l10n.Lang) string { return lang.Pick(l.ZH, l.EN) }

func line(zh, en string, args ...any) Line {
	return Line{ZH: fmt.Sprintf(zh, args...), EN: fmt.Sprintf(en, args...)}
}

// Result lists where the CA was installed or removed, and what could not be done.
type Result struct {
	Done     []Line
	Problems []Line // each with the fix, e.g. the package to install
}

func (r *Result) done(zh, en string, args ...any) { r.Done = append(r.Done, line(zh, en, args...)) }
func (r *Result) problem(zh, en string, args ...any) {
	r.Problems = append(r.Problems, line(zh, en, args...))
}

// Install adds the CA to the system store and every NSS database (creating the user's Chromium database
// and those of Firefox profiles that have none yet, as the browsers would).
func Install(o Options) (*Result, error) {
	o.defaults()
	cert, err := readCert(o.CertPath)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	st := loadState(o.StateFile)
	if o.wants("system") {
		sysInstall(&o, res, st)
	}
	if o.wants("nss") {
		nssInstall(&o, res, st, cert)
	}
	if err := st.save(o.StateFile); err != nil {
		res.problem("无法记录安装内容到 %s（%v）；卸载时可能需要手动清理", "cannot record what was installed in %s (%v); uninstall may need a hand", o.StateFile, err)
	}
	if len(res.Done) == 0 && len(res.Problems) > 0 {
		return res, l10n.New(l10n.Unavailable, "根证书没有安装到任何位置：\n  "+joinLines(res.Problems, l10n.ZH), "the CA was not installed anywhere:\n  "+joinLines(res.Problems, l10n.EN))
	}
	return res, nil
}

// Uninstall removes the CA from the system store (with every link the refresh made) and from every NSS
// database, and deletes the databases install created if nothing else was put in them since.
func Uninstall(o Options) (*Result, error) {
	o.defaults()
	res := &Result{}
	st := loadState(o.StateFile)
	if o.wants("system") {
		sysUninstall(&o, res, st)
	}
	if o.wants("nss") {
		nssUninstall(&o, res, st)
	}
	if err := st.save(o.StateFile); err != nil {
		res.problem("无法更新 %s（%v）", "cannot update %s (%v)", o.StateFile, err)
	}
	return res, nil
}

// Status is whether one trust store trusts the CA.
type Status struct {
	Store   string // "system (Debian/Ubuntu)", "NSS (Chrome/Chromium)", "NSS (Firefox)"
	Path    string
	Trusted bool
	Note    Line // why not, and the fix
}

// Check reports, per store, whether the CA is trusted; a store the browsers would use but that does not
// exist yet (no ~/.pki/nssdb) is reported as not trusting it.
func Check(o Options) ([]Status, error) {
	o.defaults()
	cert, err := readCert(o.CertPath)
	if err != nil {
		return nil, err
	}
	var out []Status
	if o.wants("system") {
		out = append(out, sysCheck(&o, cert))
	}
	if o.wants("nss") {
		out = append(out, nssCheck(&o, cert)...)
	}
	return out, nil
}

func readCert(path string) (*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, l10n.Errorf(l10n.NotFound, "找不到根证书 %s；先运行 'sluice init'", "CA certificate %s not found; run 'sluice init' first", path)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, l10n.Errorf(l10n.Unreadable, "%s 不是 PEM 格式的证书", "%s is not a PEM certificate", path)
	}
	return x509.ParseCertificate(block.Bytes)
}

func joinLines(ls []Line, lang l10n.Lang) string {
	var s []string
	for _, l := range ls {
		s = append(s, l.Text(lang))
	}
	return strings.Join(s, "\n  ")
}

// run executes a command and returns its combined output in the error.
func run(name string, args ...string) error {
	_, err := output(name, args...)
	return err
}

func output(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}
