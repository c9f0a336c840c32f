package inspect

import (
	"strings"
)

// match is one detected value: its byte span in the folded text, its kind and its
// normalised value (digits for numbers, lower case for e-mail, the ID for WeChat).
type match struct {
	start, end int
	kind       string
	value      string
}

// span is a byte range of the folded text already claimed by another detector.
type span struct{ start, end int }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isASCIIAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

// numGroup is one run of digits inside a number-like token.
type numGroup struct{ start, end int }

// numChunk is a sequence of digit groups joined by hard separators ('-', '.', parentheses,
// a leading '+'); chunks are joined to their neighbours only by single spaces.
type numChunk struct {
	start, end int
	digits     string
	groups     int
	first      string // digits of the first group
	plus       bool   // written with a leading '+'
	x          bool   // ends with an X check character (ID numbers)
	ok         bool   // every group has >= 3 digits, except maybe a leading 2-digit one
	short      bool   // starts with a 2-digit group (allowed only for 86 and after 86)
}

// findNumbers finds CN mobiles, landlines, resident IDs and bank cards in folded text t,
// ignoring anything inside the skip spans (e-mail addresses). It rejects digit runs glued
// to letters, decimals, and runs whose length or checksum fits none of the kinds.
func findNumbers(t string, skip []span) []match {
	var out []match
	var buf []numChunk
	i := 0
	for i < len(t) {
		c := t[i]
		if !(isDigit(c) || ((c == '+' || c == '(') && i+1 < len(t) && (isDigit(t[i+1]) || t[i+1] == '+'))) {
			i++
			continue
		}
		if k := inSpan(skip, i); k >= 0 {
			i = k
			continue
		}
		if i > 0 && (isASCIIAlnum(t[i-1]) || (t[i-1] == '.' && i > 1 && isDigit(t[i-2]))) {
			// inside a word such as "SO2026..." or a decimal: skip the whole token
			i++
			for i < len(t) && (isASCIIAlnum(t[i]) || t[i] == '.' || t[i] == '-') {
				i++
			}
			continue
		}
		var chunks []numChunk
		chunks, end := parseChunks(t, i, buf)
		buf = chunks
		if end < len(t) && (isASCIIAlnum(t[end]) || t[end] == '@') {
			// glued to a word on the right, e.g. "13812345678abc": not a number of ours
			for end < len(t) && (isASCIIAlnum(t[end]) || t[end] == '.' || t[end] == '-') {
				end++
			}
			i = end
			continue
		}
		n := len(out)
		out = classifyChunks(t, chunks, out)
		out = dropByContext(t, out, n)
		if end <= i {
			end = i + 1
		}
		i = end
	}
	return out
}

// Labels that change what a number next to them is. A 12-digit run written without a
// separator and read as 0xxx+8 digits is as likely an invoice code (发票代码) as a landline,
// so it needs a phone label; a card-like number after an order label is an order number.
var (
	phoneLabels   = []string{"电话", "座机", "固话", "传真", "联系", "办公", "总机", "tel", "fax", "phone"}
	notCardLabels = []string{"订单", "单号", "编号", "流水", "交易号", "运单", "快递", "发票", "合同号", "order", "no.", "no:", "invoice", "tracking"}
)

// labelLookBytes is how far before a number its label is looked for.
const labelLookBytes = 24

// dropByContext removes, from out[from:], landlines and bank cards that their preceding
// label (or lack of one) shows to be something else.
func dropByContext(t string, out []match, from int) []match {
	keep := out[:from]
	for _, m := range out[from:] {
		if m.kind != KindLandline && m.kind != KindBankCard {
			keep = append(keep, m)
			continue
		}
		before := asciiLower(t[max(0, m.start-labelLookBytes):m.start])
		switch {
		case m.kind == KindLandline && len(m.value) == 12 && m.end-m.start == 12 && !containsAnyWord(before, phoneLabels):
			continue
		case m.kind == KindBankCard && containsAnyWord(before, notCardLabels):
			continue
		}
		keep = append(keep, m)
	}
	return keep
}

