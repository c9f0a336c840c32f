package inspect

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/gabriel-vasile/mimetype"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Images inside documents, for OCR: the media of DOCX/XLSX/PPTX packages and the image
// XObjects of PDF pages that have no text layer (scans, pasted screenshots).

// minPageImage is the smallest embedded image (pixels) worth OCR: below, logos and icons.
const minPageImage = 64 * 64

// ocrSettle records a problem of one embedded image at loc; only a fatal one stops the part.
func (w *walker) ocrSettle(n node, loc string, err error) error {
	if err == nil {
		return nil
	}
	p := asProblem(err, "image")
	if p.fatal {
		return w.settle(n, "image", err)
	}
	w.addOwn(p.kind, p.detail, n.loc(loc))
	return nil
}

// officeMedia walks the images stored in an OOXML package's media folders (word/media,
// xl/media, ppt/media) as nested parts, so each is OCR'd; other media are left alone.
func (w *walker) officeMedia(n node, zr *zip.Reader) error {
	if w.ocr == nil {
		return nil
	}
	for _, f := range zr.File {
		if !strings.Contains(f.Name, "/media/") || f.FileInfo().IsDir() {
			continue
		}
		if rc, err := f.Open(); err == nil { // EMF/WMF drawings, audio, video: never inflated
			head := make([]byte, sniffLen)
			k, _ := io.ReadFull(rc, head)
			rc.Close()
			if !imageTypes[shortType(mimetype.Detect(head[:k]))] {
				continue
			}
		}
		data, err := w.readEntry(n, f)
		if err != nil {
			if serr := w.settle(n.child(nil, 0, f.Name), "embedded image", err); serr != nil {
				return serr
			}
			continue
		}
		if err := w.entry(n, data, f.Name); err != nil {
			return err
		}
	}
	return nil
}

// pdfPageImages OCRs the image XObjects of one page, located "page N image NAME".
func (w *walker) pdfPageImages(n node, x *model.XRefTable, res types.Dict, page int) error {
	xo, err := x.DereferenceDict(res["XObject"])
	if err != nil || xo == nil {
		return nil
	}
	names := make([]string, 0, len(xo))
	for k := range xo {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		sd, _, err := x.DereferenceStreamDict(xo[name])
		if err != nil || sd == nil {
			continue
		}
		if st := sd.Subtype(); st == nil || *st != "Image" {
			continue
		}
		loc := fmt.Sprintf("page %d image %s", page, name)
		g, err := w.pdfImagePlane(x, sd)
		if g == nil && err == nil {
			continue // too small to hold text
		}
		w.ocr.rep.Images++
		if err == nil {
			err = w.ocrPlane(n, loc, g)
		}
		if err := w.ocrSettle(n, loc, err); err != nil {
			return err
		}
	}
	return nil
}

