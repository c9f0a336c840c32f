package inspect

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/sluice-dlp/sluice/internal/fixture"
	"gopkg.in/yaml.v3"
)

// fileThresholds are the default policy's "sensitive: files:" thresholds.
type fileThresholds struct {
	CustomerMatches int `yaml:"customer_matches"`
	ContactRecords  int `yaml:"contact_records"`
	Phones          int `yaml:"phones"`
	IDNumbers       int `yaml:"id_numbers"`
	BankCards       int `yaml:"bank_cards"`
}

// defaultPolicy reads the file thresholds and keywords of proxy/policy/default.yaml (read
// as a file: the policy package imports this one).
func defaultPolicy(t testing.TB) (fileThresholds, []string) {
	t.Helper()
	data, err := os.ReadFile("../policy/default.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Sensitive struct {
			Files fileThresholds `yaml:"files"`
		} `yaml:"sensitive"`
		Inspect struct {
			Keywords []string `yaml:"keywords"`
		} `yaml:"inspect"`
	}
	if err := yaml.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	if p.Sensitive.Files.Phones == 0 || p.Sensitive.Files.ContactRecords == 0 || p.Sensitive.Files.CustomerMatches == 0 {
		t.Fatalf("default.yaml thresholds not found: %+v", p.Sensitive.Files)
	}
	return p.Sensitive.Files, p.Inspect.Keywords
}

// reached lists the thresholds a result reaches, as the policy checks them.
func (th fileThresholds) reached(r *Result) []string {
	var out []string
	for _, c := range []struct {
		kind  string
		limit int
	}{{KindCustomer, th.CustomerMatches}, {KindContactRecord, th.ContactRecords}, {KindPhone, th.Phones},
		{KindIDNumber, th.IDNumbers}, {KindBankCard, th.BankCards}} {
		if n := r.Count(c.kind); c.limit > 0 && n >= c.limit {
			out = append(out, fmt.Sprintf("%s %d≥%d", c.kind, n, c.limit))
		}
	}
	return out
}

// customerIndex indexes every field of the customers, as `sluice customers import` would.
func customerIndex(lists ...[]fixture.Customer) mapIndex {
	ix := mapIndex{}
	id := uint64(0)
	for _, cs := range lists {
		for _, c := range cs {
			id++
			ix.add(id, FieldCompany, c.Company)
			ix.add(id, FieldContact, c.Contact)
			ix.add(id, FieldPhone, c.Mobile)
			ix.add(id, FieldEmail, c.Email)
		}
	}
	return ix
}

// needOCR fails the test when Tesseract or its Chinese data is missing.
func needOCR(t testing.TB) {
	t.Helper()
	if err := CheckOCR(); err != nil {
		t.Fatalf("%v\n%s", err, shotsHint)
	}
}

// teeSink feeds a Detector and keeps the raw segments (the OCR text before masking).
type teeSink struct {
	d    *Detector
	segs []Segment
}

func (s *teeSink) Segment(g Segment) error { s.segs = append(s.segs, g); return s.d.Segment(g) }

// scanRaw scans like Scanner.Scan and also returns the unmasked segments.
func scanRaw(t testing.TB, s *Scanner, data []byte, name string) (*Result, []Segment) {
	t.Helper()
	tee := &teeSink{d: NewDetector(s.opts.Detect)}
	res, err := s.scan(context.Background(), bytes.NewReader(data), int64(len(data)), name, tee)
	if err != nil {
		t.Fatalf("scan %s: %v", name, err)
	}
	res.Findings = append(tee.d.Findings(), res.Findings...)
	return res, tee.segs
}

// phonesIn returns the mobile numbers the detector finds in the segments.
func phonesIn(segs []Segment) map[string]bool {
	out := map[string]bool{}
	for _, g := range segs {
		for _, m := range findAll(newView(g.Text, false).text) {
			if m.kind == KindPhone {
				out[m.value] = true
			}
		}
	}
	return out
}

// TestOCRScreenshots renders customer lists (a spreadsheet and a CRM page, 100 % and 150 %,
// light and dark, plus photographed variants) and harmless images (price lists, a chart,
// real photos), OCRs them and checks each against the default policy's file thresholds:
// every customer screen reaches them, including the customer-list (EDM) one; no harmless
// image does. It logs the accuracy table of OCR.md (also written to $SLUICE_OCR_REPORT).
func TestOCRScreenshots(t *testing.T) {
	needOCR(t)
	th, keywords := defaultPolicy(t)
	shots := screenshots(t)
	s := NewScanner(Options{
		Detect: DetectOptions{Keywords: keywords, Customers: customerIndex(sheetCustomers, crmCustomers)},
		Limits: testLimits,
		OCR:    OCROptions{Enabled: true, Budget: testBudget},
	})
	var table strings.Builder
	table.WriteString("| image | pixels | phones read exactly | misread | contact records | customer matches | thresholds reached | OCR ms |\n|---|---|---|---|---|---|---|---|\n")
	shown, exact, harmless, falsePos := 0, 0, 0, 0
	for _, sh := range shots {
		res, segs := scanRaw(t, s, sh.data, sh.file)
		got := phonesIn(segs)
		ok, wrong := 0, 0
		want := map[string]bool{}
		for _, m := range sh.mobiles {
			want[m] = true
			if got[m] {
				ok++
			}
		}
		for m := range got {
			if !want[m] {
				wrong++
			}
		}
		reached := th.reached(res)
		w, h := shotSize(sh.data)
		ms := int64(0)
		if res.OCR != nil {
			ms = res.OCR.Millis
		}
		read := "–"
		if len(sh.mobiles) > 0 {
			read = fmt.Sprintf("%d/%d", ok, len(sh.mobiles))
		}
		fmt.Fprintf(&table, "| %s | %d×%d | %s | %d | %d | %d | %s | %d |\n", sh.name, w, h, read, wrong,
			res.Count(KindContactRecord), res.Count(KindCustomer), orNone(reached), ms)
		if sh.harmful {
			shown += len(sh.mobiles)
			exact += ok
			if len(reached) == 0 {
				t.Errorf("%s: reaches no file threshold; findings %+v", sh.name, res.Findings)
			}
			if n := res.Count(KindCustomer); n < th.CustomerMatches {
				t.Errorf("%s: %d customer-list matches, want ≥ %d", sh.name, n, th.CustomerMatches)
			}
			if f := finding(res, KindPhone); f == nil || f.OCR != f.Count {
				t.Errorf("%s: phone finding not marked as OCR: %+v", sh.name, f)
			}
		} else {
			harmless++
			if len(reached) > 0 {
				falsePos++
				t.Errorf("%s (harmless) reaches %v; findings %+v", sh.name, reached, res.Findings)
			}
		}
		if res.Has(KindUninspectable) {
			t.Errorf("%s: uninspectable: %+v", sh.name, finding(res, KindUninspectable))
		}
	}
	rate := float64(exact) / float64(max(shown, 1))
	fmt.Fprintf(&table, "\nPhone numbers read exactly: %d of %d (%.1f %%). Harmless images reaching a file threshold: %d of %d.\n",
		exact, shown, 100*rate, falsePos, harmless)
	t.Log("\n" + table.String())
	if out := os.Getenv("SLUICE_OCR_REPORT"); out != "" {
		if err := os.WriteFile(out, []byte(table.String()), 0o644); err != nil {
			t.Error(err)
		}
	}
	if rate < 0.8 {
		t.Errorf("only %.1f %% of the phone numbers shown were read exactly", 100*rate)
	}
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
