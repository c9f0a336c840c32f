package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"sort"
)

// ChainProblem is one place where the audit chain does not verify.
type ChainProblem struct {
	ID       uint64 `json:"id"`
	Reason   string `json:"reason"`              // in English
	ReasonZH string `json:"reason_zh,omitempty"` // in Chinese
}

// Text is the reason in Chinese (zh) or English.
func (p ChainProblem) Text(zh bool) string {
	if zh && p.ReasonZH != "" {
		return p.ReasonZH
	}
	return p.Reason
}

// VerifyChain walks every audit event and reports edited, deleted, renumbered or reordered records,
// a dropped tail and a head or chain not authenticated by the audit key.
func (db *DB) VerifyChain() (count int, problems []ChainProblem, err error) {
	err = db.view(func(tx Tx) error {
		var err error
		count, problems, err = db.verifyTx(tx)
		return err
	})
	return count, problems, err
}

func (db *DB) verifyTx(tx Tx) (count int, problems []ChainProblem, err error) {
	add := func(id uint64, zh, en string, args ...any) {
		problems = append(problems, ChainProblem{ID: id, Reason: fmt.Sprintf(en, args...), ReasonZH: fmt.Sprintf(zh, args...)})
	}
	m, err := readMarker(tx)
	if err != nil {
		return 0, nil, err
	}
	from := uint64(math.MaxUint64) // first keyed event
	if m != nil {
		from = m.From
		if m.KeyID != db.key.id || !db.key.check(m.MAC, "marker", []byte(m.KeyID), u64(m.From)) {
			add(0, "记录密钥链起点的记录被修改过（未通过审计密钥验证）", "the record of where the keyed chain starts was edited (it is not authenticated by the audit key)")
		}
	}
	prev, want := "", uint64(1)
	err = tx.ScanEvents(1, false, func(id uint64, v []byte) (bool, error) {
		count++
		if id != want {
			add(want, "记录 %d 至 %d 缺失（被删除）", "records %d to %d are missing (deleted)", want, id-1)
		}
		want = id + 1
		var e Event
		if err := json.Unmarshal(v, &e); err != nil {
			add(id, "记录不是有效的 JSON（被修改）", "record is not valid JSON (edited)")
			prev = ""
			return true, nil
		}
		keyed := id >= from
		var hashOK bool
		if keyed {
			hashOK = db.key.check(e.Hash, "event", []byte(e.Prev), jsonWithoutHash(&e))
		} else {
			h, _ := chainHash(&e)
			hashOK = h == e.Hash
		}
		switch {
		case e.ID != id:
			add(id, "记录自称编号 %d（被移动、重新编号或修改）", "record claims id %d (moved, renumbered or edited)", e.ID)
		case !hashOK && keyed:
			add(id, "内容与其 MAC 不符（被修改，或在没有审计密钥的情况下被重写）", "content does not match its MAC (edited, or rewritten without the audit key)")
		case !hashOK:
			add(id, "内容与其哈希不符（被修改）", "content does not match its hash (edited)")
		case e.Prev != prev:
			add(id, "与前一条记录接不上（之前的某条记录被修改、删除或移动）", "does not follow the previous record (a record before it was edited, deleted or moved)")
		case keyed && id == from && from > 1 && e.Action != "audit.rekey":
			add(id, "密钥链不是从重新签名记录开始的", "the keyed chain does not start with the re-key record")
		}
		prev = e.Hash
		return true, nil
	})
	if err != nil {
		return count, problems, err
	}
	last := want - 1
	head, err := tx.Meta(metaAuditHead)
	if err != nil {
		return count, problems, err
	}
	switch {
	case head == nil && count > 0:
		add(last, "链头缺失（可能为掩盖末尾被删除的记录而移除）", "the chain head is missing (removed to hide records deleted at the end)")
	case head == nil:
	case len(head) < 8+64:
		add(last, "链头无法读取（被修改）", "the chain head is unreadable (edited)")
	default:
		hid := binary.BigEndian.Uint64(head[:8])
		if m != nil && hid >= from && !db.key.check(string(head[8+64:]), "head", head[:8], head[8:8+64]) {
			add(hid, "链头未通过审计密钥验证（被重写，例如为掩盖末尾被删除的记录）", "the chain head is not authenticated by the audit key (rewritten, e.g. to hide records deleted at the end)")
		}
		if hid != last {
			add(hid, "链头记载 %d 条记录，实际只有 %d 条（末尾的记录被删除）", "chain head says %d records but %d exist (records at the end were deleted)", hid, last)
		} else if string(head[8:8+64]) != prev {
			add(hid, "最后一条记录与链头不符（被修改）", "last record does not match the chain head (edited)")
		}
	}
	if seq, err := tx.EventSeq(); err != nil {
		return count, problems, err
	} else if seq > last {
		add(last+1, "已编号到 %d，但最后一条记录是 %d（末尾的记录被删除）", "%d records were numbered but the last is %d (records at the end were deleted)", seq, last)
	}
	if m == nil && count > 0 {
		add(0, "审计链没有用密钥签名，任何能写数据库的人都能重写它：如果此数据库早于密钥链，请停止 sluice 并运行一次 'sluice audit rekey'；如果它曾经重新签名过，说明审计链已被替换", "the audit chain is not keyed, so anyone who can write the database could rewrite it: if this database predates keyed chains, stop sluice and run 'sluice audit rekey' once; if it was re-keyed before, its chain has been replaced")
	}
	return count, problems, nil
}

