package inspect

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// commonSurnames holds the ~130 most common single-character Chinese surnames, which
// together cover about 90% of the population.
const commonSurnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"

// compoundSurnames are two-character surnames.
var compoundSurnames = []string{"欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "夏侯", "司徒", "长孙", "宇文", "端木", "独孤", "南宫", "西门"}

// nameTitles turn a surname into a way of addressing a person (王总, 李经理, 张女士).
var nameTitles = []string{"先生", "女士", "小姐", "总监", "经理", "老师", "主任", "总"}

// nameLabels introduce a person's name in free text (联系人：张伟).
var nameLabels = []string{"联系人", "姓名", "收件人", "负责人", "对接人", "收货人", "客户经理"}

// companySuffixes end company names; latinCompanyMarks are looked up in lower case.
var (
	companySuffixes   = []string{"公司", "集团", "有限", "商行", "工作室", "事务所", "研究院", "厂"}
	latinCompanyMarks = []string{" co.", "co.,", "co.ltd", " ltd", "limited", " inc.", " inc", " llc", " gmbh", " corp"}
)

var surnameSet = func() map[rune]bool {
	m := map[rune]bool{}
	for _, r := range commonSurnames {
		m[r] = true
	}
	return m
}()

// isHan reports whether r is a Chinese character (fast path for the main CJK block).
func isHan(r rune) bool {
	if r >= 0x4E00 && r <= 0x9FFF {
		return true
	}
	return r >= 0x3400 && unicode.Is(unicode.Han, r)
}

// surnameLen returns the byte length of the surname s starts with, or 0.
func surnameLen(s string) int {
	r, size := utf8.DecodeRuneInString(s)
	if compoundFirst[r] {
		for _, c := range compoundSurnames {
			if strings.HasPrefix(s, c) {
				return len(c)
			}
		}
	}
	if surnameSet[r] {
		return size
	}
	return 0
}

// compoundFirst holds the first characters of the compound surnames.
var compoundFirst = func() map[rune]bool {
	m := map[rune]bool{}
	for _, c := range compoundSurnames {
		r, _ := utf8.DecodeRuneInString(c)
		m[r] = true
	}
	return m
}()

// isPersonName reports whether s (already trimmed) looks like a Chinese person's name —
// 2-4 Han characters starting with a common surname, or a surname plus a title — or a
// Latin "First Last".
func isPersonName(s string) bool {
	n := utf8.RuneCountInString(s)
	if n >= 2 && n <= 4 && allHan(s) {
		if sl := surnameLen(s); sl > 0 {
			return true
		}
	}
	return isLatinName(s)
}

func allHan(s string) bool {
	for _, r := range s {
		if !isHan(r) {
			return false
		}
	}
	return s != ""
}

// isLatinName reports whether s is exactly "First Last" (or "First M. Last").
func isLatinName(s string) bool {
	if len(s) < 5 || len(s) > 60 || s[0] < 'A' || s[0] > 'Z' || strings.IndexByte(s, ' ') < 0 {
		return false
	}
	words := strings.Fields(s)
	if len(words) < 2 || len(words) > 3 {
		return false
	}
	for i, w := range words {
		if i == 1 && len(words) == 3 && len(w) == 2 && w[0] >= 'A' && w[0] <= 'Z' && w[1] == '.' {
			continue
		}
		if !isCapitalisedWord(w) || notNameWords[w] {
			return false
		}
	}
	return true
}

// notNameWords are capitalised words of forms and headers that are not names ("Phone Number").
var notNameWords = map[string]bool{"Phone": true, "Mobile": true, "Tel": true, "Fax": true, "Email": true, "Mail": true,
	"Name": true, "Number": true, "Address": true, "Contact": true, "Company": true, "Customer": true, "Sales": true,
	"Order": true, "Date": true, "Total": true, "Price": true, "Product": true, "Sheet": true, "Page": true, "Office": true,
	"Room": true, "Account": true, "Manager": true, "Dear": true, "Best": true, "Regards": true, "Thank": true, "Thanks": true,
	"Please": true, "The": true, "This": true, "Our": true, "Your": true, "Call": true, "Service": true, "Support": true,
	"Street": true, "Road": true, "Team": true, "Department": true, "Info": true, "Hotline": true, "Cell": true, "Work": true, "Home": true}

// isCapitalisedWord reports whether w is an upper-case ASCII letter followed by 1-20 lower-case ones.
func isCapitalisedWord(w string) bool {
	if len(w) < 2 || len(w) > 21 || w[0] < 'A' || w[0] > 'Z' {
		return false
	}
	for i := 1; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return true
}

// isCompanyName reports whether s names a company (contains 公司/集团/有限..., or carries
// Co./Ltd/Inc in Latin script).
func isCompanyName(s string) bool {
	if len(s) < 4 {
		return false
	}
	for _, suf := range companySuffixes {
		if strings.Contains(s, suf) {
			return true
		}
	}
	if !strings.ContainsAny(s, "cCdDlLiIgG") {
		return false
	}
	l := asciiLower(s)
	for _, m := range latinCompanyMarks {
		if strings.Contains(l, m) || (m[0] == ' ' && strings.HasPrefix(l, m[1:])) {
			return true
		}
	}
	return false
}

// personNamesInText finds person names in free text: a Han run of 2-4 characters that is
// a name on its own, a name after a label (联系人：张伟), or a surname plus a title (王经理).
// It returns the names found (at most max).
func personNamesInText(t string, max int) []string {
	var out []string
	i := 0
	for i < len(t) && len(out) < max {
		r, size := utf8.DecodeRuneInString(t[i:])
		if !isHan(r) {
			i += size
			continue
		}
		j := i
		for j < len(t) {
			r2, s2 := utf8.DecodeRuneInString(t[j:])
			if !isHan(r2) {
				break
			}
			j += s2
		}
		out = namesInHanRun(t[i:j], t[j:], out, max)
		i = j
	}
	return out
}

// namesInHanRun adds the names found in one run of Han characters; after is the text
// following the run (a label may be followed by ':' and then the name).
func namesInHanRun(run, after string, out []string, max int) []string {
	if isPersonName(run) {
		return append(out, run)
	}
	for p := 0; p < len(run) && len(out) < max; {
		r, size := utf8.DecodeRuneInString(run[p:])
		if labelFirst[r] { // label then name, inside the run or across a colon
			for _, l := range nameLabels {
				if !strings.HasPrefix(run[p:], l) {
					continue
				}
				rest := run[p+len(l):]
				if rest == "" {
					rest = hanPrefix(strings.TrimLeft(after, " :："))
				}
				for _, name := range leadingNames(rest) {
					if len(out) < max {
						out = append(out, name)
					}
				}
			}
		}
		if sl := surnameLen(run[p:]); sl > 0 { // surname + title: 王经理
			for _, title := range nameTitles {
				if strings.HasPrefix(run[p+sl:], title) {
					out = append(out, run[p:p+sl+len(title)])
					break
				}
			}
		}
		p += size
	}
	return out
}

// labelFirst holds the first characters of the name labels.
var labelFirst = func() map[rune]bool {
	m := map[rune]bool{}
	for _, l := range nameLabels {
		r, _ := utf8.DecodeRuneInString(l)
		m[r] = true
	}
	return m
}()

// hanPrefix returns the leading Han characters of s.
func hanPrefix(s string) string {
	for i, r := range s {
		if !isHan(r) {
			return s[:i]
		}
	}
	return s
}

// leadingNames returns the 2- and 3-character prefixes of s when s starts with a surname:
// without a separator it is not known where a name like 张伟 ends (联系人张伟电话...).
func leadingNames(s string) []string {
	if surnameLen(s) == 0 {
		return nil
	}
	var out []string
	n := 0
	for i, r := range s {
		if n == 3 || !isHan(r) {
			break
		}
		n++
		if n >= 2 {
			out = append(out, s[:i+utf8.RuneLen(r)])
		}
	}
	return out
}

// hasLatinName reports whether t contains a capitalised "First Last" pair of words.
func hasLatinName(t string) bool {
	for i := 0; i+4 < len(t); i++ {
		if t[i] < 'A' || t[i] > 'Z' || (i > 0 && isASCIILetter(t[i-1])) {
			continue
		}
		j := i + 1
		for j < len(t) && t[j] >= 'a' && t[j] <= 'z' {
			j++
		}
		if j == i+1 || j+2 >= len(t) || t[j] != ' ' || t[j+1] < 'A' || t[j+1] > 'Z' {
			continue
		}
		k := j + 2
		for k < len(t) && t[k] >= 'a' && t[k] <= 'z' {
			k++
		}
		if k > j+2 && (k == len(t) || !isASCIILetter(t[k])) && !notNameWords[t[i:j]] && !notNameWords[t[j+1:k]] {
			return true
		}
	}
	return false
}
