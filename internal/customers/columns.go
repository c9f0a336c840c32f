package customers

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/proxy/inspect"
)

// ErrColumns matches (errors.Is) a problem with the column choice: a usage error, name the columns.
var ErrColumns = l10n.Sentinel(l10n.Invalid)

// Columns says which columns hold which field; each may be a header name, a letter (A, AB)
// or a 1-based number, several comma-separated. All empty means "detect from the header".
type Columns struct {
	Company  string
	Contact  string
	Phone    string
	Email    string
	NoHeader bool // the first row is data, not column names
}

// Query encodes c as URL query parameters (company, contact, phone, email, no_header) for the
// daemon's import API; ColumnsFromQuery decodes them.
func (c Columns) Query() url.Values {
	return url.Values{"company": {c.Company}, "contact": {c.Contact}, "phone": {c.Phone}, "email": {c.Email},
		"no_header": {strconv.FormatBool(c.NoHeader)}}
}

// ColumnsFromQuery decodes what Query encoded.
func ColumnsFromQuery(q url.Values) Columns {
	nh, _ := strconv.ParseBool(q.Get("no_header"))
	return Columns{Company: q.Get("company"), Contact: q.Get("contact"), Phone: q.Get("phone"), Email: q.Get("email"), NoHeader: nh}
}

// spec returns the column spec given for field.
func (c Columns) spec(field string) string {
	switch field {
	case inspect.FieldCompany:
		return c.Company
	case inspect.FieldContact:
		return c.Contact
	case inspect.FieldPhone:
		return c.Phone
	}
	return c.Email
}

// fields are the list's columns in the order their headers are recognised (a header
// "客户联系人" is a contact, "公司电话" a phone).
var fields = []struct {
	field   string
	headers []string
}{
	{inspect.FieldEmail, []string{"邮箱", "邮件", "email", "e-mail", "mail"}},
	{inspect.FieldPhone, []string{"手机", "电话", "联系方式", "座机", "phone", "mobile", "tel", "cell"}},
	{inspect.FieldContact, []string{"联系人", "姓名", "contact", "name"}},
	{inspect.FieldCompany, []string{"公司", "客户名称", "客户", "单位", "企业", "company", "customer", "organization", "organisation"}},
}

// notNameHeaders rule a header out as a company or contact column: our own staff (客户经理,
// 销售), identifiers, dates, amounts, notes and addresses.
var notNameHeaders = []string{"经理", "销售", "业务员", "负责人", "备注", "地址", "编号", "代码", "日期", "金额", "级别", "类型",
	"manager", "sales", "owner", "note", "remark", "address", "date", "amount", "type", "level", " id", "_id", "number"}

// companyWords rule a header out as a contact column ("Company Name", "客户名称").
var companyWords = []string{"公司", "单位", "企业", "客户名称", "company", "customer", "organi"}

// headerMatches reports whether header h (lower case) names field.
func headerMatches(field, h string, words []string) bool {
	if field == inspect.FieldCompany || field == inspect.FieldContact {
		if h == "id" || containsAnyOf(h, notNameHeaders) {
			return false
		}
		if field == inspect.FieldContact && containsAnyOf(h, companyWords) {
			return false
		}
	}
	return containsAnyOf(h, words)
}

func containsAnyOf(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// ColumnMap maps each field (inspect.FieldCompany, ...) to the columns holding it.
type ColumnMap map[string][]int

// Fields returns the fields that have at least one column, in a fixed order.
func (m ColumnMap) Fields() []string {
	var used []string
	for _, f := range fields {
		if len(m[f.field]) > 0 {
			used = append(used, f.field)
		}
	}
	return used
}

// Choose resolves the column specs against the first row, or detects the columns from the
// header names; it reports whether the first row is a header. Errors wrap ErrColumns.
func (c Columns) Choose(first []string) (ColumnMap, bool, error) {
	cols := ColumnMap{}
	header := !c.NoHeader
	flagged := false
	for _, f := range fields {
		spec := strings.TrimSpace(c.spec(f.field))
		if spec == "" {
			continue
		}
		flagged = true
		for _, one := range strings.Split(spec, ",") {
			k, err := columnIndex(strings.TrimSpace(one), first, header)
			if err != nil {
				return nil, false, err
			}
			cols[f.field] = append(cols[f.field], k)
		}
	}
	if flagged {
		return cols, header, nil
	}
	if !header {
		return nil, false, l10n.New(l10n.Invalid, "表格没有标题行时，请用 --company/--contact/--phone/--email 指明各列",
			"without a header row, name the columns with --company/--contact/--phone/--email")
	}
	taken := map[int]bool{}
	for _, f := range fields {
		for k, h := range first {
			h = strings.ToLower(strings.TrimSpace(h))
			if !taken[k] && h != "" && headerMatches(f.field, h, f.headers) {
				cols[f.field] = append(cols[f.field], k)
				taken[k] = true
			}
		}
	}
	if len(cols) == 0 {
		return nil, false, l10n.Errorf(l10n.Invalid, "无法从标题行 %q 判断公司、联系人、电话和邮箱在哪一列；请用 --company/--contact/--phone/--email 指明（标题名、列字母或列号）",
			"cannot tell which columns hold company, contact, phone and e-mail from the header %q; name them with --company/--contact/--phone/--email (header name, letter or number)", strings.Join(first, ","))
	}
	return cols, true, nil
}

// columnIndex resolves one column spec: a 1-based number, a letter (A, AB) or a header name.
func columnIndex(spec string, first []string, header bool) (int, error) {
	if n, err := strconv.Atoi(spec); err == nil && n >= 1 && n <= 1<<14 {
		return n - 1, nil
	}
	if header {
		for k, h := range first {
			if strings.EqualFold(strings.TrimSpace(h), spec) {
				return k, nil
			}
		}
	}
	if k, ok := columnLetters(spec); ok {
		return k, nil
	}
	return 0, l10n.Errorf(l10n.Invalid, "没有 %q 这一列（请写标题名、B 这样的列字母或 2 这样的列号）", "no column %q (give a header name, a letter such as B, or a number such as 2)", spec)
}

// columnLetters turns "A" into 0, "AB" into 27; ok is false for anything else.
func columnLetters(s string) (int, bool) {
	if s == "" || len(s) > 3 {
		return 0, false
	}
	n := 0
	for _, r := range strings.ToUpper(s) {
		if r < 'A' || r > 'Z' {
			return 0, false
		}
		n = n*26 + int(r-'A'+1)
	}
	return n - 1, true
}
