package store

import (
	"encoding/binary"

	"github.com/sluice-dlp/sluice/internal/l10n"
	bolt "go.etcd.io/bbolt"
)

// The customer list in the bbolt backend (see the layout in customers.go).

// customers returns a nested bucket of the customer list, creating it in a writable transaction.
func (t boltTx) customers(name []byte) (*bolt.Bucket, error) {
	c := t.b(bucketCustomers)
	if !t.tx.Writable() {
		return c.Bucket(name), nil
	}
	return c.CreateBucketIfNotExists(name)
}

func (t boltTx) HasCustomerHash(sum []byte) (bool, error) {
	b, err := t.customers(subHashes)
	return b != nil && b.Get(sum) != nil, err
}

func (t boltTx) PutCustomerHash(sum []byte, entry uint64, field string) error {
	b, err := t.customers(subHashes)
	if err != nil {
		return err
	}
	return b.Put(sum, append(u64(entry), field...))
}

func (t boltTx) ForEachCustomerHash(fn func([]byte, uint64, string) error) error {
	b, err := t.customers(subHashes)
	if b == nil || err != nil {
		return err
	}
	return b.ForEach(func(k, v []byte) error {
		if len(v) < 8 {
			return l10n.New(l10n.Internal, "客户名单记录损坏", "malformed customer hash record")
		}
		return fn(k, binary.BigEndian.Uint64(v[:8]), string(v[8:]))
	})
}

func (t boltTx) CountCustomerHashes() (int, error) {
	b, err := t.customers(subHashes)
	if b == nil || err != nil {
		return 0, err
	}
	return b.Stats().KeyN, nil
}

func (t boltTx) HasCustomerEntry(key []byte) (bool, error) {
	b, err := t.customers(subKeys)
	return b != nil && b.Get(key) != nil, err
}

func (t boltTx) AddCustomerEntry(key, v []byte) (uint64, error) {
	eb, err := t.customers(subEntries)
	if err != nil {
		return 0, err
	}
	kb, err := t.customers(subKeys)
	if err != nil {
		return 0, err
	}
	id, err := eb.NextSequence()
	if err != nil {
		return 0, err
	}
	if err := eb.Put(u64(id), v); err != nil {
		return 0, err
	}
	return id, kb.Put(key, u64(id))
}

// ForEachCustomerEntry lists the entries through their keys (entry key → id → entry).
func (t boltTx) ForEachCustomerEntry(fn func(uint64, []byte, []byte) error) error {
	eb, err := t.customers(subEntries)
	if eb == nil || err != nil {
		return err
	}
	kb, err := t.customers(subKeys)
	if kb == nil || err != nil {
		return err
	}
	return kb.ForEach(func(k, id []byte) error {
		if v := eb.Get(id); v != nil && len(id) == 8 {
			return fn(binary.BigEndian.Uint64(id), k, v)
		}
		return nil
	})
}

func (t boltTx) PutCustomerEntry(id uint64, key, v []byte) error {
	eb, err := t.customers(subEntries)
	if err != nil {
		return err
	}
	kb, err := t.customers(subKeys)
	if err != nil {
		return err
	}
	if id > eb.Sequence() {
		if err := eb.SetSequence(id); err != nil {
			return err
		}
	}
	if err := eb.Put(u64(id), v); err != nil {
		return err
	}
	return kb.Put(key, u64(id))
}

// ClearCustomers drops the list but keeps the entry id sequence: records name entries by id, so an id
// is never given to a later entry.
func (t boltTx) ClearCustomers() error {
	c := t.b(bucketCustomers)
	var seq uint64
	if eb := c.Bucket(subEntries); eb != nil {
		seq = eb.Sequence()
	}
	for _, name := range [][]byte{subHashes, subEntries, subKeys} {
		if c.Bucket(name) != nil {
			if err := c.DeleteBucket(name); err != nil {
				return err
			}
		}
	}
	if seq == 0 {
		return nil
	}
	eb, err := t.customers(subEntries)
	if err != nil {
		return err
	}
	return eb.SetSequence(seq)
}
