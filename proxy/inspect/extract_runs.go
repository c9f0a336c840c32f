package inspect

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// runsWindow is how much of an unknown part is looked at at a time; runsMin the shortest run kept.
const (
	runsWindow = 1 << 20
	runsMin    = 16
)

// printableRuns reads a part of unknown type for the text it carries anyway: a slice of a CSV behind a
// few hundred bytes of binary header, strings in an unknown container. It emits the runs of printable
// UTF-8 or GB18030 text, and of UTF-16 text when the part has the zero bytes UTF-16 brings, so that
// some binary in front of text does not blind the detectors. It reports how many runs it found.
func (w *walker) printableRuns(n node) (int, error) {
	found := 0
	buf := make([]byte, runsWindow)
	var carry []byte // a run cut by the window's end continues in the next window
	limit := min(n.size, w.b.lim.MaxTotal)
	for off := int64(0); off < limit; off += int64(len(buf)) {
		k, err := n.r.ReadAt(buf[:min(int64(len(buf)), limit-off)], off)
		if k == 0 && err != nil {
			break
		}
		win := append(carry, buf[:k]...)
		start := off - int64(len(carry))
		last := off+int64(k) >= limit
		runs, tail := byteRuns(win, last)
		carry = append([]byte(nil), win[len(win)-tail:]...)
		for _, r := range runs {
			found++
			if err := w.emitLines(n, "bytes "+strconv.FormatInt(start+int64(r.off), 10), r.text); err != nil {
				return found, err
			}
		}
		if bytes.Count(buf[:k], []byte{0}) > k/10 { // UTF-16 text has a zero in every ASCII character
			for align := range 2 {
				for _, s := range utf16Runs(buf[align:k], runsMin/2, nil) {
					if utf16Plausible(s) {
						found++
						if err := w.emitLines(n, "utf-16 bytes "+strconv.FormatInt(off, 10), s); err != nil {
							return found, err
						}
					}
				}
			}
		}
		if err := w.b.check(); err != nil {
			return found, err
		}
		if err == io.EOF {
			break
		}
	}
	return found, nil
}

// emitLines emits text one line at a time (a CSV slice keeps one row per segment).
func (w *walker) emitLines(n node, loc, text string) error {
	for i, line := range strings.Split(text, "\n") {
		if err := w.emit(n, loc+" line "+strconv.Itoa(i+1), strings.TrimRight(line, "\r")); err != nil {
			return err
		}
	}
	return nil
}

type textRun struct {
	off  int
	text string
}

// byteRuns finds the runs of text bytes in b (printable ASCII, tab, CR, LF, and bytes ≥ 0x80 that decode
// as UTF-8 or GB18030). Unless last is set, a run touching the end is left out and its length returned as
// tail, to be continued by the next window.
func byteRuns(b []byte, last bool) (runs []textRun, tail int) {
	textish := func(c byte) bool { return c >= 0x20 && c != 0x7F || c == '\t' || c == '\n' || c == '\r' }
	for i := 0; i < len(b); {
		if !textish(b[i]) {
			i++
			continue
		}
		j := i
		for j < len(b) && textish(b[j]) {
			j++
		}
		if j == len(b) && !last {
			return runs, j - i
		}
		if j-i >= runsMin {
			if s, ok := decodeRun(b[i:j]); ok {
				runs = append(runs, textRun{off: i, text: s})
			}
		}
		i = j
	}
	return runs, 0
}

// decodeRun decodes a run of text bytes: its valid UTF-8 stretches (binary bytes in front or between are
// dropped), else the whole run as GB18030 when it reads as GBK text; noise that is neither is dropped.
func decodeRun(b []byte) (string, bool) {
	var keep []string
	kept, start := 0, 0
	flush := func(end int) {
		if end-start >= runsMin && wordy(string(b[start:end])) {
			keep = append(keep, string(b[start:end]))
			kept += end - start
		}
	}
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			flush(i)
			i++
			start = i
			continue
		}
		i += n
	}
	flush(len(b))
	if kept*2 >= len(b) {
		return strings.Join(keep, "\n"), true
	}
	if len(b) >= 2*runsMin && gbPlausible(b) {
		return string(decodeHead(b, encGB18030)), true
	}
	return "", false
}

// gbPlausible reports whether bytes read as GBK text rather than noise: nearly every double-byte
// character is one of the 3,755 common hanzi (GB2312 level 1: lead 0xB0–0xD7, trail 0xA1–0xFE), as
// they are in real Chinese text; GB18030 decodes almost any bytes, so decoding alone proves nothing.
func gbPlausible(b []byte) bool {
	common, rare := 0, 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < 0x80 {
			continue
		}
		if i+1 < len(b) && c >= 0xB0 && c <= 0xD7 && b[i+1] >= 0xA1 && b[i+1] <= 0xFE {
			common++
		} else {
			rare++
		}
		i++
	}
	return common >= 4 && common >= 9*rare
}

// utf16Plausible keeps UTF-16 runs that read as text: mostly ASCII, or CJK with digits or punctuation
// around (ASCII bytes misread as UTF-16 give ideographs only).
func utf16Plausible(s string) bool {
	var ascii, other int
	for _, r := range s {
		if r < 0x80 {
			ascii++
		} else {
			other++
		}
	}
	return ascii >= 4 && ascii*4 >= other
}

// wordy reports whether text is made of what documents are made of — letters, digits, punctuation,
// spaces, CJK — rather than the odd symbols random bytes decode to.
func wordy(s string) bool {
	good, all := 0, 0
	for _, r := range s {
		all++
		switch {
		case r < 0x80 && r >= 0x20 || r == '\t' || r == '\n' || r == '\r':
			good++
		case r >= 0x4E00 && r <= 0x9FFF, r >= 0x3000 && r <= 0x303F, r >= 0xFF00 && r <= 0xFFEF:
			good++
		}
	}
	return good*10 >= all*9
}
