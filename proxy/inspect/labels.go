package inspect

import (
	"fmt"

	"github.com/sluice-dlp/sluice/internal/l10n"
)

// kindLabels name each finding kind and its counting unit in Chinese and English.
var kindLabels = map[string][4]string{ // zh name, zh unit, en singular, en plural
	KindPhone:         {"手机号", "个", "mobile number", "mobile numbers"},
	KindLandline:      {"座机号", "个", "landline number", "landline numbers"},
	KindEmail:         {"邮箱地址", "个", "e-mail address", "e-mail addresses"},
	KindIDNumber:      {"身份证号", "个", "ID number", "ID numbers"},
	KindBankCard:      {"银行卡号", "个", "bank card number", "bank card numbers"},
	KindWeChatID:      {"微信号", "个", "WeChat ID", "WeChat IDs"},
	KindQQ:            {"QQ号", "个", "QQ number", "QQ numbers"},
	KindKeyword:       {"关键词", "个", "keyword", "keywords"},
	KindContactRecord: {"联系人记录", "条", "contact record", "contact records"},
	KindCustomer:      {"命中客户名单", "条", "customer-list entry", "customer-list entries"},
	KindFingerprint:   {"登记的敏感文件", "个", "registered sensitive file", "registered sensitive files"},
	KindDisguised:     {"伪装文件", "个", "disguised file", "disguised files"},
	KindEncrypted:     {"加密内容", "处", "encrypted content", "encrypted contents"},
	KindUninspectable: {"无法检查", "处", "uninspectable part", "uninspectable parts"},
	KindNoText:        {"无可提取文字", "处", "part without text", "parts without text"},
}

// KindName names a finding kind for people in lang (an unknown kind as it is).
func KindName(kind string, lang l10n.Lang) string {
	if l, ok := kindLabels[kind]; ok {
		return lang.Pick(l[0], l[3])
	}
	return kind
}

// CountText says "手机号 60 个" / "60 mobile numbers" for n findings of kind.
func CountText(kind string, n int, lang l10n.Lang) string {
	l, ok := kindLabels[kind]
	if !ok {
		return fmt.Sprintf("%s %d", kind, n)
	}
	if lang == l10n.EN {
		if n == 1 {
			return fmt.Sprintf("%d %s", n, l[2])
		}
		return fmt.Sprintf("%d %s", n, l[3])
	}
	return fmt.Sprintf("%s %d %s", l[0], n, l[1])
}
