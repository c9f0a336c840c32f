package daemon

import (
	"fmt"
	"os/user"

	"github.com/sluice-dlp/sluice/proxy/console"
)

// identityWarning says, for a loopback proxy without --user, that traffic which does not log in to the
// proxy is attributed to the OS account, so watermarks and the audit log name that account, not a
// member of staff; and how to fix it. A shared proxy needs logins (checkIdentity), --user names the person.
func identityWarning(loopback bool, single string) *console.Warning {
	if !loopback || single != "" {
		return nil
	}
	account := "local"
	if u, err := user.Current(); err == nil && u.Username != "" {
		account = u.Username
	}
	return &console.Warning{Code: "identity_os_account",
		ZH: fmt.Sprintf("代理只在本机监听且未指定 --user：没有登录代理的流量记在本机账号「%[1]s」名下，水印和审计记录显示的是「%[1]s」，而不是员工本人。"+
			"请用 --user 用户名 重新启动（单人使用的本机代理，用户先用 'sluice users add' 添加），或让浏览器用公司账号登录代理（Proxy-Authorization）。", account),
		EN: fmt.Sprintf("the proxy listens on loopback without --user: traffic that does not log in to the proxy is attributed to the OS account %[1]q, "+
			"so watermarks and audit records name %[1]q, not a member of staff. Restart with --user NAME (a single-user local proxy; add the user "+
			"with 'sluice users add' first), or have browsers log in to the proxy with their company account (Proxy-Authorization).", account)}
}

// Warnings returns the set-up problems the operator should fix (also in /api/health and on admins' pages).
func (d *Daemon) Warnings() []console.Warning { return append([]console.Warning(nil), d.warnings...) }
