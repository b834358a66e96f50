package customer

// KanaSuggester suggests the reading (フリガナ) of a personal name. The
// customer/kana package provides one built on a morphological analyser and
// the IPA dictionary; any type with this method will do.
type KanaSuggester interface {
	// SuggestKana returns the katakana readings of a family name and a
	// given name (givenKana empty when givenName is). ok is false when it
	// has no suggestion. It must be safe for concurrent use.
	SuggestKana(familyName, givenName string) (familyKana, givenKana string, ok bool)
}
