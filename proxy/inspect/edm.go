package inspect

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Exact data match (EDM) against the company's customer list.
//
// The store keeps only HMAC-SHA256 hashes (secret per-store salt) of values normalised by
// NormalizeField; the index hashes each candidate the same way. A customer-list entry is
// hit by a segment when:
//   - one of its phone numbers or e-mail addresses appears (found by the detectors), or
//   - its company name (4+ characters after normalisation) is a whole cell, a token between
//     separators, or a Han run ending in 公司/集团 in free text, or
//   - its contact name is a whole cell or a person name in free text AND the segment also
//     holds an identifier (phone, e-mail, WeChat, QQ) AND no phone, e-mail or company of
//     the list matched in the segment: a common name alone is not evidence.
// customer_match counts distinct entries over the whole part.

// tokenSeparators split free text into tokens that may be company names.
const tokenSeparators = "\t\n\r ,;:|/、。；：，!?！？\"“”'‘’<>《》[]【】"

// maxCandidates bounds the index lookups per segment piece.
const maxCandidates = 512

// matchCustomers looks up the candidates of one piece of folded text t.
func (d *Detector) matchCustomers(t string, ms []match, hasIdent bool, loc string) {
	ix := d.opt.Customers
	budget := maxCandidates
	strongHit := false // a phone, e-mail or company of the list is in this piece
	// Entries first hit here, each with the sample a reviewer reads: the masked company or contact name
	// when the piece holds one of the entry's, else the masked phone or e-mail that matched.
	type hit struct {
		id     uint64
		sample string
		named  bool
	}
	var hits []hit
	defer func() {
		for _, h := range hits {
			d.add(KindCustomer, h.sample, loc)
		}
	}()
	look := func(field, norm, maskKind, raw string) {
		if budget <= 0 || norm == "" {
			return
		}
		budget--
		id, ok := ix.LookupCustomer(field, norm)
		if !ok {
			return
		}
		strongHit = strongHit || field != FieldContact
		named := field == FieldCompany || field == FieldContact
		if !d.customers[id] {
			d.customers[id] = true
			if d.ocr {
				d.custOCR++
			}
			hits = append(hits, hit{id, maskValue(maskKind, raw), named})
			return
		}
		for i := range hits {
			if named && hits[i].id == id && !hits[i].named {
				hits[i].sample, hits[i].named = maskValue(maskKind, raw), true
			}
		}
	}
	for _, m := range ms {
		switch m.kind {
		case KindPhone, KindLandline, KindEmail:
			look(fieldOf(m.kind), m.value, m.kind, m.value)
		case KindWeChatID:
			if isMobile(m.value) {
				look(FieldPhone, m.value, KindPhone, m.value)
			}
		}
	}
	if d.seenCompany == nil {
		d.seenCompany, d.seenContact = map[string]bool{}, map[string]bool{}
	}
	clear(d.seenCompany)
	clear(d.seenContact)
	companyNorm := func(n, raw string) {
		if c := utf8.RuneCountInString(n); c < 4 || c > 80 || d.seenCompany[n] || allDigits(n) {
			return
		}
		d.seenCompany[n] = true
		look(FieldCompany, n, "", raw)
	}
	var contacts [][2]string // normalised and raw contact-name candidates
	contact := func(s string) {
		if strings.ContainsAny(s, "@0123456789") {
			return
		}
		n := NormalizeName(s)
		if c := utf8.RuneCountInString(n); c < 2 || c > 30 || d.seenContact[n] {
			return
		}
		d.seenContact[n] = true
		contacts = append(contacts, [2]string{n, s})
	}
	tabbed := strings.IndexByte(t, '\t') >= 0
	for _, cell := range strings.Split(t, "\t") {
		if budget <= 0 {
			break
		}
		cell = strings.TrimSpace(cell)
		if cell == "" {
			continue
		}
		if !hasLetters(cell) || strings.IndexByte(cell, '@') >= 0 {
			continue // numbers, dates, amounts, addresses: identifiers were looked up above
		}
		companyNorm(NormalizeName(cell), cell)
		if hasIdent && len(cell) <= 120 {
			contact(cell)
		}
		split := strings.IndexFunc(cell, isTokenSeparator) >= 0
		if !split && (tabbed || !strings.Contains(cell, "公司") && !strings.Contains(cell, "集团")) {
			continue
		}
		for _, tok := range strings.FieldsFunc(cell, isTokenSeparator) {
			if budget <= 0 {
				break
			}
			n := NormalizeName(tok)
			if tok != cell {
				companyNorm(n, tok)
			}
			if !tabbed {
				companyWindows(n, func(sub string) { companyNorm(sub, sub) })
			}
		}
	}
	if hasIdent && !tabbed {
		for _, name := range personNamesInText(t, 16) {
			contact(name)
		}
	}
	// A contact name only counts when nothing stronger matched here: names repeat across
	// customers (the index maps a shared name to one entry), so a name beside a listed
	// phone or company would add a second, wrong entry.
	if !strongHit {
		for _, c := range contacts {
			look(FieldContact, c[0], "", c[1])
		}
	}
}

// fieldOf returns the customer-list field a finding kind is looked up in.
func fieldOf(kind string) string {
	if kind == KindEmail {
		return FieldEmail
	}
	return FieldPhone
}

// hasLetters reports whether s holds a Han character or a letter.
func hasLetters(s string) bool {
	for _, r := range s {
		if r < utf8.RuneSelf {
			if isASCIILetter(byte(r)) {
				return true
			}
			continue
		}
		if isHan(r) || unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// isTokenSeparator reports whether r is one of tokenSeparators.
func isTokenSeparator(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiSeparator[r]
	}
	return wideSeparator[r]
}

// asciiSeparator and wideSeparator hold tokenSeparators for fast lookup.
var asciiSeparator, wideSeparator = func() ([utf8.RuneSelf]bool, map[rune]bool) {
	var a [utf8.RuneSelf]bool
	w := map[rune]bool{}
	for _, r := range tokenSeparators {
		if r < utf8.RuneSelf {
			a[r] = true
		} else {
			w[r] = true
		}
	}
	return a, w
}()

// companyWindows calls f with every substring of the normalised token tok that ends in
// 公司 or 集团, so "合作方上海某某有限公司" also tries "上海某某有限公司".
func companyWindows(tok string, f func(string)) {
	for _, suf := range []string{"公司", "集团"} {
		from := 0
		for n := 0; n < 8; n++ {
			k := strings.Index(tok[from:], suf)
			if k < 0 {
				break
			}
			end := from + k + len(suf)
			lo := max(0, end-40*4) // names are at most ~40 characters long
			for lo < end && !utf8.RuneStart(tok[lo]) {
				lo++
			}
			for i := range tok[lo:end] {
				f(tok[lo+i : end])
			}
			from = end
		}
	}
}
