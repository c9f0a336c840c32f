// Package inspect turns the bytes of one uploaded part into its real type, extracted text
// facts and findings (phones, IDs, customer-list matches, ...). It knows nothing of HTTP.
package inspect

// Finding kinds reported by Scan; policy rules refer to these names.
const (
	KindPhone         = "phone"          // CN mobile numbers
	KindLandline      = "landline"       // CN landlines with area code
	KindEmail         = "email"          // e-mail addresses
	KindIDNumber      = "id_number"      // 18-digit resident ID, checksum verified
	KindBankCard      = "bank_card"      // bank card numbers, Luhn verified
	KindWeChatID      = "wechat_id"      // labelled WeChat IDs
	KindQQ            = "qq"             // labelled QQ numbers
	KindKeyword       = "keyword"        // configured keyword dictionary hits
	KindContactRecord = "contact_record" // rows/lines holding a name-like field plus an identifier
	KindCustomer      = "customer_match" // exact matches against the company's customer list (EDM)
	KindFingerprint   = "fingerprint"    // whole-file match against a registered sensitive file
	KindDisguised     = "disguised"      // file name extension disagrees with the real type
	KindEncrypted     = "encrypted"      // encrypted archive/PDF/OOXML: content cannot be read
	KindUninspectable = "uninspectable"  // corrupt, over limits, bomb, time budget exceeded
	KindNoText        = "no_text"        // a type that carries no extractable text (images)
)

// Sample is one masked example of a finding with where it was found.
type Sample struct {
	Value    string `json:"value"`              // masked, e.g. 138****5678
	Location string `json:"location,omitempty"` // e.g. "Sheet1!R12", "page 3", "line 40"
}

// Finding is one kind of sensitive content found in a part, with a count.
type Finding struct {
	Kind    string   `json:"kind"`
	Count   int      `json:"count"`
	OCR     int      `json:"ocr,omitempty"`    // how many of Count were read from images by OCR
	Detail  string   `json:"detail,omitempty"` // e.g. keyword list, reason for uninspectable
	Samples []Sample `json:"samples,omitempty"`
}

// Result is what Scan learned about one part.
type Result struct {
	Type     string    `json:"type"`              // short real type: xlsx, docx, pdf, jpeg, png, csv, txt, zip, ...
	MIME     string    `json:"mime"`              // real MIME type by content
	Size     int64     `json:"size"`              // bytes scanned
	SHA256   string    `json:"sha256"`            // hex sha256 of the whole part
	Findings []Finding `json:"findings"`          // never nil after Scan
	Excerpt  string    `json:"excerpt,omitempty"` // short masked text excerpt for reviewers
	// ExcerptCut says the excerpt's last line stops mid-way; ExcerptMore that the file has text after it.
	ExcerptCut  bool       `json:"-"`
	ExcerptMore bool       `json:"-"`
	OCR         *OCRReport `json:"ocr,omitempty"` // what OCR did; nil when it was off or met no image
	// Customers are the ids of the customer-list entries found (sorted): what the file carries of the
	// list, kept with the audit record so a leaked copy can be traced to who sent those customers.
	Customers []uint64 `json:"-"`
}

// Count returns the count of findings of kind k (0 if absent).
func (r *Result) Count(k string) int {
	if r == nil {
		return 0
	}
	n := 0
	for _, f := range r.Findings {
		if f.Kind == k {
			n += f.Count
		}
	}
	return n
}

// Has reports whether a finding of kind k is present.
func (r *Result) Has(k string) bool { return r.Count(k) > 0 }
