package inspect

import (
	"strings"
	"unicode/utf8"
)

// view is a segment's text folded to ASCII widths, with a map back to the original bytes.
type view struct {
	text string
	orig []int // orig[i] = offset in the original of folded byte i; nil when identical
}

// newView folds s; withMap asks for the offset map (needed only to mask the original).
func newView(s string, withMap bool) view {
	t, orig := foldMap(s, withMap)
	return view{text: t, orig: orig}
}

// origOffset maps a folded byte offset back to the original text.
func (v view) origOffset(i int) int {
	if v.orig == nil {
		return i
	}
	return v.orig[i]
}

func isEmailLocal(c byte) bool {
	return isASCIIAlnum(c) || c == '.' || c == '%' || c == '+' || c == '-'
}
func isEmailDomain(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '.'
}
func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// findEmails finds e-mail addresses (local@domain.tld) in folded text t.
func findEmails(t string) []match {
	var out []match
	from := 0
	for {
		k := strings.IndexByte(t[from:], '@')
		if k < 0 {
			return out
		}
		at := from + k
		from = at + 1
		s := at
		for s > 0 && isEmailLocal(t[s-1]) && at-s < 64 {
			s--
		}
		for s < at && (t[s] == '.' || t[s] == '-' || t[s] == '+') {
			s++ // a local part does not start with punctuation
		}
		e := at + 1
		for e < len(t) && isEmailDomain(t[e]) && e-at < 255 {
			e++
		}
		for e > at+1 && (t[e-1] == '.' || t[e-1] == '-') {
			e-- // sentence punctuation after the address
		}
		if s == at || e == at+1 {
			continue
		}
		dom := t[at+1 : e]
		dot := strings.LastIndexByte(dom, '.')
		if dot <= 0 || len(dom)-dot-1 < 2 || strings.Contains(dom, "..") {
			continue
		}
		tld := dom[dot+1:]
		okTLD := true
		for i := 0; i < len(tld); i++ {
			if !isASCIILetter(tld[i]) {
				okTLD = false
				break
			}
		}
		if !okTLD {
			continue
		}
		out = append(out, match{start: s, end: e, kind: KindEmail, value: strings.ToLower(t[s:e])})
		from = e
	}
}

// Labels that make the value after them a WeChat ID or QQ number.
var (
	wechatLabels = []string{"微信", "威信", "v信", "wechat", "weixin", "wx", "vx"}
	qqLabels     = []string{"qq", "扣扣"}
)

// gapRunes may stand between a label and its value ("微信号：", "QQ: ", "wx/").
const gapRunes = " :：号码是为=/／()-#\t"

// findLabelled finds WeChat IDs and QQ numbers that follow one of their labels within a
// few separator characters; unlabelled values are never reported.
func findLabelled(t string) []match {
	var out []match
	lower := asciiLower(t)
	for _, l := range wechatLabels {
		out = labelled(t, lower, l, KindWeChatID, out)
	}
	for _, l := range qqLabels {
		out = labelled(t, lower, l, KindQQ, out)
	}
	return out
}

// asciiLower lower-cases ASCII letters only, so byte offsets stay the same.
func asciiLower(t string) string {
	i := 0
	for i < len(t) && !(t[i] >= 'A' && t[i] <= 'Z') {
		i++
	}
	if i == len(t) {
		return t
	}
	b := []byte(t)
	for ; i < len(b); i++ {
		if b[i] >= 'A' && b[i] <= 'Z' {
			b[i] += 'a' - 'A'
		}
	}
	return string(b)
}

// labelled finds values of one kind after each occurrence of label in lower.
func labelled(t, lower, label, kind string, out []match) []match {
	from := 0
	for {
		k := strings.Index(lower[from:], label)
		if k < 0 {
			return out
		}
		ls := from + k
		le := ls + len(label)
		from = le
		if isASCIILetter(label[0]) && ls > 0 && isASCIILetter(lower[ls-1]) {
			continue // "wx" inside a word
		}
		if isASCIILetter(label[len(label)-1]) && le < len(lower) && isASCIILetter(lower[le]) &&
			!(le+2 <= len(lower) && lower[le:le+2] == "id" && (le+2 == len(lower) || !isASCIIAlnum(lower[le+2]))) {
			continue // "wxid_..." or "vxlan": the label runs on into a word
		}
		p := skipGap(lower, le)
		var e int
		if kind == KindQQ {
			e = qqValue(t, p)
		} else {
			e = wechatValue(t, p)
		}
		if e > p {
			out = append(out, match{start: p, end: e, kind: kind, value: t[p:e]})
			from = e
		}
	}
}

// skipGap skips up to four separator runes (and an "id"/"ID" word) after a label.
func skipGap(lower string, p int) int {
	for n := 0; n < 4 && p < len(lower); n++ {
		if strings.HasPrefix(lower[p:], "id") && (p+2 == len(lower) || !isASCIIAlnum(lower[p+2])) {
			p += 2
			continue
		}
		if strings.HasPrefix(lower[p:], "账号") {
			p += len("账号")
			continue
		}
		r, size := utf8.DecodeRuneInString(lower[p:])
		if !strings.ContainsRune(gapRunes, r) {
			break
		}
		p += size
	}
	return p
}

// qqValue returns the end of a QQ number (5-11 digits, no leading 0) at p, or p.
func qqValue(t string, p int) int {
	e := p
	for e < len(t) && isDigit(t[e]) {
		e++
	}
	if e-p < 5 || e-p > 11 || t[p] == '0' || (e < len(t) && isASCIILetter(t[e])) {
		return p
	}
	return e
}

// wechatValue returns the end of a WeChat ID at p: 6-20 characters starting with a letter
// (letters, digits, '_' and '-'), or an 11-digit mobile number; p when there is none.
func wechatValue(t string, p int) int {
	e := p
	for e < len(t) && (isASCIIAlnum(t[e]) || t[e] == '-') {
		e++
	}
	if e == p || e-p > 20 {
		return p
	}
	v := t[p:e]
	if isASCIILetter(v[0]) && len(v) >= 6 {
		return e
	}
	if isMobile(v) {
		return e
	}
	return p
}

// countKeywords adds the number of occurrences of each keyword in text to counts.
func countKeywords(text string, keywords []string, counts []int) {
	lower := asciiLower(text)
	for i, k := range keywords {
		if k != "" {
			counts[i] += strings.Count(lower, k)
		}
	}
}