// jsonWithoutHash is the event JSON a chain hash or MAC covers.
func jsonWithoutHash(e *Event) []byte {
	c := *e
	c.Hash = ""
	data, _ := json.Marshal(&c)
	return data
}

// CheckWitness compares the chain with heads an outside witness recorded earlier: a witnessed head
// whose record is gone (the chain is shorter) or different (history was rewritten, even by someone
// holding the key) is a problem. It returns how many distinct heads were checked.
func (db *DB) CheckWitness(heads []ChainHead) (checked int, problems []ChainProblem, err error) {
	hs := append([]ChainHead(nil), heads...)
	sort.SliceStable(hs, func(i, j int) bool { return hs[i].ID < hs[j].ID })
	err = db.view(func(tx Tx) error {
		last, err := tx.LastEventID()
		if err != nil {
			return err
		}
		seen := map[ChainHead]bool{}
		for _, h := range hs {
			key := ChainHead{ID: h.ID, MAC: h.MAC}
			if h.ID == 0 || seen[key] {
				continue
			}
			seen[key] = true
			checked++
			when := h.Time.Format("2006-01-02 15:04:05Z07:00")
			v, err := tx.Event(h.ID)
			if err != nil {
				return err
			}
			var e Event
			switch {
			case h.ID > last:
				problems = append(problems, ChainProblem{ID: h.ID, Reason: fmt.Sprintf("the chain ends at record %d, but the witness saw record %d at %s (records at the end were deleted, or the database was restored from an older copy)", last, h.ID, when),
					ReasonZH: fmt.Sprintf("审计链止于记录 %d，但见证在 %s 见过记录 %d（末尾的记录被删除，或数据库被旧副本替换）", last, when, h.ID)})
			case v == nil || json.Unmarshal(v, &e) != nil:
				problems = append(problems, ChainProblem{ID: h.ID, Reason: fmt.Sprintf("record %d, which the witness saw at %s, is gone or unreadable", h.ID, when),
					ReasonZH: fmt.Sprintf("见证在 %s 见过的记录 %d 已不存在或无法读取", when, h.ID)})
			case e.Hash != h.MAC:
				problems = append(problems, ChainProblem{ID: h.ID, Reason: fmt.Sprintf("record %d is not the one the witness saw at %s: the history up to it was rewritten (with or without the audit key)", h.ID, when),
					ReasonZH: fmt.Sprintf("记录 %d 不是见证在 %s 见过的那条：到它为止的历史被重写过（无论是否持有审计密钥）", h.ID, when)})
			}
		}
		return nil
	})
	return checked, problems, err
}
