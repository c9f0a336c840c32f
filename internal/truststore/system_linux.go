package truststore

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// linuxStore is one distribution family's system trust store.
type linuxStore struct {
	family string
	dir    string   // anchors directory
	ext    string   // file extension the tool expects
	update []string // refresh command
	hint   string   // how to get the refresh command
	bundle string   // the bundle the refresh writes, which programs read
}

var linuxStores = []linuxStore{
	{"Debian/Ubuntu", "usr/local/share/ca-certificates", ".crt", []string{"update-ca-certificates"}, "apt-get install ca-certificates", "etc/ssl/certs/ca-certificates.crt"},
	{"RHEL/Fedora", "etc/pki/ca-trust/source/anchors", ".pem", []string{"update-ca-trust", "extract"}, "dnf install ca-certificates", "etc/pki/tls/certs/ca-bundle.crt"},
	{"Arch", "etc/ca-certificates/trust-source/anchors", ".crt", []string{"trust", "extract-compat"}, "pacman -S ca-certificates-utils", "etc/ssl/certs/ca-certificates.crt"},
	{"openSUSE", "usr/share/pki/trust/anchors", ".pem", []string{"update-ca-certificates"}, "zypper install ca-certificates", "etc/ssl/ca-bundle.pem"},
}

// linksDir is where refresh tools put per-certificate links (Debian: name.pem → anchor, hash.0 → name.pem).
const linksDir = "etc/ssl/certs"

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

func sysInstall(o *Options, res *Result, st *state) {
	s := detectStore(o)
	if s == nil {
		res.problem("没有找到已知的系统信任库（Debian、RHEL、Arch、openSUSE）；请按控制台 /ca 页面的步骤手动安装",
			"no known system trust store found (Debian, RHEL, Arch, openSUSE); install the CA by hand from the console's /ca page")
		return
	}
	data, err := os.ReadFile(o.CertPath)
	if err != nil {
		res.problem("%v", "%v", err)
		return
	}
	dst := filepath.Join(o.Root, s.dir, o.Name+s.ext)
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		res.problem("无法写入 %s（%v）；请用 sudo 运行", "cannot write %s (%v); run with sudo", dst, err)
		return
	}
	st.Anchor = dst
	if err := s.refresh(o); err != nil {
		res.problem("%s 系统信任库：%v；请安装：%s", "%s store: %v; install it with: %s", s.family, err, s.hint)
		return
	}
	res.done("系统信任库（%s）：%s", "system store (%s): %s", s.family, dst)
}

func sysUninstall(o *Options, res *Result, st *state) {
	s := detectStore(o)
	if s == nil {
		return
	}
	dst := filepath.Join(o.Root, s.dir, o.Name+s.ext)
	if st.Anchor != "" {
		dst = st.Anchor
	}
	err := os.Remove(dst)
	if err != nil && !os.IsNotExist(err) {
		res.problem("无法删除 %s（%v）；请用 sudo 运行", "cannot remove %s (%v); run with sudo", dst, err)
		return
	}
	removed := err == nil
	// update-ca-certificates leaves the links to a removed local certificate behind unless told --fresh:
	// remove every link that leads to the anchor, then refresh (which rebuilds the bundle without it).
	links := removeLinks(filepath.Join(o.Root, linksDir), dst)
	st.Anchor = ""
	if !removed && links == 0 {
		return
	}
	if err := s.refresh(o); err != nil {
		res.problem("%s 系统信任库：%v", "%s store: %v", s.family, err)
		return
	}
	res.done("系统信任库（%s）：已删除 %s 和 %d 个链接", "system store (%s): removed %s and %d links", s.family, dst, links)
}

// removeLinks deletes the symlinks in dir that point at target, directly or through another such link,
// and returns how many it removed.
func removeLinks(dir, target string) int {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	doomed := map[string]bool{target: true}
	n := 0
	for changed := true; changed; {
		changed = false
		for _, e := range entries {
			p := filepath.Join(dir, e.Name())
			if doomed[p] || e.Type()&os.ModeSymlink == 0 {
				continue
			}
			to, err := os.Readlink(p)
			if err != nil {
				continue
			}
			if !filepath.IsAbs(to) {
				to = filepath.Join(dir, to)
			}
			if doomed[to] {
				doomed[p], changed = true, true
				if os.Remove(p) == nil {
					n++
				}
			}
		}
	}
	return n
}

// sysCheck reports whether the system bundle programs read contains the CA.
func sysCheck(o *Options, cert *x509.Certificate) Status {
	s := detectStore(o)
	if s == nil {
		return Status{Store: "system", Note: line("没有找到已知的系统信任库", "no known system trust store found")}
	}
	st := Status{Store: "system (" + s.family + ")", Path: filepath.Join(o.Root, s.bundle)}
	data, err := os.ReadFile(st.Path)
	if err != nil {
		st.Note = line("无法读取 %s（%v）", "cannot read %s (%v)", st.Path, err)
		return st
	}
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		if bytes.Equal(block.Bytes, cert.Raw) {
			st.Trusted = true
			return st
		}
	}
	st.Note = line("系统证书包中没有该根证书；运行 'sudo sluice ca install'", "the system bundle does not contain the CA; run 'sudo sluice ca install'")
	if strings.HasPrefix(s.family, "RHEL") {
		st.Note = line("系统证书包中没有该根证书；运行 'sudo sluice ca install'（它会运行 update-ca-trust）", "the system bundle does not contain the CA; run 'sudo sluice ca install' (it runs update-ca-trust)")
	}
	return st
}