// containsAnyWord reports whether s contains one of words.
func containsAnyWord(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// inSpan returns the end of the skip span containing i, or -1.
func inSpan(skip []span, i int) int {
	for _, s := range skip {
		if i >= s.start && i < s.end {
			return s.end
		}
	}
	return -1
}

// parseChunks reads a number-like token starting at i and splits it into chunks at
// spaces, appending them to buf (reused between calls to save allocations).
func parseChunks(t string, i int, buf []numChunk) ([]numChunk, int) {
	chunks := buf[:0]
	cur := numChunk{start: i, ok: true}
	var scratch [24]byte
	digits := scratch[:0]
	single := ""
	groups := 0
	closeChunk := func(end int) {
		cur.end = end
		cur.groups = groups
		if groups == 1 {
			cur.digits = single
		} else {
			cur.digits = string(digits)
		}
		if groups > 0 {
			chunks = append(chunks, cur)
		}
		digits = digits[:0]
		groups = 0
	}
	j := i
	for j < len(t) {
		st := j
		open := false
		if t[j] == '(' {
			open = true
			j++
		}
		if j < len(t) && t[j] == '+' && groups == 0 {
			cur.plus = true
			j++
		}
		gs := j
		for j < len(t) && isDigit(t[j]) {
			j++
		}
		if j == gs {
			j = st
			break
		}
		if open {
			if j < len(t) && t[j] == ')' {
				j++
			} else {
				j = st // unbalanced '(' ends the token before it
				break
			}
		}
		gd := t[gs:j]
		if open {
			gd = t[gs : j-1]
		}
		if groups == 0 {
			cur.first = gd
			single = gd
		}
		if len(gd) < 3 {
			if groups == 0 && len(gd) == 2 {
				cur.short = true // "86" country code, or "10" after "+86"
			} else {
				cur.ok = false
			}
		}
		if len(digits)+len(gd) <= 40 {
			digits = append(digits, gd...)
		} else {
			cur.ok = false // far too long for any number of ours
		}
		groups++
		if j < len(t) && (t[j] == 'X' || t[j] == 'x') && (j+1 >= len(t) || !isASCIIAlnum(t[j+1])) {
			cur.x = true
			j++
			break
		}
		if j >= len(t) {
			break
		}
		// separators: ')' followed directly by digits, a single '-' or '.', or a space
		if open && isDigit(t[j]) {
			continue
		}
		if j+1 < len(t) && (t[j] == '-' || t[j] == '.') && (isDigit(t[j+1]) || t[j+1] == '(') {
			j++
			continue
		}
		if j+1 < len(t) && t[j] == ' ' && (isDigit(t[j+1]) || t[j+1] == '(' || t[j+1] == '+') {
			closeChunk(j)
			j++
			cur = numChunk{start: j, ok: true}
			continue
		}
		break
	}
	if groups > 0 {
		closeChunk(j)
	}
	return chunks, j
}

// classifyChunks joins consecutive space-separated chunks greedily (longest first) into
// numbers and appends those that classify as a phone, landline, ID or bank card.
func classifyChunks(t string, chunks []numChunk, out []match) []match {
	k := 0
	for k < len(chunks) {
		found := false
		last := min(len(chunks)-1, k+5)
		total := 0
		for j := k; j <= last; j++ {
			total += len(chunks[j].digits)
		}
		for j := last; j >= k; j-- {
			n := total
			total -= len(chunks[j].digits)
			if n < 10 || n > 19 { // no number of ours has fewer or more digits
				continue
			}
			if kind, val, ok := classifyRange(chunks[k : j+1]); ok {
				out = append(out, match{start: chunks[k].start, end: chunks[j].end, kind: kind, value: val})
				k = j + 1
				found = true
				break
			}
		}
		if !found {
			k++
		}
	}
	return out
}

// classifyRange decides what the digits of consecutive chunks are, if anything.
func classifyRange(cs []numChunk) (kind, value string, ok bool) {
	var buf [40]byte
	b := buf[:0]
	groups := 0
	for i, c := range cs {
		if !c.ok || (c.plus && i > 0) || (c.x && i < len(cs)-1) {
			return "", "", false
		}
		if c.short && !(i == 0 && c.first == "86") && !(i == 1 && cs[0].groups == 1 && (cs[0].plus || cs[0].first == "86" || cs[0].first == "0086")) {
			return "", "", false
		}
		b = append(b, c.digits...)
		groups += c.groups
	}
	if len(b) == 0 {
		return "", "", false
	}
	d := string(b)
	first := cs[0].first
	x := cs[len(cs)-1].x
	if x {
		if len(d) == 17 && validResidentID(d+"X") {
			return KindIDNumber, d + "X", true
		}
		return "", "", false
	}
	plus := cs[0].plus
	if first == "86" && groups == 1 && !plus {
		return "", "", false // a lone two-digit group is not a number of ours
	}
	switch {
	case plus || first == "86" || first == "0086":
		// country code: only a CN mobile may follow
		rest := ""
		switch {
		case strings.HasPrefix(d, "0086"):
			rest = d[4:]
		case strings.HasPrefix(d, "86"):
			rest = d[2:]
		}
		if isMobile(rest) {
			return KindPhone, rest, true
		}
		if rest != "" && rest[0] != '0' && isLandline("0"+rest, "", 1) {
			return KindLandline, "0" + rest, true // +86 10 6234 5678: area code without its 0
		}
		return "", "", false
	case isMobile(d):
		return KindPhone, d, true
	case d[0] == '0':
		if isLandline(d, first, groups) {
			return KindLandline, d, true
		}
		return "", "", false
	case len(d) == 18 && validResidentID(d):
		return KindIDNumber, d, true
	case len(d) >= 16 && len(d) <= 19 && validBankCard(d):
		return KindBankCard, d, true
	}
	return "", "", false
}
