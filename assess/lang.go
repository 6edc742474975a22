package assess

import "unicode"

// Languages the analyser has lexicons for.
var Languages = []string{"en", "uk", "ru"}

// DetectLanguage guesses en, uk or ru from the script and from the letters
// only one of the two Cyrillic languages uses: і ї є ґ and the in-word
// apostrophe for Ukrainian; ы э ъ ё for Russian. Text with no Cyrillic
// majority is English; a Cyrillic text with no telling letter is Russian.
func DetectLanguage(text string) string {
	var latin, cyr, uk, ru int
	prevLetter := false
	for _, r := range text {
		lr := unicode.ToLower(r)
		switch {
		case unicode.Is(unicode.Latin, r):
			latin++
		case unicode.Is(unicode.Cyrillic, r):
			cyr++
			switch lr {
			case 'і', 'ї', 'є', 'ґ':
				uk++
			case 'ы', 'э', 'ъ', 'ё':
				ru++
			}
		case (r == '\'' || r == '’' || r == 'ʼ') && prevLetter:
			uk++ // ru does not write apostrophes inside words
		}
		prevLetter = unicode.Is(unicode.Cyrillic, r)
	}
	if cyr <= latin {
		return "en"
	}
	if uk > ru {
		return "uk"
	}
	return "ru"
}
