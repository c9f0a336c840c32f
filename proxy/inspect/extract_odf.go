package inspect

import (
	"archive/zip"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
)

// odf extracts OpenDocument text, spreadsheets and presentations (odt, ods, odp) from
// content.xml: each table row is one segment ("table N row R", cells joined by '\t'),
// each paragraph or heading outside tables another ("¶N").
func (w *walker) odf(n node, zr *zip.Reader) error {
	zr, err := openZip(n, zr)
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
	var para, cell strings.Builder
	var cells []string
	tableN, rowN, paraN, tblDepth := 0, 0, 0, 0
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
				if tblDepth++; tblDepth == 1 {
					tableN++
					rowN = 0
				}
			case "table-row":
				if tblDepth == 1 {
					cells = cells[:0]
				}
			case "table-cell", "covered-table-cell":
				if tblDepth == 1 {
					cell.Reset()
				}
			case "p", "h":
				inPara++
			case "s", "tab", "line-break":
				para.WriteByte(' ')
			}
		case xml.CharData:
			if inPara > 0 {
				para.Write(t)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "p", "h":
				if inPara--; inPara > 0 {
					continue
				}
				s := para.String()
				para.Reset()
				if tblDepth > 0 {
					if cell.Len() > 0 {
						cell.WriteByte(' ')
					}
					cell.WriteString(s)
					continue
				}
				paraN++
				if err := w.emit(n, "¶"+strconv.Itoa(paraN), s); err != nil {
					return err
				}
			case "table-cell", "covered-table-cell":
				if tblDepth == 1 {
					cells = append(cells, strings.TrimSpace(cell.String()))
				}
			case "table-row":
				if tblDepth == 1 {
					rowN++
					row := strings.TrimRight(strings.Join(cells, "\t"), "\t")
					if err := w.emit(n, "table "+strconv.Itoa(tableN)+" row "+strconv.Itoa(rowN), row); err != nil {
						return err
					}
				}
			case "table":
				tblDepth--
			}
		}
	}
}
