package inspect

import (
	"strings"
	"unicode/utf8"
)

// MaskText returns s with every detected value masked (138****5678, 1101**********1234,
// z***@qq.com), for excerpts and logs. Text around the values is kept as written; a masked
// value is shown in its normalised form (without +86 or separators).
func MaskText(s string) string {
	v := newView(s, true)
	return maskMatches(s, v, findAll(v.text))
}

// maskMatches replaces the matches ms (offsets in the folded view v of s) in s.
func maskMatches(s string, v view, ms []match) string {
	if len(ms) == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, m := range ms {
		st, en := v.origOffset(m.start), v.origOffset(m.end)
		if st < last {
			continue // overlaps a value already masked
		}
		b.WriteString(s[last:st])
		b.WriteString(maskValue(m.kind, m.value))
		last = en
	}
	b.WriteString(s[last:])
	return b.String()
}

// maskValue masks one normalised value of the given kind.
func maskValue(kind, v string) string {
	switch kind {
	case KindPhone:
		return keepEnds(v, 3, 4)
	case KindLandline:
		return keepEnds(v, areaCodeLen(v), 4)
	case KindIDNumber, KindBankCard:
		return keepEnds(v, 4, 4)
	case KindEmail:
		at := strings.LastIndexByte(v, '@')
		if at <= 0 {
			return "***"
		}
		return v[:1] + "***" + v[at:]
	case KindWeChatID:
		if isMobile(v) {
			return keepEnds(v, 3, 4)
		}
		return keepEnds(v, 2, 1)
	case KindQQ:
		return keepEnds(v, 2, 2)
	}
	return maskName(v)
}

// keepEnds keeps the first a and last z bytes of an ASCII value and stars the middle; at
// least a third of the value is always starred.
func keepEnds(v string, a, z int) string {
	for a+z > len(v)*2/3 && (a > 0 || z > 0) {
		if a > z {
			a--
		} else {
			z--
		}
	}
	return v[:a] + strings.Repeat("*", len(v)-a-z) + v[len(v)-z:]
}

// maskName masks a name or other text: first and last character kept for short names,
// first two and last two for long ones (上海****公司).
func maskName(s string) string {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	r := []rune(s)
	switch {
	case n == 0:
		return ""
	case n <= 2:
		return string(r[:1]) + "*"
	case n <= 5:
		return string(r[:1]) + strings.Repeat("*", n-2) + string(r[n-1:])
	default:
		return string(r[:2]) + "****" + string(r[n-2:])
	}
}
