// Package truststore installs the Sluice CA into the system and browser trust stores, the way mkcert does.
package truststore

import (
	"github.com/sluice-dlp/sluice/internal/l10n"

	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Options say where and how to install; zero values mean the real machine.
type Options struct {
	CertPath string // PEM file of the CA
	Name     string // nickname in NSS databases and file name in system stores, e.g. "sluice-ca"
	Root     string // filesystem root for system stores ("/" when empty); tests use a temp dir
	Home     string // home directory for NSS databases ($HOME when empty)
	// SystemUpdate replaces the store's refresh command (update-ca-certificates, …); tests use "true".
	SystemUpdate []string
	Log          func(format string, args ...any)
}

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
	if o.Log == nil {
		o.Log = func(string, ...any) {}
	}
}

// Result lists where the CA was installed or removed, and what could not be done.
type Result struct {
	Done     []string
	Problems []string // each with the fix, e.g. the package to install
}

// Install adds the CA to the system store and every NSS database found.
func Install(o Options) (*Result, error) {
	o.defaults()
	if _, err := os.Stat(o.CertPath); err != nil {
		return nil, l10n.Errorf(l10n.NotFound, "找不到根证书 %s；先运行 'sluice init'", "CA certificate %s not found; run 'sluice init' first", o.CertPath)
	}
	res := &Result{}
	sysInstall(&o, res)
	nssInstall(&o, res)
	if len(res.Done) == 0 && len(res.Problems) > 0 {
		return res, l10n.New(l10n.Unavailable, "根证书没有安装到任何位置：\n  "+strings.Join(res.Problems, "\n  "), "the CA was not installed anywhere:\n  "+strings.Join(res.Problems, "\n  "))
	}
	return res, nil
}

// Uninstall removes the CA from the system store and every NSS database found.
func Uninstall(o Options) (*Result, error) {
	o.defaults()
	res := &Result{}
	sysUninstall(&o, res)
	nssUninstall(&o, res)
	return res, nil
}

// run executes a command and returns its combined output in the error.
func run(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
