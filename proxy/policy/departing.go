package policy

import (
	"fmt"

	"github.com/sluice-dlp/sluice/proxy/inspect"
	"gopkg.in/yaml.v3"
)

// DepartingSettings are the stricter rules for staff who are leaving (sluice users depart): the weeks
// before a rep resigns are when customer lists walk out.
type DepartingSettings struct {
	CustomerData Verdict `yaml:"customer_data"` // any customer-list match or contact record, to any site but corporate
	PersonalFile Verdict `yaml:"personal_file"` // any other file to a personal channel
	MarkNote     string  `yaml:"mark_note"`     // added to the visible watermark
}

// departing tightens d for a departing user's upload: the stricter verdict wins.
func (p *Policy) departing(in Input, add func(Verdict, string, string, string), where string) {
	s := p.Departing
	for i, r := range in.Results {
		if r == nil {
			continue
		}
		name := r.Type
		if i < len(in.Names) && in.Names[i] != "" {
			name = in.Names[i]
		}
		if n := customerRecords(r); n > 0 {
			add(s.CustomerData, "departing_customer_data", fmt.Sprintf("离职交接期：「%s」含客户资料（客户或联系人记录 %d 条），发往%s", name, n, where),
				fmt.Sprintf("departing staff: %s holds customer data (%d customer or contact records), to %s", name, n, where))
		} else if in.Dest.Personal() {
			add(s.PersonalFile, "departing_file", fmt.Sprintf("离职交接期：文件「%s」发往个人渠道%s", name, where),
				fmt.Sprintf("departing staff: file %s going to the personal channel %s", name, where))
		}
	}
	for _, m := range in.Messages {
		if n := customerRecords(m); n > 0 {
			add(s.CustomerData, "departing_customer_data", fmt.Sprintf("离职交接期：消息含客户资料（客户或联系人记录 %d 条），发往%s", n, where),
				fmt.Sprintf("departing staff: the message holds customer data (%d customer or contact records), to %s", n, where))
		}
	}
}

// customerRecords counts the customers in r: customer-list entries or contact records, whichever is more
// (a listed customer's row is usually a contact record too: adding them would count each twice).
func customerRecords(r *inspect.Result) int {
	if r == nil {
		return 0
	}
	return max(r.Count(inspect.KindCustomer), r.Count(inspect.KindContactRecord))
}

// MarkTemplate is the visible watermark for a user's files: the policy's, with the departing note for
// a user who is leaving (the proxy and sluice mark both use it).
func (p *Policy) MarkTemplate(departing bool) string {
	if departing && p.Departing.MarkNote != "" {
		return p.Watermark.Template + " · " + p.Departing.MarkNote
	}
	return p.Watermark.Template
}

// validateDeparting checks the departing section; a missing one takes the defaults.
func (p *Policy) validateDeparting(root *yaml.Node) error {
	d := &p.Departing
	if d.CustomerData == "" {
		d.CustomerData = Block
	}
	if d.PersonalFile == "" {
		d.PersonalFile = Approval
	}
	if d.MarkNote == "" {
		d.MarkNote = "离职交接期"
	}
	at := lineOf(root, "departing")
	for key, v := range map[string]Verdict{"customer_data": d.CustomerData, "personal_file": d.PersonalFile} {
		if _, ok := severity[v]; !ok {
			return p.problem(at, "departing.%s = %q 不是 allow、block、approval 或 watermark", "departing.%s = %q is not allow, block, approval or watermark", key, v)
		}
		if v == Allow {
			return p.problem(at, "departing.%s 不能是 allow：离职交接期的规则只能比平时更严", "departing.%s cannot be allow: the departing rules may only be stricter", key)
		}
	}
	return nil
}
