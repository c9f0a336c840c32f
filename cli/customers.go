package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/proxy"
	"github.com/sluice-dlp/sluice/proxy/customers"
	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/sluice-dlp/sluice/store"
	"github.com/urfave/cli/v2"
)

func init() {
	register(&cli.Command{
		Name:  "customers",
		Usage: "manage the company's customer list used for exact data match (only salted hashes are stored)",
		Subcommands: []*cli.Command{
			{Name: "import", Usage: "import a customer list from CSV/TSV (UTF-8, UTF-16 or GBK) or XLSX", ArgsUsage: "FILE",
				Action: customersImport,
				Flags: append(daemonFlags(),
					&cli.StringFlag{Name: "company", Usage: "company column: header name, letter (A) or number (1)", EnvVars: []string{"SLUICE_CUSTOMERS_COMPANY"}},
					&cli.StringFlag{Name: "contact", Usage: "contact-name column", EnvVars: []string{"SLUICE_CUSTOMERS_CONTACT"}},
					&cli.StringFlag{Name: "phone", Usage: "phone column(s), comma-separated", EnvVars: []string{"SLUICE_CUSTOMERS_PHONE"}},
					&cli.StringFlag{Name: "email", Usage: "e-mail column(s), comma-separated", EnvVars: []string{"SLUICE_CUSTOMERS_EMAIL"}},
					&cli.BoolFlag{Name: "no-header", Usage: "the first row is data, not column names", EnvVars: []string{"SLUICE_CUSTOMERS_NO_HEADER"}},
				)},
			{Name: "stats", Usage: "show how many entries and hashed values are stored", Action: customersStats,
				Flags: append(daemonFlags(), &cli.BoolFlag{Name: "json", Usage: "print one JSON document", EnvVars: []string{"SLUICE_JSON"}})},
			{Name: "clear", Usage: "delete the whole customer list and its salt", Action: customersClear, Flags: daemonFlags()},
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

// storeOrDaemon is storeOrAPI for commands that create the store when there is none yet
// (no daemon can be holding a store that does not exist).
func storeOrDaemon(c *cli.Context) (*store.DB, *apiClient, error) {
	p := proxy.PathsFor(dataDir(c))
	if _, err := os.Stat(p.DB); errors.Is(err, os.ErrNotExist) {
		db, err := store.Open(p.DB, p.Blobs)
		if err != nil {
			return nil, nil, cli.Exit(err.Error(), exitUndecided)
		}
		return db, nil, nil
	}
	return storeOrAPI(c)
}

// readUpload reads a customer list of at most max bytes that is to be imported.
func readUpload(path string, max int64) ([]byte, error) {
	fi, err := os.Stat(path)
	if err := checkUpload(path, fi, err, max, "split the list and import the parts"); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sluice: cannot read %s: %w", path, err)
	}
	return data, nil
}

func customersImport(c *cli.Context) error {
	if c.NArg() != 1 {
		return cli.Exit(l10n(c, "sluice: 请给出一个客户名单文件（CSV 或 XLSX）；见 'sluice customers import --help'",
			"sluice: give one customer-list file (CSV or XLSX); see 'sluice customers import --help'"), exitUsage)
	}
	path := c.Args().First()
	data, err := readUpload(path, customers.MaxTableSize)
	if err != nil {
		return cli.Exit(err.Error(), exitUndecided)
	}
	cols := customers.Columns{Company: c.String("company"), Contact: c.String("contact"), Phone: c.String("phone"),
		Email: c.String("email"), NoHeader: c.Bool("no-header")}
	db, api, err := storeOrDaemon(c)
	if err != nil {
		return err
	}
	var res customers.Result
	if api != nil {
		q := cols.Query()
		q.Set("name", filepath.Base(path))
		var out []byte
		if out, _, err = api.raw("POST", "/api/admin/customers/import?"+q.Encode(), data); err == nil {
			err = json.Unmarshal(out, &res)
		}
		if ae := (*apiError)(nil); errors.As(err, &ae) && ae.Code == "bad_columns" {
			return cli.Exit(err.Error(), exitUsage)
		}
	} else {
		defer db.Close()
		if res, err = customers.Import(db, data, cols, cliActor(), filepath.Base(path)); err != nil {
			err = fmt.Errorf("sluice: %s: %w", path, err)
		}
		if errors.Is(err, customers.ErrColumns) {
			return cli.Exit(err.Error(), exitUsage)
		}
	}
	if err != nil {
		return failure(err)
	}
	used := strings.Join(res.Fields, ", ")
	fmt.Println(l10n(c,
		fmt.Sprintf("已导入 %d 条客户记录（重复 %d 条，空行 %d 条；字段：%s）。只保存了加盐哈希，没有保存明文。", res.Added, res.Duplicates, res.Empty, used),
		fmt.Sprintf("Imported %d customer entries (%d duplicates, %d empty rows; fields: %s). Only salted hashes are stored, no plaintext.", res.Added, res.Duplicates, res.Empty, used)))
	return nil
}

func customersStats(c *cli.Context) error {
	db, api, err := storeOrDaemon(c)
	if err != nil {
		return err
	}
	var st store.CustomerStats
	if api != nil {
		err = api.do("GET", "/api/admin/customers/stats", nil, &st)
	} else {
		defer db.Close()
		st, err = db.CustomerStats()
	}
	if err != nil {
		return failure(err)
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
	db, api, err := storeOrDaemon(c)
	if err != nil {
		return err
	}
	var cleared struct {
		Cleared int `json:"cleared"`
	}
	if api != nil {
		err = api.do("POST", "/api/admin/customers/clear", nil, &cleared)
	} else {
		defer db.Close()
		cleared.Cleared, err = db.ClearCustomers(cliActor())
	}
	if err != nil {
		return failure(err)
	}
	fmt.Println(l10n(c, fmt.Sprintf("已删除客户名单（%d 条记录）和它的盐值。", cleared.Cleared),
		fmt.Sprintf("Deleted the customer list (%d entries) and its salt.", cleared.Cleared)))
	return nil
}
