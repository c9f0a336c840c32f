package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/store"
	"github.com/urfave/cli/v2"
)

// The store's in-memory indexes are what the inspection engine looks values up in.
var (
	_ inspect.CustomerIndex    = (*store.CustomerIndex)(nil)
	_ inspect.FingerprintIndex = (*store.FingerprintIndex)(nil)
)

func init() {
	register(&cli.Command{
		Name:  "customers",
		Usage: "manage the company's customer list used for exact data match (only salted hashes are stored)",
		Subcommands: []*cli.Command{
			{Name: "import", Usage: "import a customer list from CSV/TSV (UTF-8, UTF-16 or GBK) or XLSX", ArgsUsage: "FILE",
				Action: customersImport,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "company", Usage: "company column: header name, letter (A) or number (1)", EnvVars: []string{"SLUICE_CUSTOMERS_COMPANY"}},
					&cli.StringFlag{Name: "contact", Usage: "contact-name column", EnvVars: []string{"SLUICE_CUSTOMERS_CONTACT"}},
					&cli.StringFlag{Name: "phone", Usage: "phone column(s), comma-separated", EnvVars: []string{"SLUICE_CUSTOMERS_PHONE"}},
					&cli.StringFlag{Name: "email", Usage: "e-mail column(s), comma-separated", EnvVars: []string{"SLUICE_CUSTOMERS_EMAIL"}},
					&cli.BoolFlag{Name: "no-header", Usage: "the first row is data, not column names", EnvVars: []string{"SLUICE_CUSTOMERS_NO_HEADER"}},
				}},
			{Name: "stats", Usage: "show how many entries and hashed values are stored", Action: customersStats,
				Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print one JSON document", EnvVars: []string{"SLUICE_JSON"}}}},
			{Name: "clear", Usage: "delete the whole customer list and its salt", Action: customersClear},
		},
	})
}

// l10n picks the message for the chosen language.
func l10n(c *cli.Context, zh, en string) string {
	if lang(c) == "en" {
		return en
	}
	return zh
}

// openStoreDirect opens the store file for a command that has no daemon API yet; when the
// daemon holds the file it says so and how to proceed.
func openStoreDirect(c *cli.Context, cmd string) (*store.DB, error) {
	dir := dataDir(c)
	db, err := store.Open(filepath.Join(dir, "sluice.db"), filepath.Join(dir, "blobs"))
	if errors.Is(err, store.ErrLocked) {
		return nil, cli.Exit(l10n(c,
			"sluice: 守护进程正在运行，数据库被占用；请先停止它（Ctrl-C），再重新运行 'sluice "+cmd+"'",
			"sluice: the daemon is running; stop it (Ctrl-C) and re-run 'sluice "+cmd+"'"), exitUndecided)
	}
	if err != nil {
		return nil, cli.Exit(err.Error(), exitUndecided)
	}
	return db, nil
}

