package truststore

import (
	"os"
	"os/exec"
	"path/filepath"
)

// linuxStore is one distribution family's system trust store.
type linuxStore struct {
	family string
	dir    string   // anchors directory
	ext    string   // file extension the tool expects
	update []string // refresh command
	hint   string   // how to get the refresh command
}

var linuxStores = []linuxStore{
	{"Debian/Ubuntu", "usr/local/share/ca-certificates", ".crt", []string{"update-ca-certificates"}, "apt-get install ca-certificates"},
	{"RHEL/Fedora", "etc/pki/ca-trust/source/anchors", ".pem", []string{"update-ca-trust", "extract"}, "dnf install ca-certificates"},
	{"Arch", "etc/ca-certificates/trust-source/anchors", ".crt", []string{"trust", "extract-compat"}, "pacman -S ca-certificates-utils"},
	{"openSUSE", "usr/share/pki/trust/anchors", ".pem", []string{"update-ca-certificates"}, "zypper install ca-certificates"},
}

// detectStore finds the system store present under root.
func detectStore(o *Options) *linuxStore {
	for i := range linuxStores {
		s := &linuxStores[i]
		if fi, err := os.Stat(filepath.Join(o.Root, s.dir)); err == nil && fi.IsDir() {
			return s
		}
	}
	return nil
}

func (s *linuxStore) refresh(o *Options) error {
	cmd := s.update
	if len(o.SystemUpdate) > 0 {
		cmd = o.SystemUpdate
	}
	if _, err := exec.LookPath(cmd[0]); err != nil {
		return err
	}
	return run(cmd[0], cmd[1:]...)
}

func sysInstall(o *Options, res *Result) {
	s := detectStore(o)
	if s == nil {
		res.Problems = append(res.Problems, "no known system trust store found (Debian, RHEL, Arch, openSUSE); install the CA by hand from the console's /ca page")
		return
	}
	data, err := os.ReadFile(o.CertPath)
	if err != nil {
		res.Problems = append(res.Problems, err.Error())
		return
	}
	dst := filepath.Join(o.Root, s.dir, o.Name+s.ext)
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		res.Problems = append(res.Problems, "cannot write "+dst+" ("+err.Error()+"); run with sudo")
		return
	}
	if err := s.refresh(o); err != nil {
		res.Problems = append(res.Problems, s.family+" store: "+err.Error()+"; install it with: "+s.hint)
		return
	}
	res.Done = append(res.Done, "system store ("+s.family+"): "+dst)
}

func sysUninstall(o *Options, res *Result) {
	s := detectStore(o)
	if s == nil {
		return
	}
	dst := filepath.Join(o.Root, s.dir, o.Name+s.ext)
	if err := os.Remove(dst); err != nil {
		if !os.IsNotExist(err) {
			res.Problems = append(res.Problems, "cannot remove "+dst+" ("+err.Error()+"); run with sudo")
		}
		return
	}
	if err := s.refresh(o); err != nil {
		res.Problems = append(res.Problems, s.family+" store: "+err.Error())
		return
	}
	res.Done = append(res.Done, "system store ("+s.family+"): removed "+dst)
}
