package customers

import (
	"fmt"
	"strings"

	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/store"
)

// The store's in-memory indexes are what the inspection engine looks values up in.
var (
	_ inspect.CustomerIndex    = (*store.CustomerIndex)(nil)
	_ inspect.FingerprintIndex = (*store.FingerprintIndex)(nil)
)

// ErrNoRows is returned for a table without a single data row.
var ErrNoRows = l10n.New(l10n.Unreadable, "表格中没有数据行", "the table has no data rows")

// Result says what an import did; it is also the admin API's answer.
type Result struct {
	Rows       int      `json:"rows"`       // data rows read (header excluded)
	Added      int      `json:"added"`      // new entries
	Duplicates int      `json:"duplicates"` // entries already in the list
	Empty      int      `json:"empty"`      // rows with no value in the chosen columns
	Fields     []string `json:"fields"`     // fields that had a column: company, contact, phone, email
}

// Import reads a customer-list table, hashes its rows with the store's salt and adds them to
// the customer list, and audits it as actor's "customers.import" of file; no plaintext value is
// stored. Column errors wrap ErrColumns.
func Import(db *store.DB, data []byte, cols Columns, actor, file string) (Result, error) {
	rows, err := ReadTable(data)
	if err != nil {
		return Result{}, err
	}
	if len(rows) == 0 {
		return Result{}, ErrNoRows
	}
	m, header, err := cols.Choose(rows[0])
	if err != nil {
		return Result{}, err
	}
	if header {
		rows = rows[1:]
	}
	salt, err := db.CustomerSalt()
	if err != nil {
		return Result{}, err
	}
	entries := make([]store.CustomerHashes, 0, len(rows))
	for _, r := range rows {
		entries = append(entries, HashRow(r, m, salt))
	}
	res, err := db.ImportCustomers(entries)
	if err != nil {
		return Result{}, err
	}
	out := Result{Rows: len(rows), Added: res.Added, Duplicates: res.Duplicates, Empty: res.Empty, Fields: m.Fields()}
	err = db.AuditAdmin(actor, "customers.import", map[string]string{"file": file, "added": fmt.Sprint(out.Added), "duplicates": fmt.Sprint(out.Duplicates)})
	return out, err
}

// HashRow normalises and hashes the values of one row; phone and e-mail cells may hold
// several values ("138... / 021-...").
func HashRow(row []string, cols ColumnMap, salt []byte) store.CustomerHashes {
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
	for _, f := range fields {
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
