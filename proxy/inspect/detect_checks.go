package inspect

import (
	"strings"
	"time"
)

// Validity checks of the number kinds: CN mobile and landline shapes, the resident ID
// checksum (GB 11643) and bank card numbers (issuer prefix and Luhn).

// isMobile reports whether d is an 11-digit CN mobile number (1[3-9]xxxxxxxxx).
func isMobile(d string) bool {
	return len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9' && allDigits(d)
}

func allDigits(d string) bool {
	for i := 0; i < len(d); i++ {
		if !isDigit(d[i]) {
			return false
		}
	}
	return true
}

// areaCodeLen returns the length of the CN area code d starts with (010, 02x: 3; 0[3-9]xx: 4).
func areaCodeLen(d string) int {
	if len(d) < 4 || d[0] != '0' {
		return 0
	}
	switch {
	case d[1] == '1' && d[2] == '0':
		return 3
	case d[1] == '2':
		return 3
	case d[1] >= '3' && d[1] <= '9':
		return 4
	}
	return 0
}

// isLandline reports whether d is area code + 7-8 digit local number; when written in
// several groups, the first group must be the area code itself.
func isLandline(d, first string, groups int) bool {
	n := areaCodeLen(d)
	if n == 0 {
		return false
	}
	local := d[n:]
	if len(local) < 7 || len(local) > 8 || local[0] == '0' {
		return false
	}
	return groups == 1 || len(first) == n
}

// provinces holds the valid first two digits of a resident ID (GB/T 2260 provinces).
var provinces = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true, "21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true, "71": true, "81": true, "82": true, "83": true, "91": true,
}

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// validResidentID checks an 18-character resident ID: province, plausible birth date and
// the GB 11643 check character.
func validResidentID(id string) bool {
	if len(id) != 18 || !allDigits(id[:17]) || !provinces[id[:2]] {
		return false
	}
	birth, err := time.Parse("20060102", id[6:14])
	if err != nil || birth.Year() < 1900 || birth.After(time.Now()) {
		return false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(id[i]-'0') * idWeights[i]
	}
	check := "10X98765432"[sum%11]
	last := id[17]
	if last == 'x' {
		last = 'X'
	}
	return last == check
}

// validBankCard checks a 16-19 digit card number: issuer prefix (62 UnionPay, 4 Visa,
// 5 Mastercard, 3 JCB/Amex) and the Luhn checksum.
func validBankCard(d string) bool {
	if len(d) < 16 || len(d) > 19 || !allDigits(d) {
		return false
	}
	if !(strings.HasPrefix(d, "62") || d[0] == '4' || d[0] == '5' || d[0] == '3') {
		return false
	}
	return luhn(d)
}

// luhn reports whether the digit string d passes the Luhn checksum.
func luhn(d string) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		n := int(d[i] - '0')
		if double {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
		double = !double
	}
	return sum%10 == 0
}
