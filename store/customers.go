package store

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"hash"
	"sort"
	"sync"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
)

// The company's customer list, for exact data match (EDM).
//
// The store never sees a plaintext value. The caller (sluice customers import) normalises
// each value with the inspection package's NormalizeField and turns it into a CustomerHash
// with CustomerKey, i.e. HMAC-SHA256 keyed by a random per-store salt (CustomerSalt) over
// field + 0x00 + normalised value. The store keeps hash → entry id. LoadCustomerIndex
// returns an in-memory index whose LookupCustomer(field, normalised) hashes the same way;
// it satisfies the inspection package's CustomerIndex interface.
//
// Layout inside the customers bucket: sub-bucket "h" (32-byte hash → 8-byte entry id +
// field name), "e" (entry id → JSON entryRecord), "k" (entry key → entry id, so importing
// the same list twice adds nothing). The salt and last import time live in meta.

const (
	metaCustomerSalt     = "customers.salt"
	metaCustomerImported = "customers.imported"
)

// CustomerHash is one salted hash of a normalised customer-list value and its field.
type CustomerHash struct {
	Field string   // "company", "contact", "phone" or "email"
	Sum   [32]byte // HMAC-SHA256(salt, field + 0x00 + normalised value)
}

// CustomerHashes is one customer-list entry (one row of the list) reduced to hashes.
type CustomerHashes []CustomerHash

// CustomerKey hashes one normalised value of a field with the store's salt.
func CustomerKey(salt []byte, field, normalized string) CustomerHash {
	m := hmac.New(sha256.New, salt)
	m.Write([]byte(field))
	m.Write([]byte{0})
	m.Write([]byte(normalized))
	h := CustomerHash{Field: field}
	m.Sum(h.Sum[:0])
	return h
}

// entryRecord is what is kept about one entry: how many values of each field it has.
type entryRecord struct {
	Fields   map[string]int `json:"fields"`
	Imported time.Time      `json:"imported"`
}

// CustomerSalt returns the store's secret customer-list salt, creating it on first use.
func (db *DB) CustomerSalt() ([]byte, error) {
	var salt []byte
	err := db.update(func(tx Tx) error {
		if v, err := tx.Meta(metaCustomerSalt); err != nil || len(v) == 32 {
			salt = v
			return err
		}
		salt = make([]byte, 32)
		if _, err := rand.Read(salt); err != nil {
			return err
		}
		return tx.SetMeta(metaCustomerSalt, salt)
	})
	if err != nil {
		return nil, l10n.Wrap(err, l10n.Internal, "无法读取客户名单的盐值", "cannot read the customer-list salt")
	}
	return salt, nil
}

// ImportResult says what an import did.
type ImportResult struct {
	Added      int // new entries
	Duplicates int // entries already in the list (same hashes)
	Empty      int // entries with no value at all
}

// ImportCustomers adds entries (already normalised and hashed with CustomerSalt) to the
// customer list in one transaction. A value already known keeps its first entry.
func (db *DB) ImportCustomers(entries []CustomerHashes) (ImportResult, error) {
	var res ImportResult
	now := time.Now().UTC()
	err := db.update(func(tx Tx) error {
		res = ImportResult{}
		for _, e := range entries {
			if len(e) == 0 {
				res.Empty++
				continue
			}
			key := entryKey(e)
			if dup, err := tx.HasCustomerEntry(key); err != nil || dup {
				if err != nil {
					return err
				}
				res.Duplicates++
				continue
			}
			rec := entryRecord{Fields: map[string]int{}, Imported: now}
			for _, h := range e {
				rec.Fields[h.Field]++
			}
			data, err := marshal(rec)
			if err != nil {
				return err
			}
			id, err := tx.AddCustomerEntry(key, data)
			if err != nil {
				return err
			}
			for _, h := range e {
				if known, err := tx.HasCustomerHash(h.Sum[:]); err != nil || known {
					if err != nil {
						return err
					}
					continue
				}
				if err := tx.PutCustomerHash(h.Sum[:], id, h.Field); err != nil {
					return err
				}
			}
			res.Added++
		}
		return tx.SetMeta(metaCustomerImported, []byte(now.Format(time.RFC3339)))
	})
	if err != nil {
		return ImportResult{}, l10n.Wrap(err, l10n.Internal, "无法导入客户名单", "cannot import the customer list")
	}
	return res, nil
}

// entryKey identifies an entry by its sorted hashes, so re-imports are recognised.
func entryKey(e CustomerHashes) []byte {
	sums := make([][]byte, len(e))
	for i := range e {
		sums[i] = e[i].Sum[:]
	}
	sort.Slice(sums, func(i, j int) bool { return bytes.Compare(sums[i], sums[j]) < 0 })
	h := sha256.New()
	for _, s := range sums {
		h.Write(s)
	}
	return h.Sum(nil)
}

