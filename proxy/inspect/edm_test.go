package inspect

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"hash"
	"sync"
	"testing"
)

// mapIndex is an in-memory customer index keyed by an HMAC of field and normalised value,
// costing what the store's salted index costs; the store's own index is tested against
// the detector in cli/customers_test.go.
type mapIndex map[[32]byte]uint64

var testHMACs = sync.Pool{New: func() any { return hmac.New(sha256.New, []byte("test salt")) }}

func mapKey(field, normalized string) [32]byte {
	m := testHMACs.Get().(hash.Hash)
	m.Reset()
	m.Write([]byte(field))
	m.Write([]byte{0})
	m.Write([]byte(normalized))
	var k [32]byte
	m.Sum(k[:0])
	testHMACs.Put(m)
	return k
}

func (m mapIndex) Len() int { return len(m) }

func (m mapIndex) LookupCustomer(field, normalized string) (uint64, bool) {
	id, ok := m[mapKey(field, normalized)]
	return id, ok
}

func (m mapIndex) add(id uint64, field, value string) {
	m[mapKey(field, NormalizeField(field, value))] = id
}

func testIndex() mapIndex {
	ix := mapIndex{}
	ix.add(1, FieldCompany, "上海星河贸易有限公司")
	ix.add(1, FieldContact, "李娜")
	ix.add(1, FieldPhone, "138-0013-8000")
	ix.add(2, FieldCompany, "Acme Trading Co., Ltd.")
	ix.add(2, FieldEmail, "Bob.Lee@Acme.com")
	ix.add(3, FieldContact, "赵德柱")
	ix.add(3, FieldPhone, "021-62345678")
	return ix
}

func customerCount(t *testing.T, lines ...string) int {
	t.Helper()
	return counts(t, DetectOptions{Customers: testIndex()}, lines...)[KindCustomer]
}

func TestEDMMatching(t *testing.T) {
	cases := []struct {
		name  string
		lines []string
		want  int
	}{
		{"phone in another format", []string{"联系电话 +86 138 0013 8000"}, 1},
		{"landline", []string{"座机（021）6234-5678"}, 1},
		{"email upper case", []string{"mail: bob.lee@acme.COM"}, 1},
		{"company cell full-width", []string{"上海星河贸易有限公司\t王五\t13900000000"}, 1},
		{"company with spaces in cell", []string{"ACME TRADING CO., LTD\tx"}, 1},
		{"company inside free text", []string{"本月合作方上海星河贸易有限公司追加订单。"}, 1},
		{"same entry twice counts once", []string{"13800138000", "上海星河贸易有限公司"}, 1},
		{"three entries", []string{"13800138000", "bob.lee@acme.com", "赵德柱\t13511112222"}, 3},
		{"contact name alone is not enough", []string{"赵德柱\t北京"}, 0},
		{"contact name with any identifier", []string{"联系人：赵德柱，电话 13511112222"}, 1},
		{"made-up values", []string{"上海月光贸易有限公司\t李四\t13912345678\tli4@example.com"}, 0},
		{"short company token ignored", []string{"星河"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := customerCount(t, c.lines...); got != c.want {
				t.Errorf("customer_match = %d, want %d", got, c.want)
			}
		})
	}
}

func TestEDMSamplesMasked(t *testing.T) {
	d := NewDetector(DetectOptions{Customers: testIndex()})
	d.Segment(Segment{Text: "上海星河贸易有限公司\t13800138000", Location: "Sheet1!R2"})
	for _, f := range d.Findings() {
		if f.Kind != KindCustomer {
			continue
		}
		for _, s := range f.Samples {
			if s.Value == "上海星河贸易有限公司" || s.Value == "13800138000" || s.Location != "Sheet1!R2" {
				t.Errorf("sample %+v", s)
			}
		}
		return
	}
	t.Fatal("no customer_match finding")
}

// TestEDMSamplesNameTheCustomer: an entry hit by its phone shows the masked company name of the same row
// when the row has it (a reviewer reads who the customer is), else the masked phone.
func TestEDMSamplesNameTheCustomer(t *testing.T) {
	d := NewDetector(DetectOptions{Customers: testIndex()})
	d.Segment(Segment{Text: "13800138000\t上海星河贸易有限公司", Location: "Sheet1!R2"})
	d.Segment(Segment{Text: "赵德柱\t021-62345678", Location: "Sheet1!R3"})
	var got []string
	for _, f := range d.Findings() {
		if f.Kind == KindCustomer {
			for _, s := range f.Samples {
				got = append(got, s.Value)
			}
		}
	}
	if len(got) != 2 || got[0] != "上海****公司" || got[1] != "021****5678" {
		t.Errorf("customer samples %q, want the masked company for the first row and the masked landline for the second", got)
	}
}

// BenchmarkDetectorRows measures the detector on spreadsheet-like rows with a customer
// index in use (EDM lookups per cell).
func BenchmarkDetectorRows(b *testing.B) {
	ix := testIndex()
	rows := make([]string, 10000)
	size := 0
	for i := range rows {
		rows[i] = fmt.Sprintf("%d\t上海星河%d贸易有限公司\t张伟%d\t138%08d\tuser%d@example.com\t华东区\t2026-11-22", i, i, i%10, i, i)
		size += len(rows[i])
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		d := NewDetector(DetectOptions{Keywords: []string{"客户", "报价"}, Customers: ix})
		for _, r := range rows {
			d.Segment(Segment{Text: r, Location: "Sheet1!R1"})
		}
		d.Findings()
	}
}
