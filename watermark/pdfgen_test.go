package watermark

import (
	"bytes"
	"fmt"
	"math/rand/v2"
)

// genPDF writes a plain text PDF (A4, Helvetica) with the given pages, like
// a customer report exported from an office suite.
func genPDF(pages int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 3))
	var objs [][]byte
	add := func(s []byte) int { objs = append(objs, s); return len(objs) }
	font := add([]byte("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"))
	pagesObj := len(objs) + 1 + 2*pages // reserved number for the Pages dict
	var kids []int
	for p := 0; p < pages; p++ {
		var c bytes.Buffer
		fmt.Fprintf(&c, "BT /F1 16 Tf 72 780 Td (Quarterly customer report - page %d) Tj ET\n", p+1)
		for l := 0; l < 40; l++ {
			fmt.Fprintf(&c, "BT /F1 10 Tf 72 %d Td (Customer %04d  Zhang San  138%08d  Shanghai Pudong district, order %d) Tj ET\n",
				740-l*16, rng.IntN(10000), rng.IntN(100000000), rng.IntN(1e6))
		}
		if p%3 == 1 {
			c.WriteString("0.2 0.4 0.8 rg 72 100 450 40 re f\n")
		}
		cs := add(fmt.Appendf(nil, "<< /Length %d >>\nstream\n%s\nendstream", c.Len(), c.Bytes()))
		kids = append(kids, add(fmt.Appendf(nil, "<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>", pagesObj, font, cs)))
	}
	var k bytes.Buffer
	for _, id := range kids {
		fmt.Fprintf(&k, "%d 0 R ", id)
	}
	if add(fmt.Appendf(nil, "<< /Type /Pages /Kids [%s] /Count %d >>", k.String(), pages)) != pagesObj {
		panic("genPDF: object numbering")
	}
	cat := add(fmt.Appendf(nil, "<< /Type /Catalog /Pages %d 0 R >>", pagesObj))
	info := add([]byte("<< /Title (Customer report) /Author (sales) /Producer (sluice test) >>"))
	var out bytes.Buffer
	out.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offs := make([]int, len(objs)+1)
	for i, o := range objs {
		offs[i+1] = out.Len()
		fmt.Fprintf(&out, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for i := 1; i <= len(objs); i++ {
		fmt.Fprintf(&out, "%010d 00000 n \n", offs[i])
	}
	fmt.Fprintf(&out, "trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, cat, info, xref)
	return out.Bytes()
}
