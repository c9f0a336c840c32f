package inspect

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// CustomerIndex looks up normalised customer-list values (see NormalizeField); the store's
// in-memory index implements it by hashing the value with its secret salt.
type CustomerIndex interface {
	// LookupCustomer returns the id of the customer-list entry whose field has this value.
	LookupCustomer(field, normalized string) (entryID uint64, ok bool)
	// Len is the number of hashed values in the list.
	Len() int
}

// FingerprintIndex looks up registered sensitive files by their hashes.
type FingerprintIndex interface {
	// LookupSHA256 returns the registered file name for a whole-file sha256 (lower-case hex).
	LookupSHA256(sha256hex string) (name string, ok bool)
	// LookupBlockList returns the registered file name whose 4 MiB block MD5 list (hex, as
	// netdisks declare it in block_list) matches md5s; a matching first block is enough.
	LookupBlockList(md5s []string) (name string, ok bool)
	// LookupMD5 returns the registered file name for a whole-file MD5 (netdisks' content-md5).
	LookupMD5(md5hex string) (name string, ok bool)
	// Len is the number of registered files.
	Len() int
}

// DetectOptions configures a Detector.
type DetectOptions struct {
	Keywords     []string         // keyword dictionary, e.g. 客户, 报价, 合同, 联系人
	Customers    CustomerIndex    // the company's customer list; may be nil
	Fingerprints FingerprintIndex // registered sensitive files; may be nil
}

// maxSamples is how many masked examples are kept per finding kind.
const maxSamples = 5

// maxPiece bounds how much of one segment is examined at a time.
const maxPiece = 1 << 20

// kindOrder is the order in which Findings reports kinds.
var kindOrder = []string{KindPhone, KindLandline, KindEmail, KindIDNumber, KindBankCard, KindWeChatID,
	KindQQ, KindKeyword, KindContactRecord, KindCustomer, KindFingerprint}

// tally counts one kind of finding and keeps a few masked samples.
type tally struct {
	count   int
	ocr     int // of count, found in text recognised by OCR
	detail  string
	samples []Sample
}

// Detector finds sensitive values in a stream of segments; it implements Sink. Its memory
// stays bounded: counts, five samples per kind and the set of customer entries hit. A
// Detector is not safe for concurrent use; use one per scanned part.
type Detector struct {
	opt       DetectOptions
	keywords  []string
	kwCounts  []int
	kwBefore  []int // scratch: counts before the current piece
	kwSeen    []bool
	tallies   map[string]*tally
	customers map[uint64]bool
	custOCR   int  // customer entries first hit in OCR text
	ocr       bool // the segment being examined was recognised by OCR

	seenCompany, seenContact map[string]bool // per-piece scratch of EDM candidates
}

// NewDetector returns a Detector with the given keywords and indexes.
func NewDetector(o DetectOptions) *Detector {
	d := &Detector{opt: o, tallies: map[string]*tally{}, customers: map[uint64]bool{}}
	for _, k := range o.Keywords {
		k = asciiLower(FoldWidth(strings.TrimSpace(k)))
		if k != "" {
			d.keywords = append(d.keywords, k)
		}
	}
	d.kwCounts = make([]int, len(d.keywords))
	d.kwSeen = make([]bool, len(d.keywords))
	return d
}

// Segment examines one segment of extracted text; it never fails.
func (d *Detector) Segment(s Segment) error {
	d.ocr = s.OCR
	text := s.Text
	for len(text) > maxPiece {
		cut := pieceEnd(text, maxPiece)
		d.piece(text[:cut], s.Location)
		text = text[cut:]
	}
	d.piece(text, s.Location)
	return nil
}

// pieceEnd returns where to cut text near n: after a newline or space if one is close, and
// never inside a UTF-8 sequence.
func pieceEnd(text string, n int) int {
	lo := max(0, n-1024)
	if k := strings.LastIndexAny(text[lo:n], "\n\t "); k >= 0 {
		return lo + k + 1
	}
	for n > 0 && !utf8.RuneStart(text[n]) {
		n--
	}
	return n
}

// piece runs every detector over one bounded piece of text.
func (d *Detector) piece(text, loc string) {
	if text == "" {
		return
	}
	t := newView(text, false).text
	ms := findAll(t)
	idents := 0
	for _, m := range ms {
		d.add(m.kind, maskValue(m.kind, m.value), loc)
		if isContactIdentifier(m.kind) {
			idents++
		}
	}
	if len(d.keywords) > 0 {
		d.kwBefore = append(d.kwBefore[:0], d.kwCounts...)
		countKeywords(t, d.keywords, d.kwCounts)
		for i := range d.keywords {
			if n := d.kwCounts[i] - d.kwBefore[i]; n > 0 {
				d.addN(KindKeyword, n, d.keywords[i], loc, !d.kwSeen[i])
				d.kwSeen[i] = true
			}
		}
	}
	if idents > 0 && hasNameField(t) {
		sample := ""
		if tl := d.tallies[KindContactRecord]; tl == nil || len(tl.samples) < maxSamples {
			sample = excerpt(maskMatches(t, view{text: t}, ms), 60)
		}
		d.add(KindContactRecord, sample, loc)
	}
	if d.opt.Customers != nil {
		d.matchCustomers(t, ms, idents > 0, loc)
	}
}

// isContactIdentifier reports whether a finding kind is a way to reach a person, which
// together with a name makes a contact record (ID and card numbers are not).
func isContactIdentifier(kind string) bool {
	switch kind {
	case KindPhone, KindLandline, KindEmail, KindWeChatID, KindQQ:
		return true
	}
	return false
}

