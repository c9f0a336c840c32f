package store

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

func TestComputeFingerprintBlocks(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 2*FingerprintBlockSize+12345)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	f, err := ComputeFingerprint(bytes.NewReader(data), "big.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if f.SHA256 != hex.EncodeToString(sum[:]) || f.Size != int64(len(data)) {
		t.Errorf("sha256/size wrong: %+v", f)
	}
	if len(f.BlockMD5s) != 3 {
		t.Fatalf("blocks = %d, want 3", len(f.BlockMD5s))
	}
	for i, want := range [][]byte{data[:FingerprintBlockSize], data[FingerprintBlockSize : 2*FingerprintBlockSize], data[2*FingerprintBlockSize:]} {
		m := md5.Sum(want)
		if f.BlockMD5s[i] != hex.EncodeToString(m[:]) {
			t.Errorf("block %d md5 = %s", i, f.BlockMD5s[i])
		}
	}
	whole := md5.Sum(data)
	slice := md5.Sum(data[:256<<10])
	if f.MD5 != hex.EncodeToString(whole[:]) || f.SliceMD5 != hex.EncodeToString(slice[:]) {
		t.Errorf("md5/slice md5 wrong")
	}
	empty, _ := ComputeFingerprint(bytes.NewReader(nil), "empty")
	if len(empty.BlockMD5s) != 1 || empty.BlockMD5s[0] != "d41d8cd98f00b204e9800998ecf8427e" {
		t.Errorf("empty file blocks = %v", empty.BlockMD5s)
	}
}

func TestFingerprintAddListLookup(t *testing.T) {
	db := openTestDB(t)
	small, _ := ComputeFingerprint(bytes.NewReader([]byte("客户清单 13812345678")), "客户清单.csv")
	if err := db.AddFingerprint(small, "admin"); err != nil {
		t.Fatal(err)
	}
	if evs, _ := db.Events(EventFilter{User: "admin"}); len(evs) != 1 || evs[0].Action != "fingerprints.add" || evs[0].Extra["sha256"] != small.SHA256 {
		t.Fatalf("fingerprint not audited: %+v", evs)
	}
	if err := db.AddFingerprint(small, "admin"); err != nil {
		t.Fatal(err)
	}
	if err := db.AddFingerprint(Fingerprint{Name: "bad"}, "admin"); err == nil {
		t.Error("incomplete fingerprint accepted")
	}
	fs, err := db.Fingerprints()
	if err != nil || len(fs) != 1 || fs[0].Name != "客户清单.csv" || fs[0].Added.IsZero() {
		t.Fatalf("list = %+v, %v", fs, err)
	}
	ix, err := db.LoadFingerprintIndex()
	if err != nil {
		t.Fatal(err)
	}
	if name, ok := ix.LookupSHA256(small.SHA256); !ok || name != "客户清单.csv" {
		t.Error("sha256 lookup failed")
	}
	if _, ok := ix.LookupBlockList([]string{small.MD5}); !ok {
		t.Error("one-block list (= whole md5) lookup failed")
	}
	if _, ok := ix.LookupMD5(small.MD5); !ok {
		t.Error("md5 lookup failed")
	}
	if _, ok := ix.LookupSHA256(hex.EncodeToString(make([]byte, 32))); ok {
		t.Error("unknown sha256 matched")
	}
	if _, ok := ix.LookupBlockList([]string{"00000000000000000000000000000000", small.MD5}); ok {
		t.Error("block list with a different first block matched")
	}
}
