// Command wordcount is a Flint function that does real CPU work on its
// payload: it counts the words of a text and returns the most frequent.
//
//	"the cat and the hat" -> {"words":5,"unique":4,"top":[{"word":"the","count":2},...]}
package main

import (
	"cmp"
	"slices"
	"strings"
	"unicode"

	"github.com/flintfaas/flint/abi/guest"
)

func main() {}

// Count is one word's frequency.
type Count struct {
	Word  string `json:"word"`
	Count int    `json:"count"`
}

// Summary is wordcount's output.
type Summary struct {
	Words  int     `json:"words"`
	Unique int     `json:"unique"`
	Top    []Count `json:"top"`
}

// Summarize counts the words of text and keeps the top n.
func Summarize(text string, n int) Summary {
	counts := map[string]int{}
	words := strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' })
	for _, w := range words {
		counts[strings.ToLower(w)]++
	}
	top := make([]Count, 0, len(counts))
	for w, c := range counts {
		top = append(top, Count{w, c})
	}
	slices.SortFunc(top, func(a, b Count) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Word, b.Word))
	})
	return Summary{Words: len(words), Unique: len(counts), Top: top[:min(n, len(top))]}
}

func init() {
	guest.Handle(func(_ guest.Context, event []byte) ([]byte, error) {
		s := Summarize(string(event), 10)
		// Hand-rolled JSON keeps the guest free of reflection on the hot path.
		var b strings.Builder
		b.WriteString(`{"words":`)
		b.WriteString(itoa(s.Words))
		b.WriteString(`,"unique":`)
		b.WriteString(itoa(s.Unique))
		b.WriteString(`,"top":[`)
		for i, c := range s.Top {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"word":"`)
			b.WriteString(c.Word)
			b.WriteString(`","count":`)
			b.WriteString(itoa(c.Count))
			b.WriteByte('}')
		}
		b.WriteString("]}")
		return []byte(b.String()), nil
	})
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var buf [20]byte
	i := len(buf)
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return string(buf[i:])
}