// findAll returns the e-mail addresses, labelled WeChat/QQ values and numbers in folded
// text t, ordered by position. Numbers inside e-mail addresses are not reported twice.
func findAll(t string) []match {
	ms := findEmails(t)
	skip := make([]span, 0, len(ms))
	for _, m := range ms {
		skip = append(skip, span{m.start, m.end})
	}
	lab := findLabelled(t)
	for _, m := range lab {
		if inSpan(skip, m.start) < 0 {
			ms = append(ms, m)
		}
	}
	ms = append(ms, findNumbers(t, skip)...)
	slices.SortStableFunc(ms, func(a, b match) int { return a.start - b.start })
	return ms
}

// hasNameField reports whether a segment holds a name-like field: a cell that is a person
// or company name, a person name in free text, a company name, or a Latin "First Last".
func hasNameField(t string) bool {
	if strings.IndexByte(t, '\t') >= 0 {
		for _, cell := range strings.Split(t, "\t") {
			cell = strings.TrimSpace(cell)
			if isPersonName(cell) || isCompanyName(cell) {
				return true
			}
		}
	}
	return isCompanyName(t) || hasLatinName(t) || len(personNamesInText(t, 1)) > 0
}

// add counts one finding of kind with a masked sample.
func (d *Detector) add(kind, sample, loc string) { d.addN(kind, 1, sample, loc, true) }

// addN counts n findings of kind; keepSample asks to keep the sample when there is room.
func (d *Detector) addN(kind string, n int, sample, loc string, keepSample bool) {
	t := d.tallies[kind]
	if t == nil {
		t = &tally{}
		d.tallies[kind] = t
	}
	t.count += n
	if d.ocr {
		t.ocr += n
	}
	if keepSample && len(t.samples) < maxSamples {
		for _, s := range t.samples {
			if s.Value == sample {
				return
			}
		}
		t.samples = append(t.samples, Sample{Value: sample, Location: loc})
	}
}

// CheckFingerprint reports a fingerprint finding when the part's sha256 (hex) belongs to a
// registered sensitive file.
func (d *Detector) CheckFingerprint(sha256hex string) {
	if d.opt.Fingerprints == nil || sha256hex == "" {
		return
	}
	if name, ok := d.opt.Fingerprints.LookupSHA256(strings.ToLower(sha256hex)); ok {
		d.fingerprint(name, "sha256 "+shortHash(sha256hex))
	}
}

// CheckBlockList reports a fingerprint finding when a declared 4 MiB block MD5 list (a
// netdisk's "rapid upload" that sends hashes instead of bytes) matches a registered file.
func (d *Detector) CheckBlockList(md5s []string) {
	if d.opt.Fingerprints == nil || len(md5s) == 0 {
		return
	}
	low := make([]string, len(md5s))
	for i, m := range md5s {
		low[i] = strings.ToLower(strings.TrimSpace(m))
	}
	if name, ok := d.opt.Fingerprints.LookupBlockList(low); ok {
		d.fingerprint(name, "block md5 "+shortHash(low[0]))
	}
}

// CheckMD5 reports a fingerprint finding when a declared whole-file MD5 (content-md5 of a
// netdisk rapid upload) belongs to a registered sensitive file.
func (d *Detector) CheckMD5(md5hex string) {
	if d.opt.Fingerprints == nil || md5hex == "" {
		return
	}
	if name, ok := d.opt.Fingerprints.LookupMD5(strings.ToLower(strings.TrimSpace(md5hex))); ok {
		d.fingerprint(name, "md5 "+shortHash(md5hex))
	}
}

// fingerprint counts one registered-file match; Detail lists the first few file names.
func (d *Detector) fingerprint(name, sample string) {
	d.add(KindFingerprint, sample, "")
	t := d.tallies[KindFingerprint]
	switch {
	case t.detail == "":
		t.detail = name
	case t.count <= maxSamples && !strings.Contains(t.detail, name):
		t.detail += ", " + name
	}
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}

// CustomerIDs returns the ids of the customer-list entries found so far, sorted.
func (d *Detector) CustomerIDs() []uint64 {
	ids := make([]uint64, 0, len(d.customers))
	for id := range d.customers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Findings returns what was found so far, one Finding per kind with a count, in a fixed
// order; customer_match counts distinct customer-list entries. Never nil.
func (d *Detector) Findings() []Finding {
	out := []Finding{}
	for _, k := range kindOrder {
		t := d.tallies[k]
		if t == nil || t.count == 0 {
			continue
		}
		f := Finding{Kind: k, Count: t.count, OCR: t.ocr, Detail: t.detail, Samples: append([]Sample(nil), t.samples...)}
		switch k {
		case KindCustomer:
			f.Count, f.OCR = len(d.customers), d.custOCR // distinct entries, not occurrences
		case KindKeyword:
			f.Detail = d.keywordDetail()
		}
		out = append(out, f)
	}
	return out
}

// keywordDetail lists the keywords found with their counts, most frequent first.
func (d *Detector) keywordDetail() string {
	idx := make([]int, 0, len(d.keywords))
	for i, n := range d.kwCounts {
		if n > 0 {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return d.kwCounts[idx[a]] > d.kwCounts[idx[b]] })
	parts := make([]string, len(idx))
	for i, k := range idx {
		parts[i] = fmt.Sprintf("%s×%d", d.keywords[k], d.kwCounts[k])
	}
	return strings.Join(parts, ", ")
}

// excerpt shortens s to at most n runes, marking the cut with "…".
func excerpt(s string, n int) string {
	if len(s) > 8*n {
		s = s[:pieceEnd(s, 8*n)]
	}
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for k := range s {
		if i == n {
			return s[:k] + "…"
		}
		i++
	}
	return s
}
