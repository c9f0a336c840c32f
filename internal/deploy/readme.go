package deploy

import "fmt"

// readme tells the admin where each generated file goes, in Chinese and English.
func readme(o *Options) string {
	proxy := "PAC " + o.PACURL + "（PacMandatory：PAC 取不到时不直连 / no direct connection when the PAC cannot be fetched）"
	if o.Proxy != "" {
		proxy = "固定代理 / fixed proxy " + o.Proxy
	}
	return fmt.Sprintf(`Sluice 浏览器策略 / Sluice browser policy
========================================
控制台 / console: %s
代理 / proxy: %s
扩展 / extension: Chrome/Edge %s（更新清单 / update manifest %s），Firefox %s（%s）

Linux（root）
  Chrome:   cp %s /etc/opt/chrome/policies/managed/
  Chromium: cp %s /etc/chromium/policies/managed/
  Edge:     cp %s /etc/opt/edge/policies/managed/
  Chrome/Chromium/Edge 在 Linux 上没有安装根证书的策略；请在每台电脑上运行 'sudo sluice ca install'。
  Chrome/Chromium/Edge on Linux have no CA policy: run 'sudo sluice ca install' on each PC.

Windows（管理员 / administrator）
  reg import windows\sluice-chrome.reg   ;  reg import windows\sluice-edge.reg
  windows\install-ca.cmd（或用组策略分发 sluice-ca.crt / or push sluice-ca.crt by Group Policy）
  Chrome/Edge 只在加入域（或由 MDM/CBCM 管理）的电脑上强制安装非商店扩展。
  Chrome/Edge force-install extensions from outside their stores only on domain-joined (or MDM/CBCM-managed) PCs.

macOS
  用 MDM 分发 macos/sluice.mobileconfig（根证书、Chrome、Edge、Firefox 策略）。
  Push macos/sluice.mobileconfig through your MDM (root CA, Chrome, Edge and Firefox policies).

Firefox（Windows、Linux）
  把 firefox/distribution 整个目录复制到 Firefox 安装目录（Linux：/usr/lib/firefox-esr/ 或 /usr/lib/firefox/；
  Windows：C:\Program Files\Mozilla Firefox\），或把 policies.json 放到 /etc/firefox/policies/。
  Copy the whole firefox/distribution folder into the Firefox install directory, or policies.json into /etc/firefox/policies/.
  Firefox 没有 PacMandatory：取不到 PAC 文件时会直连。要让它在 Sluice 不可用时失败，请用 --proxy HOST:PORT 另生成 Firefox 策略。
  Firefox has no PacMandatory: it goes direct when the PAC file cannot be fetched. For Firefox to fail closed, generate its policy with --proxy HOST:PORT.
  控制台提供的 XPI 未经 Mozilla 签名：只有 Firefox ESR / Developer Edition 会安装（策略已关闭签名检查）。
  The console's XPI is not signed by Mozilla: only Firefox ESR / Developer Edition install it (the policy turns the check off).

员工 / staff
  扩展装好后会打开设置页：员工登录控制台 %s/pair，看到一个配对码，在扩展中输入一次即可。
  The extension opens its settings page: the rep signs in at %s/pair, sees a one-time code and types it in once.
`, o.ConsoleURL, proxy, o.ExtensionID, o.UpdateURL, GeckoID, o.XPIURL,
		LinuxChrome, LinuxChromium, LinuxEdge, o.ConsoleURL, o.ConsoleURL)
}
