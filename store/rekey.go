package store

import (
	"encoding/binary"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
)

// RekeyResult says what Rekey found and did.
type RekeyResult struct {
	OldRecords  int            `json:"old_records"`  // events of the unkeyed chain, kept as they are
	OldHead     string         `json:"old_head"`     // hash of the last unkeyed event, which the keyed chain now covers
	OldProblems []ChainProblem `json:"old_problems"` // what the unkeyed chain's own check found
	Grants      int            `json:"grants"`       // grants given a MAC
	Requests    int            `json:"requests"`     // approval requests given a MAC
	Event       uint64         `json:"event"`        // the audit.rekey event that starts the keyed chain
}

// Rekey migrates a database from before keyed chains, once: it verifies the old SHA-256 chain, gives
// every grant and approval request a MAC under the audit key, and starts the keyed chain with an
// "audit.rekey" event whose MAC covers the old chain's last hash, so the old records can no longer be
// changed either. With problems in the old chain it refuses unless force is set; the problems are
// then recorded in the rekey event. Grants and requests present now are trusted as they are.
func (db *DB) Rekey(actor string, force bool) (RekeyResult, error) {
	var res RekeyResult
	if !db.legacy {
		return res, l10n.New(l10n.Conflict, "审计链已经用密钥 "+db.key.id+" 签名，无需迁移", "the audit chain is already keyed (key "+db.key.id+"); there is nothing to migrate")
	}
	err := db.update(func(tx Tx) error {
		n, problems, err := db.verifyTx(tx)
		if err != nil {
			return err
		}
		res.OldRecords, res.OldProblems = n, nil
		for _, p := range problems {
			if p.ID != 0 || !strings.Contains(p.Reason, "not keyed") {
				res.OldProblems = append(res.OldProblems, p)
			}
		}
		if len(res.OldProblems) > 0 && !force {
			p := res.OldProblems[0]
			return l10n.Errorf(l10n.Conflict, "旧的哈希链校验未通过（%d 处问题，第一处：记录 %d：%s）；用 'sluice audit verify' 查看；确认后可加 --force 迁移（问题会记入迁移事件）",
				"the old hash chain does not verify (%d problems, the first: record %d: %s); look at them with 'sluice audit verify'; to migrate anyway pass --force (the problems are recorded in the migration event)",
				len(res.OldProblems), p.ID, p.Reason)
		}
		var last uint64
		head, err := tx.Meta(metaAuditHead)
		if err != nil {
			return err
		}
		if len(head) >= 8+64 {
			last, res.OldHead = binary.BigEndian.Uint64(head[:8]), string(head[8:8+64])
		}
		if seq, err := tx.EventSeq(); err != nil {
			return err
		} else if seq > last {
			last = seq
		}
		if res.Grants, err = macAll(tx.ForEachGrant, func(v []byte) (func() error, error) {
			var g Grant
			err := json.Unmarshal(v, &g)
			return func() error { return db.putGrant(tx, &g) }, err
		}); err != nil {
			return err
		}
		if res.Requests, err = macAll(tx.ForEachRequest, func(v []byte) (func() error, error) {
			var r Request
			err := json.Unmarshal(v, &r)
			return func() error { return db.putRequest(tx, &r) }, err
		}); err != nil {
			return err
		}
		if err := db.key.writeMarker(tx, last+1); err != nil {
			return err
		}
		chain := "intact"
		if len(res.OldProblems) > 0 {
			chain = strconv.Itoa(len(res.OldProblems)) + " problems, migrated with --force; first: record " +
				strconv.FormatUint(res.OldProblems[0].ID, 10) + ": " + res.OldProblems[0].Reason
		}
		e := &Event{Time: time.Now().UTC(), Action: "audit.rekey", User: actor, Extra: map[string]string{
			"old_records": strconv.Itoa(res.OldRecords), "old_head": res.OldHead, "old_chain": chain, "key_id": db.key.id,
			"grants": strconv.Itoa(res.Grants), "requests": strconv.Itoa(res.Requests)}}
		if err := db.appendKeyed(tx, e); err != nil {
			return err
		}
		res.Event = e.ID
		return nil
	})
	if err != nil {
		return res, err
	}
	db.legacy = false
	return res, nil
}

// macAll rewrites every record that each lists with a MAC; decode returns the writer for one record.
func macAll(each func(func(string, []byte) error) error, decode func([]byte) (func() error, error)) (int, error) {
	var puts []func() error
	err := each(func(k string, v []byte) error {
		put, err := decode(v)
		if err != nil {
			return l10n.Wrap(err, l10n.Internal, "记录 %s 无法读取", "record %s is unreadable", k)
		}
		puts = append(puts, put)
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, put := range puts {
		if err := put(); err != nil {
			return 0, err
		}
	}
	return len(puts), nil
}
