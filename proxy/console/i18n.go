package console

import (
	"net/http"
	"strings"
)

// messages maps a key to its zh-CN and English text.
var messages = map[string][2]string{
	"app":                  {"Sluice 外发审批", "Sluice approvals"},
	"login":                {"登录", "Sign in"},
	"logout":               {"退出", "Sign out"},
	"username":             {"用户名", "User name"},
	"password":             {"密码", "Password"},
	"login_failed":         {"用户名或密码错误", "Wrong user name or password"},
	"login_limited":        {"此地址登录失败次数过多，请 5 分钟后再试", "Too many failed sign-ins from this address; try again in 5 minutes"},
	"login_limited_pair":   {"此地址登录该账号失败次数过多，请 15 分钟后再试", "Too many failed sign-ins to this account from this address; try again in 15 minutes"},
	"queue":                {"待我审批", "My queue"},
	"mine":                 {"我的申请", "My requests"},
	"history":              {"审批记录", "History"},
	"archive":              {"外发档案", "Outbound archive"},
	"audit":                {"审计日志", "Audit log"},
	"risk":                 {"异常预警", "Early warning"},
	"empty":                {"暂无记录", "Nothing here"},
	"request":              {"申请", "Request"},
	"requester":            {"申请人", "Requester"},
	"destination":          {"目的地", "Destination"},
	"files":                {"文件", "Files"},
	"file":                 {"文件名", "File name"},
	"size":                 {"大小", "Size"},
	"findings":             {"检测结果", "Findings"},
	"receiver":             {"接收方身份", "Receiver"},
	"receiver_hint":        {"例如：李四（ACME 公司采购部）", "e.g. Li Si (ACME purchasing)"},
	"purpose":              {"资料用途", "Purpose"},
	"purpose_hint":         {"例如：报价确认", "e.g. confirm the quotation"},
	"days":                 {"使用期限（天）", "Valid for (days)"},
	"max_uses":             {"可发送次数", "Number of sends"},
	"status":               {"状态", "Status"},
	"created":              {"提交时间", "Filed"},
	"time":                 {"时间", "Time"},
	"actor":                {"操作人", "By"},
	"action":               {"操作", "Action"},
	"comment":              {"意见", "Comment"},
	"approve":              {"批准", "Approve"},
	"deny":                 {"拒绝", "Deny"},
	"withdraw":             {"撤回", "Withdraw"},
	"submit":               {"提交申请", "Submit request"},
	"new_request":          {"申请外发", "Request to send"},
	"new_intro":            {"该文件含敏感信息，已被暂扣。请填写以下信息提交审批，直属上级和部门负责人批准后即可重新发送。", "This file holds sensitive data and was held. Fill in the form; once your lead and department head approve, send it again."},
	"lead":                 {"直属上级", "Lead"},
	"head":                 {"部门负责人", "Department head"},
	"waiting_for":          {"等待", "Waiting for"},
	"substitute":           {"（管理员代批）", "(admin as substitute)"},
	"preview":              {"预览", "Preview"},
	"no_preview":           {"此类文件无法预览，请参考检测结果。", "No preview for this kind of file; see the findings."},
	"excerpt":              {"内容摘录（已脱敏）", "Excerpt (masked)"},
	"search":               {"搜索", "Search"},
	"user":                 {"员工", "User"},
	"since":                {"起始日期", "From"},
	"until":                {"截止日期", "To"},
	"q":                    {"文件名 / SHA-256 / 水印号", "File name / SHA-256 / mark id"},
	"approved_by":          {"审批人", "Approved by"},
	"grant":                {"授权", "Grant"},
	"expires":              {"有效期至", "Valid until"},
	"chain_ok":             {"审计链校验通过", "Audit chain verifies"},
	"any_host":             {"（同类网站均可）", "(any site of this kind)"},
	"any_host_ask":         {"同类网站均可发送（例如所有个人邮箱），不限于本网站", "Allow any site of this kind (e.g. every personal webmail), not just this one"},
	"verify_chain":         {"校验审计链", "Verify the audit chain"},
	"chain_bad":            {"审计链校验失败", "Audit chain does NOT verify"},
	"verdict":              {"结论", "Verdict"},
	"event":                {"事件", "Event"},
	"reasons":              {"原因", "Reasons"},
	"forbidden":            {"无权执行此操作", "You are not allowed to do this"},
	"not_found":            {"找不到该记录", "Not found"},
	"conflict":             {"当前状态不允许此操作", "The request's state does not allow this"},
	"invalid":              {"填写的信息有误", "Some values are not valid"},
	"unauthorized":         {"请先登录", "Please sign in"},
	"internal":             {"服务器内部错误", "Internal error"},
	"back":                 {"返回", "Back"},
	"already_filed":        {"该文件已提交过申请", "A request was already filed for this upload"},
	"status_pending":       {"待直属上级审批", "Waiting for lead"},
	"status_lead_approved": {"待部门负责人审批", "Waiting for department head"},
	"status_approved":      {"已批准", "Approved"},
	"status_denied":        {"已拒绝", "Denied"},
	"status_expired":       {"已过期", "Expired"},
	"status_withdrawn":     {"已撤回", "Withdrawn"},
	"act_request":          {"提交申请", "filed"},
	"act_approve":          {"批准", "approved"},
	"act_deny":             {"拒绝", "denied"},
	"act_withdraw":         {"撤回", "withdrew"},
	"act_expire":           {"超时过期", "expired"},
	"lang_switch":          {"English", "中文"},
	"compat_title":         {"解密后无法访问的网站", "Sites that break under interception"},
	"uses":                 {"发送次数", "Sends"},
	"days_n":               {"%d 天", "%d days"},
	"uses_text":            {"已发送 %d 次，还可发送 %d 次（共 %d 次）", "%d sent, %d left (of %d)"},
	"uses_gone":            {"已用完（%d/%d 次），如需再次发送请重新申请", "used up (%d of %d); file a new request to send again"},
	"expired_on":           {"已于 %s 过期，如需再次发送请重新申请", "expired on %s; file a new request to send again"},
	"next_step":            {"下一步：等待%s（%s）审批", "Next: %s (%s) decides"},
	"stage_lead":           {"直属上级", "lead"},
	"stage_head":           {"部门负责人", "department head"},
	"after_approve":        {"批准后，申请人重新发送同一文件即可。", "Once approved, the requester sends the same file again."},
	"again_intro":          {"%s。已按原申请填好以下内容，确认后提交即可。", "%s. The form is filled in from that request; check it and submit."},
	"again":                {"再次申请", "Request again"},
	"again_from":           {"已按申请 %s 填好以下内容，确认后提交即可。", "The form is filled in from request %s; check it and submit."},
	"message_text":         {"消息正文", "Message text"},
	"mark_id":              {"水印号", "mark"},
	"doc_preview":          {"内容预览（已脱敏）", "Content preview (masked)"},
	"doc_ocr":              {"图片中识别出的文字（已脱敏）", "Text read from the image (masked)"},
	"doc_customers":        {"命中客户名单 %d 条", "%d customer-list entries matched"},
	"doc_customers_some":   {"，其中：", ". Among them: "},
	"doc_pending":          {"预览正在生成，请稍后刷新页面。", "The preview is being prepared; reload the page in a moment."},
	"doc_too_large":        {"文件太大，不生成内容预览（上限 %d MB）。", "File too large for a content preview (limit %d MB)."},
	"doc_failed":           {"无法读取此文件的内容预览。", "This file's content cannot be previewed."},
	"doc_empty":            {"未读取到文字内容。", "No text was read from this file."},
	"doc_more":             {"仅显示开头部分。", "Only the beginning is shown."},
	"action_hint":          {"如 upload 或 approval.", "e.g. upload or approval."},
	"note_not_pdf":         {"未加水印：不是 PDF 或图片", "unmarked: not a PDF or image"},
	"note_integrity":       {"未加水印：上传方式校验原文件哈希", "unmarked: the upload declares the original's hash"},
	"note_unmarkable":      {"未加水印：文件无法加水印", "unmarked: the file could not be watermarked"},
	"verdict_allow":        {"已放行", "allowed"},
	"verdict_block":        {"已拦截", "blocked"},
	"verdict_approval":     {"需审批", "held for approval"},
	"verdict_watermark":    {"加水印后放行", "allowed with a watermark"},
	"verdict_error":        {"处理失败", "failed"},
	"do_upload":            {"上传", "upload"},
	"do_message":           {"发送消息", "message"},
	"do_approval.request":  {"提交申请", "request filed"},
	"do_approval.approve":  {"批准", "approved"},
	"do_approval.deny":     {"拒绝", "denied"},
	"do_approval.withdraw": {"撤回", "withdrawn"},
	"do_approval.expire":   {"申请超时过期", "request expired"},
	"do_compat.tls":        {"网站无法解密访问", "site breaks under interception"},
	"do_proxy.refused":     {"代理拒绝连接", "proxy refused a connection"},
	"do_user.add":          {"添加用户", "user added"},
	"do_user.update":       {"修改用户", "user changed"},
	"do_user.passwd":       {"修改密码", "password changed"},
	"do_token.issue":       {"签发令牌", "token issued"},
	"do_token.revoke":      {"吊销令牌", "tokens revoked"},
	"do_token.pair":        {"扩展配对", "extension paired"},
	"do_mark.manual":       {"手动加水印", "marked by hand"},
	"do_customers.import":  {"导入客户名单", "customer list imported"},
	"do_customers.clear":   {"清空客户名单", "customer list cleared"},
	"do_fingerprints.add":  {"登记敏感文件", "sensitive file registered"},
	"do_archive.prune":     {"清理归档", "archive pruned"},
	"do_blobs.sweep":       {"清理孤立文件", "orphan files swept"},
	"do_audit.rekey":       {"审计链换钥", "audit chain rekeyed"},
	"do_tamper":            {"篡改告警", "tamper alert"},
	"do_risk.alert":        {"异常活动预警", "unusual activity alert"},
	"do_archive.search":    {"搜索归档", "archive searched"},
	"do_user.depart":       {"登记离职", "leaving date set"},
	"compat_hint":          {"这些网站拒绝了 Sluice 的 TLS 连接。若网站可信且无法检查，请把它加入策略的 bypass.hosts 并注明原因。", "These sites refused Sluice's TLS connection. If a site is trusted and cannot be inspected, add it to bypass.hosts in the policy with the reason."},
}

// Lang is a chosen language: "zh-CN" or "en".
type Lang string

// T returns the text for key in this language, or the key itself when unknown.
func (l Lang) T(key string) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	if l == "en" {
		return m[1]
	}
	return m[0]
}

const langCookie = "sluice_lang"

// pageLang picks the console language: ?lang= (remembered in a cookie), then the cookie, then zh-CN.
func pageLang(w http.ResponseWriter, r *http.Request) Lang {
	if q := r.URL.Query().Get("lang"); q != "" {
		l := normLang(q)
		if w != nil {
			http.SetCookie(w, &http.Cookie{Name: langCookie, Value: string(l), Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteStrictMode})
		}
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil {
		return normLang(c.Value)
	}
	return "zh-CN"
}

// apiLang picks the API language: ?lang=, then Accept-Language, then zh-CN.
func apiLang(r *http.Request) Lang {
	if q := r.URL.Query().Get("lang"); q != "" {
		return normLang(q)
	}
	if strings.HasPrefix(strings.ToLower(r.Header.Get("Accept-Language")), "en") {
		return "en"
	}
	return "zh-CN"
}

func normLang(s string) Lang {
	if strings.HasPrefix(strings.ToLower(s), "en") {
		return "en"
	}
	return "zh-CN"
}
