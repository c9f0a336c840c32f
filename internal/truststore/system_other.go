//go:build !linux

package truststore

import (
	"crypto/x509"
	"runtime"
)

func sysInstall(o *Options, res *Result, st *state) {
	res.problem("不支持在 %s 上自动安装到系统信任库；请打开控制台的 /ca 页面按步骤操作", "automatic system store install is not supported on %s; open the console's /ca page and follow the steps for your system", runtime.GOOS, runtime.GOOS)
}

func sysUninstall(o *Options, res *Result, st *state) {}

func sysCheck(o *Options, cert *x509.Certificate) Status {
	return Status{Store: "system", Note: line("无法在 %s 上检查系统信任库", "cannot check the system store on %s", runtime.GOOS, runtime.GOOS)}
}
