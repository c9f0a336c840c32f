//go:build !linux

package truststore

import "runtime"

func sysInstall(o *Options, res *Result) {
	res.Problems = append(res.Problems, "automatic system store install is not supported on "+runtime.GOOS+"; open the console's /ca page and follow the steps for your system")
}

func sysUninstall(o *Options, res *Result) {}
