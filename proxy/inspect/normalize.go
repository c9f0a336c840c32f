package inspect

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Customer-list fields. The customer index hashes a value together with its field, so the
// same normalised text in two fields gives two different keys.
const (
	FieldCompany = "company" // customer company name
	FieldContact = "contact" // contact person's name
	FieldPhone   = "phone"   // mobile or landline, digits only
	FieldEmail   = "email"   // e-mail address, lower case
)

// This file is the ONE place where values are normalised, both for the detector and for
// `sluice customers import` (which hashes the normalised values with the store's salt).
// Changing a rule here changes the hashes: customer lists must then be re-imported.

// foldRune maps full-width digits, letters and the punctuation numbers and addresses are
// written with (@ . - + ( ) _ #), ideographic and no-break spaces and Unicode dashes to
// their ASCII form; ok is false when r is left as it is.
func foldRune(r rune) (rune, bool) {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E: // Ｆｕｌｌ-width ASCII block
		a := r - 0xFEE0
		if a >= '0' && a <= '9' || a >= 'A' && a <= 'Z' || a >= 'a' && a <= 'z' || strings.ContainsRune("@.-+()_#", a) {
			return a, true
		}
		return r, false // ，：；！ stay as written: Chinese text then needs no copy
	case r == 0x3000 || r == 0x00A0 || r == 0x2002 || r == 0x2003 || r == 0x2009:
		return ' ', true
	case (r >= 0x2010 && r <= 0x2015) || r == 0x2212 || r == 0xFE63:
		return '-', true
	case r == 0x3002 || r == 0xFF61: // 。 is kept as a sentence end, not a dot
		return r, false
	}
	return r, false
}

// FoldWidth returns s with full-width letters, digits and number punctuation, wide spaces
// and Unicode dashes replaced by their ASCII form ("１３８－" → "138-"); Chinese
// punctuation such as ，and ：is kept.
func FoldWidth(s string) string {
	t, _ := foldMap(s, false)
	return t
}

// foldMap folds s like FoldWidth; when withMap is true and anything changed it also returns
// orig, where orig[i] is the byte offset in s of byte i of the result (len(result)+1 long).
func foldMap(s string, withMap bool) (string, []int) {
	first := -1
	for i, r := range s {
		if r < utf8.RuneSelf {
			continue
		}
		if _, ok := foldRune(r); ok {
			first = i
			break
		}
	}
	if first < 0 {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	b = append(b, s[:first]...)
	var orig []int
	if withMap {
		orig = make([]int, 0, len(s)+1)
		for i := 0; i < first; i++ {
			orig = append(orig, i)
		}
	}
	for i := first; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			b = append(b, c)
			if withMap {
				orig = append(orig, i)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		n := len(b)
		if f, ok := foldRune(r); ok {
			b = utf8.AppendRune(b, f)
		} else {
			b = append(b, s[i:i+size]...)
		}
		if withMap {
			for k := n; k < len(b); k++ {
				orig = append(orig, i)
			}
		}
		i += size
	}
	if withMap {
		orig = append(orig, len(s))
	}
	return string(b), orig
}

// NormalizeName normalises a company or person name: width folded, lower case, with
// spaces, punctuation and symbols removed ("Acme Co., Ltd." → "acmecoltd").
func NormalizeName(s string) string {
	s = FoldWidth(s)
	clean := true
	for _, r := range s {
		if !(isHan(r) || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsControl(r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// NormalizeEmail normalises one e-mail address: width folded, trimmed, lower case.
func NormalizeEmail(s string) string {
	return strings.ToLower(strings.TrimSpace(FoldWidth(s)))
}

// NormalizePhone normalises one phone number to its digits, without a +86/0086/86 country
// prefix in front of a mobile number ("+86 138-1234-5678" → "13812345678").
func NormalizePhone(s string) string {
	s = FoldWidth(s)
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			b.WriteByte(c)
		}
	}
	return stripCountryCode(b.String())
}

// stripCountryCode removes a 0086 or 86 prefix in front of an 11-digit CN mobile number.
func stripCountryCode(d string) string {
	for _, p := range []string{"0086", "86"} {
		if len(d) == len(p)+11 && strings.HasPrefix(d, p) && isMobile(d[len(p):]) {
			return d[len(p):]
		}
	}
	return d
}

// ExtractPhones returns every CN mobile and landline number found in s, normalised as by
// NormalizePhone; `sluice customers import` uses it on phone cells.
func ExtractPhones(s string) []string {
	var out []string
	v := newView(s, false)
	for _, m := range findNumbers(v.text, nil) {
		if m.kind == KindPhone || m.kind == KindLandline {
			out = append(out, m.value)
		}
	}
	return out
}

// ExtractEmails returns every e-mail address found in s, normalised as by NormalizeEmail.
func ExtractEmails(s string) []string {
	var out []string
	v := newView(s, false)
	for _, m := range findEmails(v.text) {
		out = append(out, m.value)
	}
	return out
}

// NormalizeField normalises a value of the given customer-list field (FieldCompany, ...).
func NormalizeField(field, s string) string {
	switch field {
	case FieldPhone:
		return NormalizePhone(s)
	case FieldEmail:
		return NormalizeEmail(s)
	default:
		return NormalizeName(s)
	}
}