// CustomerStats describes the stored customer list.
type CustomerStats struct {
	Entries  int            `json:"entries"`  // customer-list entries (rows)
	Values   int            `json:"values"`   // distinct hashed values
	ByField  map[string]int `json:"by_field"` // values per field, as imported
	Imported time.Time      `json:"imported"` // last import; zero if never
}

// CustomerStats counts the stored entries and values.
func (db *DB) CustomerStats() (CustomerStats, error) {
	st := CustomerStats{ByField: map[string]int{}}
	err := db.view(func(tx Tx) error {
		var err error
		if st.Values, err = tx.CountCustomerHashes(); err != nil {
			return err
		}
		err = tx.ForEachCustomerEntry(func(_ uint64, _, v []byte) error {
			var rec entryRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return err
			}
			st.Entries++
			for f, n := range rec.Fields {
				st.ByField[f] += n
			}
			return nil
		})
		if err != nil {
			return err
		}
		if v, err := tx.Meta(metaCustomerImported); err != nil {
			return err
		} else if v != nil {
			st.Imported, _ = time.Parse(time.RFC3339, string(v))
		}
		return nil
	})
	if err != nil {
		return CustomerStats{}, l10n.Wrap(err, l10n.Internal, "无法读取客户名单统计", "cannot read customer-list statistics")
	}
	return st, nil
}

// ClearCustomers deletes the whole customer list and its salt (a new salt is made on the
// next import, so old hashes could not be matched even if recovered), audits it as actor's
// "customers.clear" and returns how many entries went.
func (db *DB) ClearCustomers(actor string) (int, error) {
	st, err := db.CustomerStats()
	if err != nil {
		return 0, err
	}
	err = db.update(func(tx Tx) error {
		if err := tx.ClearCustomers(); err != nil {
			return err
		}
		if err := tx.SetMeta(metaCustomerImported, nil); err != nil {
			return err
		}
		if err := tx.SetMeta(metaCustomerSalt, nil); err != nil {
			return err
		}
		return db.appendEventTx(tx, &Event{Action: "customers.clear", User: actor, Extra: map[string]string{"entries": fmt.Sprint(st.Entries)}})
	})
	if err != nil {
		return 0, l10n.Wrap(err, l10n.Internal, "无法删除客户名单", "cannot clear the customer list")
	}
	return st.Entries, nil
}

// CustomerIndex is the customer list in memory: truncated salted hashes → entry id. It
// implements the inspection package's CustomerIndex and is safe for concurrent use.
type CustomerIndex struct {
	salt []byte
	m    map[[16]byte]uint64
	pool sync.Pool // of hash.Hash (keyed HMACs)
}

// LoadCustomerIndex reads the customer list into memory; it is empty if nothing was imported.
func (db *DB) LoadCustomerIndex() (*CustomerIndex, error) {
	salt, err := db.CustomerSalt()
	if err != nil {
		return nil, err
	}
	ix := &CustomerIndex{salt: salt, m: map[[16]byte]uint64{}}
	ix.pool.New = func() any { return hmac.New(sha256.New, ix.salt) }
	err = db.view(func(tx Tx) error {
		return tx.ForEachCustomerHash(func(k []byte, id uint64, _ string) error {
			if len(k) != 32 {
				return fmt.Errorf("malformed customer hash record")
			}
			var key [16]byte
			copy(key[:], k)
			ix.m[key] = id
			return nil
		})
	})
	if err != nil {
		return nil, l10n.Wrap(err, l10n.Internal, "无法加载客户名单；请运行 'sluice customers clear' 后重新导入", "cannot load the customer list; run 'sluice customers clear' and import it again")
	}
	return ix, nil
}

// Len returns the number of hashed values in the index.
func (ix *CustomerIndex) Len() int { return len(ix.m) }

// LookupCustomer returns the entry id whose field has this normalised value.
func (ix *CustomerIndex) LookupCustomer(field, normalized string) (uint64, bool) {
	if ix == nil || len(ix.m) == 0 {
		return 0, false
	}
	h := ix.pool.Get().(hash.Hash)
	h.Reset()
	h.Write([]byte(field))
	h.Write([]byte{0})
	h.Write([]byte(normalized))
	var sum [32]byte
	h.Sum(sum[:0])
	ix.pool.Put(h)
	var key [16]byte
	copy(key[:], sum[:16])
	id, ok := ix.m[key]
	return id, ok
}
