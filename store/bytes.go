package store

import (
	"bytes"
	"io"
	"sort"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

func sortOutbound(o []*Outbound) {
	sort.SliceStable(o, func(i, j int) bool { return o[i].Time.After(o[j].Time) })
}
