package store

import (
	"encoding/json"
	"io"
	"os"

	"github.com/sluice-dlp/sluice/internal/l10n"
)

// CopyResult says what CopyTo copied.
type CopyResult struct {
	Events       int    `json:"events"`
	Users        int    `json:"users"`
	Tokens       int    `json:"tokens"`
	Requests     int    `json:"requests"`
	Grants       int    `json:"grants"`
	Marks        int    `json:"marks"`
	Customers    int    `json:"customer_entries"`
	Fingerprints int    `json:"fingerprints"`
	Blobs        int    `json:"blobs"` // copied into the target's archive (0 when both use the same folder)
	Head         uint64 `json:"head"`
}

// copyMeta are the meta records a copy takes over (the chain head and marker, the customer-list salt).
var copyMeta = []string{metaAuditHead, metaKeyed, metaCustomerSalt, metaCustomerImported}

// CopyTo copies every record of db into dst, an empty store keyed with the same audit key, in one
// transaction of dst: the stored bytes are copied as they are, so every MAC and the chain still
// verify. Blobs are copied when dst keeps them elsewhere (shared in PostgreSQL, another folder). Sessions and
// notices are not copied. The caller verifies both chains before and after.
func (db *DB) CopyTo(dst *DB) (CopyResult, error) {
	var res CopyResult
	if db.legacy {
		return res, errLegacy()
	}
	if dst.key.id != db.key.id {
		return res, l10n.Errorf(l10n.Conflict, "目标存储的审计密钥（%s）与源（%s）不同", "the target store's audit key (%s) differs from the source's (%s)", dst.key.id, db.key.id)
	}
	err := db.view(func(src Tx) error {
		return dst.update(func(tx Tx) error {
			res = CopyResult{}
			if last, err := tx.LastEventID(); err != nil || last > 0 {
				if err == nil {
					err = l10n.Errorf(l10n.Conflict, "目标存储已有 %d 条审计记录；只能迁移到空的存储", "the target store already has %d audit records; migrate only into an empty store", last)
				}
				return err
			}
			if err := tx.ForEachUser(func(string, []byte) error {
				return l10n.New(l10n.Conflict, "目标存储已有用户；只能迁移到空的存储", "the target store already has users; migrate only into an empty store")
			}); err != nil {
				return err
			}
			return copyRecords(src, tx, &res)
		})
	})
	if err != nil {
		return res, err
	}
	if dst.blob.Where() != db.blob.Where() {
		n, err := copyBlobs(db, dst)
		res.Blobs = n
		return res, err
	}
	return res, nil
}

// copyRecords copies each area of src into tx.
func copyRecords(src, tx Tx, res *CopyResult) error {
	for _, k := range copyMeta {
		v, err := src.Meta(k)
		if err == nil && v != nil {
			err = tx.SetMeta(k, v)
		}
		if err != nil {
			return err
		}
	}
	steps := []func() error{
		func() error {
			return src.ForEachUser(func(name string, v []byte) error { res.Users++; return tx.PutUser(name, v) })
		},
		func() error {
			return src.ForEachToken(func(k []byte, user string) error { res.Tokens++; return tx.PutToken(k, user) })
		},
		func() error {
			err := src.ScanEvents(1, false, func(id uint64, v []byte) (bool, error) {
				res.Events++
				res.Head = id
				return true, tx.PutEvent(id, v)
			})
			if err != nil {
				return err
			}
			seq, err := src.EventSeq()
			if err != nil {
				return err
			}
			return tx.SetEventSeq(seq)
		},
		func() error {
			return src.ForEachRequest(func(id string, v []byte) error {
				var r Request
				if err := json.Unmarshal(v, &r); err != nil {
					return l10n.Wrap(err, l10n.Internal, "审批记录 %s 无法读取", "approval record %s is unreadable", id)
				}
				res.Requests++
				return tx.PutRequest(id, r.EventID, v)
			})
		},
		func() error {
			return src.ForEachGrant(func(id string, v []byte) error {
				var g Grant
				if err := json.Unmarshal(v, &g); err != nil {
					return l10n.Wrap(err, l10n.Internal, "授权 %s 无法读取", "grant %s is unreadable", id)
				}
				res.Grants++
				return tx.PutGrant(id, g.User, g.SHA256, v)
			})
		},
		func() error {
			return src.ForEachMark(func(v []byte) error {
				var o Outbound
				if err := json.Unmarshal(v, &o); err != nil {
					return l10n.Wrap(err, l10n.Internal, "外发记录无法读取", "an outbound record is unreadable")
				}
				res.Marks++
				if o.MarkID != 0 {
					_, err := tx.InsertMark(o.MarkID, v)
					return err
				}
				return tx.PutMark(0, v)
			})
		},
		func() error {
			return src.ForEachCustomerEntry(func(id uint64, k, v []byte) error { res.Customers++; return tx.PutCustomerEntry(id, k, v) })
		},
		func() error {
			return src.ForEachCustomerHash(func(sum []byte, id uint64, field string) error { return tx.PutCustomerHash(sum, id, field) })
		},
		func() error {
			return src.ForEachFingerprint(func(v []byte) error {
				var f Fingerprint
				if err := json.Unmarshal(v, &f); err != nil || len(f.BlockMD5s) == 0 {
					return l10n.New(l10n.Internal, "指纹记录无法读取", "a fingerprint record is unreadable")
				}
				res.Fingerprints++
				return tx.PutFingerprint(f.SHA256, f.BlockMD5s[0], f.MD5, v)
			})
		},
		func() error { return src.ForEachPairing(tx.PutPairing) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// copyBlobs copies every blob of db's archive into dst's.
func copyBlobs(db, dst *DB) (int, error) {
	bs, err := db.blob.List()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, b := range bs {
		if dst.blob.Has(b.sum) {
			continue
		}
		f, err := db.blob.Open(b.sum)
		if err != nil {
			return n, err
		}
		tmp, err := os.CreateTemp(dst.blobDir, ".incoming-*")
		if err == nil {
			_, err = io.Copy(tmp, f)
			tmp.Close()
		}
		f.Close()
		if err == nil {
			_, err = dst.blob.Promote(b.sum, tmp.Name())
		}
		if err != nil {
			if tmp != nil {
				os.Remove(tmp.Name())
			}
			return n, err
		}
		n++
	}
	return n, nil
}
