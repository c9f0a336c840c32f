package store

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-dlp/sluice/internal/l10n"
)

// MaxMarkID bounds mark ids: the watermark payload carries 48 bits of id.
const MaxMarkID = 1<<48 - 1

// Outbound is the archive record of one file that left through a watched destination.
type Outbound struct {
	MarkID      uint64    `json:"mark_id"` // 0 when the file left unmarked
	EventID     uint64    `json:"event_id"`
	Time        time.Time `json:"time"`
	User        string    `json:"user"`
	DisplayName string    `json:"display_name"`
	StaffID     string    `json:"staff_id"`
	Host        string    `json:"host"`
	Category    string    `json:"category"`
	Path        string    `json:"path"`
	FileName    string    `json:"file_name"`
	Type        string    `json:"type"`
	OrigSHA256  string    `json:"orig_sha256"`
	MarkSHA256  string    `json:"marked_sha256,omitempty"`
	ApprovalID  string    `json:"approval,omitempty"`
	GrantID     string    `json:"grant,omitempty"`
	Note        string    `json:"note,omitempty"` // e.g. "unmarked: integrity-checked upload"
	// ResendOf is the mark the file already carried when it was sent again (kept in the file, so trace
	// names the first sender and lists this send among the re-sends).
	ResendOf uint64 `json:"resend_of,omitempty"`
	// Weak is set when the mark just made could not be read back from the marked file.
	Weak bool `json:"weak,omitempty"`
}

// MarkIDString formats a mark id the way people see it: 12 hex digits.
func MarkIDString(id uint64) string { return fmt.Sprintf("%012x", id) }

// ParseMarkID parses a 12-hex-digit mark id.
func ParseMarkID(s string) (uint64, error) {
	id, err := strconv.ParseUint(strings.TrimSpace(s), 16, 64)
	if err != nil || id > MaxMarkID {
		return 0, l10n.Errorf(l10n.Invalid, "%q 不是水印编号（12 位十六进制）", "%q is not a mark id (12 hex digits)", s)
	}
	return id, nil
}

// NewMarkID reserves a fresh random, unused mark id.
func (db *DB) NewMarkID() (uint64, error) {
	var id uint64
	err := db.update(func(tx Tx) error {
		for range 16 {
			var r [8]byte
			if _, err := rand.Read(r[:]); err != nil {
				return err
			}
			id = binary.BigEndian.Uint64(r[:]) & MaxMarkID
			if id == 0 {
				continue
			}
			data, err := marshal(&Outbound{MarkID: id, Time: time.Now().UTC()})
			if err != nil {
				return err
			}
			// unique across nodes: the insert fails for an id any node already holds
			if ok, err := tx.InsertMark(id, data); ok || err != nil {
				return err
			}
		}
		return l10n.New(l10n.Internal, "无法分配空闲的水印编号", "could not allocate a free mark id")
	})
	return id, err
}

// PutOutbound stores an outbound archive record (under its mark id, or a fresh key when unmarked).
func (db *DB) PutOutbound(o *Outbound) error {
	return db.update(func(tx Tx) error {
		if err := db.referOutbound(tx, o); err != nil {
			return err
		}
		data, err := marshal(o)
		if err != nil {
			return err
		}
		return tx.PutMark(o.MarkID, data)
	})
}

// HasMarks reports whether any file was ever marked (an unmarked archive record does not count).
func (db *DB) HasMarks() (bool, error) {
	var found bool
	errFound := errors.New("found")
	err := db.view(func(tx Tx) error {
		return tx.ForEachMark(func(v []byte) error {
			var o struct {
				MarkID uint64 `json:"mark_id"`
			}
			if json.Unmarshal(v, &o) == nil && o.MarkID != 0 {
				found = true
				return errFound
			}
			return nil
		})
	})
	if errors.Is(err, errFound) {
		err = nil
	}
	return found, err
}

// Outbound loads the archive record of a mark id, or ErrNotFound.
func (db *DB) Outbound(markID uint64) (*Outbound, error) {
	var o Outbound
	err := db.view(func(tx Tx) error {
		data, err := tx.Mark(markID)
		return getJSON(data, err, &o)
	})
	if err != nil || o.User == "" && o.FileName == "" { // absent, or reserved and never used
		return nil, l10n.Errorf(l10n.NotFound, "水印 %s 不在本系统的外发档案中", "mark %s is not in this installation's outbound archive", MarkIDString(markID))
	}
	return &o, nil
}

// ArchiveFilter selects outbound records; zero fields match everything.
type ArchiveFilter struct {
	User  string
	Host  string // substring
	Text  string // substring of file name, or prefix of either sha256
	Since time.Time
	Until time.Time
	Limit int // 0 = 100
}

// Archive searches the outbound archive, newest first.
func (db *DB) Archive(f ArchiveFilter) ([]*Outbound, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	var out []*Outbound
	err := db.view(func(tx Tx) error {
		out = nil
		return tx.ForEachMark(func(v []byte) error {
			var o Outbound
			if json.Unmarshal(v, &o) != nil || o.User == "" {
				return nil
			}
			t := strings.ToLower(f.Text)
			switch {
			case f.User != "" && o.User != f.User,
				f.Host != "" && !strings.Contains(o.Host, f.Host),
				!f.Since.IsZero() && o.Time.Before(f.Since),
				!f.Until.IsZero() && o.Time.After(f.Until),
				t != "" && !strings.Contains(strings.ToLower(o.FileName), t) && !strings.HasPrefix(o.OrigSHA256, t) && !strings.HasPrefix(o.MarkSHA256, t) && MarkIDString(o.MarkID) != t:
				return nil
			}
			out = append(out, &o)
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.After(out[j].Time) }) // newest first
	if len(out) > limit {
		out = out[:limit]
	}
	return out, err
}
