package watermark

import (
	"bytes"
	"image/png"
	"testing"
	"time"

	"github.com/disintegration/imaging"
)

// TestStampFileVerifies checks the report of StampFile: a normal photo is
// verified, and a picture too small to carry the mark is reported weak
// (never silently "marked").
func TestStampFileVerifies(t *testing.T) {
	m := NewMarker(testKey)
	mark := Mark{ID: 0x123456789A, Name: "张三", StaffID: "A1024", Time: time.Now()}
	r, err := m.StampFile(encodeTestJPEG(t, genPhoto(640, 480, 3), 85), mark)
	if err != nil || r.Type != "jpeg" || r.MarkID != mark.ID || r.Existing.Found {
		t.Fatalf("StampFile: %+v %v", r.Verified, err)
	}
	if r.Weak || !r.Verified.Found || r.Verified.MarkID != mark.ID {
		t.Fatalf("a 640×480 photo should verify: weak %v, verified %+v", r.Weak, r.Verified)
	}
	if got, _ := m.Decode(r.Out); !got.Found || got.MarkID != mark.ID {
		t.Fatalf("Decode of the stamped file: %+v", got)
	}
	// A 120×90 thumbnail carries the fine layer (15×11 blocks of 8 px,
	// most of the 12×12-block tile); a 64×48 one (8×6 blocks, a third of
	// the tile) cannot carry the mark.
	r, err = m.StampFile(encodeTestJPEG(t, genPhoto(120, 90, 4), 85), mark)
	if err != nil {
		t.Fatal(err)
	}
	if r.Weak || r.Verified.MarkID != mark.ID {
		t.Fatalf("a 120×90 thumbnail should verify through its fine layer: %+v weak=%v", r.Verified, r.Weak)
	}
	r, err = m.StampFile(encodeTestJPEG(t, genPhoto(64, 48, 4), 85), mark)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Weak || r.Verified.Found {
		t.Fatalf("a 64×48 picture cannot carry the mark, want Weak: %+v weak=%v", r.Verified, r.Weak)
	}
}

// TestStampKeepsExistingMark re-sends a marked photo (as is, and after a
// chat app's downscale and recompression) and a marked PDF: the first
// sender's mark must survive, and StampFile must say it found it.
func TestStampKeepsExistingMark(t *testing.T) {
	m := NewMarker(testKey)
	alice := Mark{ID: 0xA11CE0001, Name: "李四", StaffID: "A7", Time: time.Now()}
	bob := Mark{ID: 0xB0B000002, Name: "王五", StaffID: "B9", Time: time.Now()}
	first, err := m.StampFile(encodeTestJPEG(t, genPhoto(1200, 900, 9), 90), alice)
	if err != nil || first.Weak {
		t.Fatalf("first stamp: %v weak=%v", err, first.Weak)
	}
	img, err := decodeImage(first.Out)
	if err != nil {
		t.Fatal(err)
	}
	var chat bytes.Buffer
	if err := png.Encode(&chat, jpegQ(85)(imaging.Resize(img, 1000, 0, imaging.Lanczos))); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"same file": first.Out, "chat copy": chat.Bytes()} {
		r, err := m.StampFile(data, bob)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !r.Existing.Found || r.Existing.MarkID != alice.ID || r.MarkID != alice.ID {
			t.Errorf("%s: existing mark not reported: %+v, MarkID %x", name, r.Existing, r.MarkID)
		}
		if got, _ := m.Decode(r.Out); !got.Found || got.MarkID != alice.ID {
			t.Errorf("%s: re-sent file traces to %+v, want alice's %x", name, got, alice.ID)
		}
		if r.Weak {
			t.Errorf("%s: re-stamp reported weak", name)
		}
	}
	// A fresh file is not reported as marked.
	if r, _ := m.StampFile(encodeTestJPEG(t, genPhoto(800, 600, 10), 90), bob); r.Existing.Found || r.MarkID != bob.ID {
		t.Errorf("unmarked input reported as marked: %+v", r.Existing)
	}
	p1, err := m.StampFile(genPDF(2, 3), alice)
	if err != nil || p1.Weak {
		t.Fatalf("PDF: %v weak=%v", err, p1.Weak)
	}
	p2, err := m.StampFile(p1.Out, bob)
	if err != nil || !p2.Existing.Found || p2.Existing.MarkID != alice.ID || p2.Weak {
		t.Fatalf("PDF re-send: %+v weak=%v %v", p2.Existing, p2.Weak, err)
	}
	ctx, err := readPDF(p2.Out, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := m.Decode(p2.Out); got.MarkID != alice.ID {
		t.Errorf("re-sent PDF traces to %x, want alice's %x", got.MarkID, alice.ID)
	}
	d, _, _, _ := ctx.PageDict(1, false)
	content, _ := ctx.PageContent(d, 1)
	if n := len(tokenRE.FindAllSubmatch(content, -1)); n != 2 {
		t.Errorf("re-sent PDF page 1 holds %d content tokens, want alice's and bob's", n)
	}
}
