package store

import (
	"encoding/base64"
	"encoding/binary"
	"slices"
)

// EncodeCustomers packs sorted customer-list entry ids compactly (varint deltas, base64) for a file record.
func EncodeCustomers(ids []uint64) string {
	if len(ids) == 0 {
		return ""
	}
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	buf := make([]byte, 0, len(sorted)*2)
	prev := uint64(0)
	for _, id := range sorted {
		buf = binary.AppendUvarint(buf, id-prev)
		prev = id
	}
	return base64.RawStdEncoding.EncodeToString(buf)
}

// DecodeCustomers unpacks what EncodeCustomers packed; nil for an empty or damaged value.
func DecodeCustomers(s string) []uint64 {
	raw, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil || len(raw) == 0 {
		return nil
	}
	var out []uint64
	prev := uint64(0)
	for len(raw) > 0 {
		d, n := binary.Uvarint(raw)
		if n <= 0 {
			return nil
		}
		prev += d
		out = append(out, prev)
		raw = raw[n:]
	}
	return out
}

// Overlap counts the ids two sorted id lists share.
func Overlap(a, b []uint64) int {
	n, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			n++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return n
}