// customerFields are the list's columns in the order their headers are recognised (a
// header "客户联系人" is a contact, "公司电话" a phone).
var customerFields = []struct {
	field, flag string
	headers     []string
}{
	{inspect.FieldEmail, "email", []string{"邮箱", "邮件", "email", "e-mail", "mail"}},
	{inspect.FieldPhone, "phone", []string{"手机", "电话", "联系方式", "座机", "phone", "mobile", "tel", "cell"}},
	{inspect.FieldContact, "contact", []string{"联系人", "姓名", "contact", "name"}},
	{inspect.FieldCompany, "company", []string{"公司", "客户名称", "客户", "单位", "企业", "company", "customer", "organization", "organisation"}},
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

// columnMap maps each field to the columns holding it.
type columnMap map[string][]int

// chooseColumns resolves the column flags against the header row, or detects the columns
// from the header names; it reports whether the first row is a header.
func chooseColumns(c *cli.Context, first []string) (columnMap, bool, error) {
	cols := columnMap{}
	header := !c.Bool("no-header")
	flagged := false
	for _, f := range customerFields {
		spec := strings.TrimSpace(c.String(f.flag))
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
		return nil, false, fmt.Errorf("--no-header needs the columns named with --company/--contact/--phone/--email")
	}
	taken := map[int]bool{}
	for _, f := range customerFields {
		for k, h := range first {
			h = strings.ToLower(strings.TrimSpace(h))
			if !taken[k] && h != "" && headerMatches(f.field, h, f.headers) {
				cols[f.field] = append(cols[f.field], k)
				taken[k] = true
			}
		}
	}
	if len(cols) == 0 {
		return nil, false, fmt.Errorf("cannot tell which columns hold company, contact, phone and e-mail from the header %q; name them with --company/--contact/--phone/--email (header name, letter or number)", strings.Join(first, ","))
	}
	return cols, true, nil
}

// columnIndex resolves one column spec: a 1-based number, a letter (A, AB) or a header name.
func columnIndex(spec string, first []string, header bool) (int, error) {
	if n, err := strconv.Atoi(spec); err == nil && n >= 1 {
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
	return 0, fmt.Errorf("no column %q (give a header name, a letter such as B, or a number such as 2)", spec)
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

// hashRow normalises and hashes the values of one row; phone and e-mail cells may hold
// several values ("138... / 021-...").
func hashRow(row []string, cols columnMap, salt []byte) store.CustomerHashes {
	var out store.CustomerHashes
	cell := func(k int) string {
		if k < len(row) {
			return strings.TrimSpace(row[k])
		}
		return ""
	}
	seen := map[string]bool{}
	add := func(field, norm string) {
		if norm != "" && !seen[field+"\x00"+norm] {
			seen[field+"\x00"+norm] = true
			out = append(out, store.CustomerKey(salt, field, norm))
		}
	}
	for _, f := range customerFields {
		for _, k := range cols[f.field] {
			v := cell(k)
			if v == "" {
				continue
			}
			switch f.field {
			case inspect.FieldPhone:
				phones := inspect.ExtractPhones(v)
				if len(phones) == 0 {
					if d := inspect.NormalizePhone(v); len(d) >= 7 {
						phones = []string{d}
					}
				}
				for _, p := range phones {
					add(f.field, p)
				}
			case inspect.FieldEmail:
				for _, e := range inspect.ExtractEmails(v) {
					add(f.field, e)
				}
			default:
				add(f.field, inspect.NormalizeName(v))
			}
		}
	}
	return out
}

func customersImport(c *cli.Context) error {
	if c.NArg() != 1 {
		return cli.Exit(l10n(c, "sluice: 请给出一个客户名单文件（CSV 或 XLSX）；见 'sluice customers import --help'",
			"sluice: give one customer-list file (CSV or XLSX); see 'sluice customers import --help'"), exitUsage)
	}
	path := c.Args().First()
	rows, err := readTable(path)
	if err != nil {
		return cli.Exit(err.Error(), exitUndecided)
	}
	if len(rows) == 0 {
		return cli.Exit(l10n(c, "sluice: "+path+" 中没有数据行", "sluice: "+path+" has no rows"), exitUndecided)
	}
	cols, header, err := chooseColumns(c, rows[0])
	if err != nil {
		return cli.Exit("sluice: "+path+": "+err.Error(), exitUsage)
	}
	if header {
		rows = rows[1:]
	}
	db, err := openStoreDirect(c, "customers import")
	if err != nil {
		return err
	}
	defer db.Close()
	salt, err := db.CustomerSalt()
	if err != nil {
		return cli.Exit(err.Error(), exitUndecided)
	}
	entries := make([]store.CustomerHashes, 0, len(rows))
	for _, r := range rows {
		entries = append(entries, hashRow(r, cols, salt))
	}
	res, err := db.ImportCustomers(entries)
	if err != nil {
		return cli.Exit(err.Error(), exitUndecided)
	}
	var used []string
	for _, f := range customerFields {
		if len(cols[f.field]) > 0 {
			used = append(used, f.field)
		}
	}
	fmt.Println(l10n(c,
		fmt.Sprintf("已导入 %d 条客户记录（重复 %d 条，空行 %d 条；字段：%s）。只保存了加盐哈希，没有保存明文。", res.Added, res.Duplicates, res.Empty, strings.Join(used, ", ")),
		fmt.Sprintf("Imported %d customer entries (%d duplicates, %d empty rows; fields: %s). Only salted hashes are stored, no plaintext.", res.Added, res.Duplicates, res.Empty, strings.Join(used, ", "))))
	return nil
}

func customersStats(c *cli.Context) error {
	db, err := openStoreDirect(c, "customers stats")
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := db.CustomerStats()
	if err != nil {
		return cli.Exit(err.Error(), exitUndecided)
	}
	if c.Bool("json") {
		return printJSON(st)
	}
	when := l10n(c, "从未导入", "never")
	if !st.Imported.IsZero() {
		when = st.Imported.Local().Format(time.DateTime)
	}
	fmt.Println(l10n(c,
		fmt.Sprintf("客户名单：%d 条记录，%d 个哈希值（公司 %d，联系人 %d，电话 %d，邮箱 %d）；最近导入：%s",
			st.Entries, st.Values, st.ByField[inspect.FieldCompany], st.ByField[inspect.FieldContact], st.ByField[inspect.FieldPhone], st.ByField[inspect.FieldEmail], when),
		fmt.Sprintf("Customer list: %d entries, %d hashed values (company %d, contact %d, phone %d, email %d); last import: %s",
			st.Entries, st.Values, st.ByField[inspect.FieldCompany], st.ByField[inspect.FieldContact], st.ByField[inspect.FieldPhone], st.ByField[inspect.FieldEmail], when)))
	return nil
}

func customersClear(c *cli.Context) error {
	db, err := openStoreDirect(c, "customers clear")
	if err != nil {
		return err
	}
	defer db.Close()
	st, _ := db.CustomerStats()
	if err := db.ClearCustomers(); err != nil {
		return cli.Exit(err.Error(), exitUndecided)
	}
	fmt.Println(l10n(c, fmt.Sprintf("已删除客户名单（%d 条记录）和它的盐值。", st.Entries),
		fmt.Sprintf("Deleted the customer list (%d entries) and its salt.", st.Entries)))
	return nil
}