// pdfImagePlane decodes an image XObject to grey: JPEG (DCTDecode) through the image
// decoder, raw samples (Flate, LZW, RunLength or none) of 1 or 8 bits in grey, RGB or CMYK
// directly. JPEG 2000, JBIG2 and CCITT scans are reported as not decodable. It returns
// nil, nil for an image too small to hold text.
func (w *walker) pdfImagePlane(x *model.XRefTable, sd *types.StreamDict) (*plane, error) {
	iw, ih := intEntry(sd, "Width"), intEntry(sd, "Height")
	if iw <= 0 || ih <= 0 || iw*ih < minPageImage {
		return nil, nil
	}
	if int64(iw)*int64(ih) > w.ocr.opt.MaxPixels {
		return nil, corruptKind(KindUninspectable, "PDF image of %d×%d pixels is over the OCR limit of %d megapixels", iw, ih, w.ocr.opt.MaxPixels/1_000_000)
	}
	last := ""
	if k := len(sd.FilterPipeline); k > 0 {
		last = sd.FilterPipeline[k-1].Name
	}
	switch last {
	case "DCTDecode":
		if len(sd.FilterPipeline) != 1 {
			return nil, corruptKind(KindUninspectable, "PDF image with filters %v cannot be decoded for OCR", filterNames(sd))
		}
		img, err := decodeImage(bytes.NewReader(sd.Raw), int64(len(sd.Raw)), w.ocr.opt.MaxPixels)
		if err != nil {
			return nil, err
		}
		return greyOf(img), nil
	case "JPXDecode", "JBIG2Decode", "CCITTFaxDecode":
		return nil, corruptKind(KindUninspectable, "PDF image in %s cannot be decoded for OCR", strings.TrimSuffix(last, "Decode"))
	}
	mask := sd.BooleanEntry("ImageMask")
	bpc, comps := intEntry(sd, "BitsPerComponent"), 1
	if mask != nil && *mask {
		bpc = 1
	} else {
		comps = pdfComponents(x, sd)
	}
	if comps == 0 || (bpc != 1 && bpc != 8) || (bpc == 1 && comps != 1) {
		return nil, corruptKind(KindUninspectable, "PDF image with %d-bit samples in colour space %v cannot be decoded for OCR", bpc, sd.Dict["ColorSpace"])
	}
	if err := w.decodeStream(sd); err != nil {
		return nil, err
	}
	stride := (iw*comps*bpc + 7) / 8
	if len(sd.Content) < stride*ih {
		return nil, corrupt("PDF image data shorter than its %d×%d size", iw, ih)
	}
	g := newPlane(iw, ih)
	for y := 0; y < ih; y++ {
		row := sd.Content[y*stride:]
		for xx := 0; xx < iw; xx++ {
			var v uint8
			switch {
			case bpc == 1:
				if row[xx/8]>>(7-uint(xx%8))&1 != 0 {
					v = 255
				}
			case comps == 1:
				v = row[xx]
			case comps == 3:
				v = luma(uint32(row[3*xx]), uint32(row[3*xx+1]), uint32(row[3*xx+2]))
			default: // CMYK
				c := row[4*xx : 4*xx+4]
				k := 255 - uint32(c[3])
				v = luma((255-uint32(c[0]))*k/255, (255-uint32(c[1]))*k/255, (255-uint32(c[2]))*k/255)
			}
			g.pix[y*iw+xx] = v
		}
	}
	if d, ok := sd.Dict["Decode"].(types.Array); ok && len(d) >= 2 && fmt.Sprint(d[0]) != "0" && fmt.Sprint(d[0]) != "0.0" {
		for i, v := range g.pix { // an inverted Decode array ([1 0]): 0 means white
			g.pix[i] = 255 - v
		}
	}
	return g, nil
}

// intEntry returns an integer entry of a stream dictionary, or 0.
func intEntry(sd *types.StreamDict, key string) int {
	if v := sd.IntEntry(key); v != nil {
		return *v
	}
	return 0
}

// pdfComponents is the number of colour components of an image's colour space (0 when
// it is not one decoded here, e.g. Indexed or Separation).
func pdfComponents(x *model.XRefTable, sd *types.StreamDict) int {
	o, err := x.Dereference(sd.Dict["ColorSpace"])
	if err != nil {
		return 0
	}
	switch cs := o.(type) {
	case types.Name:
		switch cs {
		case "DeviceGray", "CalGray", "G":
			return 1
		case "DeviceRGB", "CalRGB", "RGB":
			return 3
		case "DeviceCMYK", "CMYK":
			return 4
		}
	case types.Array:
		if len(cs) == 2 {
			if n, ok := cs[0].(types.Name); ok && n == "ICCBased" {
				if icc, _, err := x.DereferenceStreamDict(cs[1]); err == nil && icc != nil {
					if k := intEntry(icc, "N"); k == 1 || k == 3 || k == 4 {
						return k
					}
				}
			}
		}
	}
	return 0
}

func filterNames(sd *types.StreamDict) []string {
	var out []string
	for _, f := range sd.FilterPipeline {
		out = append(out, f.Name)
	}
	return out
}
