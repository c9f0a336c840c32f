package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/internal/customers"
	"github.com/sluice-dlp/sluice/internal/l10n"
	"github.com/sluice-dlp/sluice/proxy/inspect"
	"github.com/urfave/cli/v2"
)

func customersCommand(l l10n.Lang) *cli.Command {
	return &cli.Command{
		Name:  "customers",
		Usage: l.Pick("管理用于精确匹配的公司客户名单（只保存加盐哈希）", "manage the company's customer list used for exact data match (only salted hashes are stored)"),
		Subcommands: []*cli.Command{
			{Name: "import", Usage: l.Pick("从 CSV/TSV（UTF-8、UTF-16 或 GBK）或 XLSX 导入客户名单", "import a customer list from CSV/TSV (UTF-8, UTF-16 or GBK) or XLSX"), ArgsUsage: l.Pick("文件", "FILE"),
				Action: customersImport,
				Flags: append(connFlags(l),
					&cli.StringFlag{Name: "company", Usage: l.Pick("公司列：标题名、列字母（A）或列号（1）", "company column: header name, letter (A) or number (1)"), EnvVars: []string{"SLUICE_CUSTOMERS_COMPANY"}},
					&cli.StringFlag{Name: "contact", Usage: l.Pick("联系人列", "contact-name column"), EnvVars: []string{"SLUICE_CUSTOMERS_CONTACT"}},
					&cli.StringFlag{Name: "phone", Usage: l.Pick("电话列，多个用逗号分隔", "phone column(s), comma-separated"), EnvVars: []string{"SLUICE_CUSTOMERS_PHONE"}},
					&cli.StringFlag{Name: "email", Usage: l.Pick("邮箱列，多个用逗号分隔", "e-mail column(s), comma-separated"), EnvVars: []string{"SLUICE_CUSTOMERS_EMAIL"}},
					&cli.BoolFlag{Name: "no-header", Usage: l.Pick("第一行是数据而不是标题", "the first row is data, not column names"), EnvVars: []string{"SLUICE_CUSTOMERS_NO_HEADER"}},
				)},
			{Name: "stats", Usage: l.Pick("显示保存了多少条记录和哈希值", "show how many entries and hashed values are stored"), Action: customersStats, Flags: append(connFlags(l), jsonFlag(l))},
			{Name: "clear", Usage: l.Pick("删除整个客户名单及其盐值", "delete the whole customer list and its salt"), Action: customersClear, Flags: connFlags(l)},
		},
	}
}

// readUpload reads a file of at most max bytes that is to be sent or imported.
func readUpload(c *cli.Context, path string, max int64) ([]byte, error) {
	fi, err := os.Stat(path)
	l := lang(c)
	switch {
	case err != nil:
		return nil, cli.Exit(l.Pick("无法读取 "+path+"："+err.Error(), "cannot read "+path+": "+err.Error()), exitUndecided)
	case fi.IsDir():
		return nil, cli.Exit(l.Pick(path+" 是目录；请给出文件", path+" is a directory; give files"), exitUndecided)
	case fi.Size() > max:
		return nil, cli.Exit(l.Pick(fmt.Sprintf("%s 超过 %d MiB；请拆分后分批处理", path, max>>20), fmt.Sprintf("%s is larger than %d MiB; split it", path, max>>20)), exitUndecided)
	}
	return os.ReadFile(path)
}

func customersImport(c *cli.Context) error {
	path, err := exactlyOne(c, "客户名单文件（CSV 或 XLSX）", "customer-list FILE (CSV or XLSX)")
	if err != nil {
		return err
	}
	data, err := readUpload(c, path, customers.MaxTableSize)
	if err != nil {
		return err
	}
	cols := customers.Columns{Company: c.String("company"), Contact: c.String("contact"), Phone: c.String("phone"),
		Email: c.String("email"), NoHeader: c.Bool("no-header")}
	o, err := connect(c, true, "")
	if err != nil {
		return err
	}
	defer o.Close()
	res, err := o.ImportCustomers(ctxOf(c), filepath.Base(path), data, cols)
	if err != nil {
		if errors.Is(err, customers.ErrColumns) {
			return cli.Exit(clean(path)+": "+l10n.Text(err, lang(c)), exitUsage)
		}
		return cli.Exit(clean(path)+": "+l10n.Text(err, lang(c)), exitUndecided)
	}
	fmt.Fprintln(c.App.Writer, lang(c).Pick(
		fmt.Sprintf("已导入 %d 条客户记录（重复 %d 条，空行 %d 条；字段：%s）。只保存了加盐哈希，没有保存明文。", res.Added, res.Duplicates, res.Empty, clean(strings.Join(res.Fields, ", "))),
		fmt.Sprintf("Imported %d customer entries (%d duplicates, %d empty rows; fields: %s). Only salted hashes are stored, no plaintext.", res.Added, res.Duplicates, res.Empty, clean(strings.Join(res.Fields, ", ")))))
	return nil
}

func customersStats(c *cli.Context) error {
	o, err := connect(c, true, "")
	if err != nil {
		return err
	}
	defer o.Close()
	st, err := o.CustomerStats(ctxOf(c))
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return printJSON(c, st)
	}
	l := lang(c)
	when := l.Pick("从未导入", "never")
	if !st.Imported.IsZero() {
		when = st.Imported.Local().Format(time.DateTime)
	}
	b := st.ByField
	fmt.Fprintln(c.App.Writer, l.Pick(
		fmt.Sprintf("客户名单：%d 条记录，%d 个哈希值（公司 %d，联系人 %d，电话 %d，邮箱 %d）；最近导入：%s",
			st.Entries, st.Values, b[inspect.FieldCompany], b[inspect.FieldContact], b[inspect.FieldPhone], b[inspect.FieldEmail], when),
		fmt.Sprintf("Customer list: %d entries, %d hashed values (company %d, contact %d, phone %d, email %d); last import: %s",
			st.Entries, st.Values, b[inspect.FieldCompany], b[inspect.FieldContact], b[inspect.FieldPhone], b[inspect.FieldEmail], when)))
	return nil
}

func customersClear(c *cli.Context) error {
	o, err := connect(c, true, "")
	if err != nil {
		return err
	}
	defer o.Close()
	n, err := o.ClearCustomers(ctxOf(c))
	if err != nil {
		return err
	}
	fmt.Fprintln(c.App.Writer, lang(c).Pick(fmt.Sprintf("已删除客户名单（%d 条记录）和它的盐值。", n), fmt.Sprintf("Deleted the customer list (%d entries) and its salt.", n)))
	return nil
}
