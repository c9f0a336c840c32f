package inspect

import (
	"archive/zip"
	"encoding/xml"
	"io"
)

// odf extracts OpenDocument text, spreadsheets and presentations (odt, ods, odp) from
// content.xml: each table row is one segment ("table N row R", cells joined by '\t'),
// each paragraph or heading outside tables another ("¶N").
func (w *walker) odf(n node, zr *zip.Reader) error {
	zr, err := w.openZip(n, zr)
	if err != nil {
		return err
	}
	f := findFile(zr, "content.xml")
	if f == nil {
		return corrupt("OpenDocument file has no content.xml")
	}
	p, err := w.openXML(n, f)
	if err != nil {
		return err
	}
	defer p.Close()
	fl := &textFlow{w: w, n: n}
	inPara := 0
	for {
		tok, err := p.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "table":
				fl.startTable()
			case "table-row":
				fl.startRow()
			case "table-cell", "covered-table-cell":
				fl.startCell()
			case "p", "h":
				inPara++
			case "s", "tab", "line-break":
				fl.para.WriteByte(' ')
			}
		case xml.CharData:
			if inPara > 0 {
				fl.para.Write(t)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "p", "h":
				if inPara--; inPara > 0 {
					continue
				}
				if err := fl.endPara(); err != nil {
					return err
				}
			case "table-cell", "covered-table-cell":
				fl.endCell()
			case "table-row":
				if err := fl.endRow(); err != nil {
					return err
				}
			case "table":
				fl.endTable()
			}
		}
	}
}
