package filter

import "strconv"

// maxExponent bounds the exponents appendCanonical works with; a number
// written with a larger one compares by its text.
const maxExponent = 1e15

// appendCanonical appends a canonical form of the JSON number text num
// (already validated) to dst, such that two numbers have the same form
// exactly when they are the same decimal value: 5, 5.0, 50e-1 and 0.5E1
// all read "+5e0", and -0 reads "0". The form is a sign, the significant
// digits without leading or trailing zeros, and the power of ten of the
// last digit, so it is exact for any number of digits. ok is false when
// the exponent is beyond maxExponent.
func appendCanonical(dst, num []byte) (out []byte, ok bool) {
	i := 0
	neg := i < len(num) && num[i] == '-'
	if neg {
		i++
	}
	// The value is D × 10^(exp-frac), D being every digit before the
	// exponent read as one integer.
	from := i
	frac, point := 0, false
	for ; i < len(num) && (isDigit(num[i]) || num[i] == '.'); i++ {
		switch {
		case num[i] == '.':
			point = true
		case point:
			frac++
		}
	}
	to := i
	var exp int64
	if i < len(num) {
		i++ // 'e' or 'E'
		expNeg := num[i] == '-'
		if num[i] == '-' || num[i] == '+' {
			i++
		}
		for ; i < len(num); i++ {
			exp = exp*10 + int64(num[i]-'0')
			if exp > maxExponent {
				return dst, false
			}
		}
		if expNeg {
			exp = -exp
		}
	}
	// Leading zeros change nothing; each trailing zero dropped divides D
	// by ten, which the exponent makes up for.
	for from < to && (num[from] == '0' || num[from] == '.') {
		from++
	}
	for to > from && (num[to-1] == '0' || num[to-1] == '.') {
		if num[to-1] == '0' {
			exp++
		}
		to--
	}
	if from == to {
		return append(dst, '0'), true
	}
	if neg {
		dst = append(dst, '-')
	} else {
		dst = append(dst, '+')
	}
	for j := from; j < to; j++ {
		if num[j] != '.' {
			dst = append(dst, num[j])
		}
	}
	dst = append(dst, 'e')
	return strconv.AppendInt(dst, exp-int64(frac), 10), true
}
