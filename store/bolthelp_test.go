package store

import (
	"encoding/json"

	bolt "go.etcd.io/bbolt"
)

// putJSON stores v as JSON under key in bucket b (tests that edit the bbolt file as an attacker would).
func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}
