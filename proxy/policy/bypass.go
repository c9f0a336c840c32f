package policy

// BypassGroup is a built-in list of hosts that are never decrypted, with the reason.
type BypassGroup struct {
	Name   string    // the key policy.yaml uses in bypass.groups
	Reason [2]string // zh-CN, English
	Hosts  []string
}

// BypassGroups are the built-in bypass lists; all are on unless bypass.groups names fewer.
var BypassGroups = []BypassGroup{
	{Name: "banking", Reason: [2]string{"网上银行：涉及个人金融隐私，且常用 U 盾/控件，解密会损害隐私并可能无法使用", "online banking: personal financial privacy, and USB-key plug-ins that break under interception"},
		Hosts: []string{"*.icbc.com.cn", "icbc.com.cn", "*.ccb.com", "ccb.com", "*.abchina.com", "*.abchina.com.cn", "*.boc.cn", "boc.cn", "*.bankcomm.com",
			"*.cmbchina.com", "cmbchina.com", "*.psbc.com", "*.cib.com.cn", "*.spdb.com.cn", "*.citicbank.com", "*.cebbank.com", "*.cmbc.com.cn",
			"*.hxb.com.cn", "*.cgbchina.com.cn", "*.pingan.com", "*.pingan.com.cn", "*.webank.com", "*.mybank.cn", "*.bankofbeijing.com.cn",
			"*.bosc.cn", "*.hsbc.com.cn", "*.citibank.com.cn", "*.sc.com", "*.rcb.com.cn"}},
	{Name: "payment", Reason: [2]string{"支付：支付页面涉及个人账户与密码，且往往固定证书", "payment: personal accounts and passwords, often with pinned certificates"},
		Hosts: []string{"alipay.com", "*.alipay.com", "*.alipayobjects.com", "*.95516.com", "95516.com", "*.unionpay.com", "unionpay.com", "*.tenpay.com",
			"pay.weixin.qq.com", "paypal.com", "*.paypal.com", "*.stripe.com", "stripe.com", "*.yeepay.com", "*.lianlianpay.com", "*.chinaums.com"}},
	{Name: "health", Reason: [2]string{"医疗健康：员工个人的健康信息，不应被解密记录", "health: staff's own medical information must not be decrypted or recorded"},
		Hosts: []string{"*.nhsa.gov.cn", "*.haodf.com", "haodf.com", "*.guahao.com", "*.wedoctor.com", "*.dxy.cn", "dxy.cn", "*.chunyuyisheng.com",
			"*.jdhealth.com", "*.alihealth.cn", "*.yihu.com", "*.zocdoc.com", "*.mayoclinic.org"}},
	{Name: "government", Reason: [2]string{"政府与公共服务：社保、个税、政务办理涉及个人身份信息", "government services: social security, personal tax and public services carry personal identity data"},
		Hosts: []string{"*.gov.cn", "gov.cn", "*.12306.cn", "12306.cn", "*.12333.gov.cn", "*.chsi.com.cn", "*.gov", "*.gov.uk", "*.gov.hk", "*.gov.sg"}},
	{Name: "client_cert", Reason: [2]string{"需要客户端证书：站点要求 U 盾/数字证书登录，解密后无法出示证书", "client certificates: the site asks for a USB key or certificate, which cannot be presented through interception"},
		Hosts: []string{"*.chinatax.gov.cn", "*.singlewindow.cn", "singlewindow.cn", "*.cfca.com.cn", "*.customs.gov.cn", "*.ca.gov.cn", "*.sic-ca.com"}},
}

// BypassHost is one more host policy.yaml keeps from being decrypted.
type BypassHost struct {
	Host   string `yaml:"host"`
	Reason string `yaml:"reason"`
}

// BypassSettings say which hosts are never decrypted (the policy's bypass: section).
type BypassSettings struct {
	Groups []string     `yaml:"groups"` // built-in groups kept; empty key = all
	Hosts  []BypassHost `yaml:"hosts"`
}

// groups returns the built-in groups the settings keep (all when none is named).
func (b BypassSettings) groups() []BypassGroup {
	if b.Groups == nil {
		return BypassGroups
	}
	var out []BypassGroup
	for _, g := range BypassGroups {
		for _, name := range b.Groups {
			if name == g.Name {
				out = append(out, g)
			}
		}
	}
	return out
}
