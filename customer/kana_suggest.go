package customer

import (
	"context"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/textnorm"
)

// KanaSuggester suggests the reading (フリガナ) of a personal name. The
// customer/kana package provides one built on a morphological analyser and
// the IPA dictionary; any type with this method will do.
type KanaSuggester interface {
	// SuggestKana returns the katakana readings of a family name and a
	// given name (givenKana empty when givenName is). ok is false when it
	// has no suggestion. It must be safe for concurrent use.
	SuggestKana(familyName, givenName string) (familyKana, givenKana string, ok bool)
}

// KanaSuggesterFunc adapts a function to KanaSuggester.
type KanaSuggesterFunc func(familyName, givenName string) (familyKana, givenKana string, ok bool)

// SuggestKana calls f.
func (f KanaSuggesterFunc) SuggestKana(familyName, givenName string) (familyKana, givenKana string, ok bool) {
	return f(familyName, givenName)
}

// KanaReading is a suggested reading of a personal name.
type KanaReading struct {
	FamilyKana string `json:"family_kana"` // セイ, full-width katakana
	GivenKana  string `json:"given_kana"`  // メイ; empty when no given name was passed
}

// SuggestKana returns readings of a family name and a given name for a
// form to show beside the reading fields, for the user to confirm or
// correct (staff only). The names are cleaned as Create cleans them.
//
// ok is false, with no error, when Config.KanaSuggester is nil, when the
// family name is empty, when the suggester has no reading, or when what it
// returned is not a valid reading (katakana, see Profile).
func (s *Service) SuggestKana(ctx context.Context, familyName, givenName string) (reading KanaReading, ok bool, err error) {
	if _, err := permission.RequireStaff(ctx); err != nil {
		return KanaReading{}, false, err
	}
	reading, ok = s.suggestKana(clean(familyName), clean(givenName))
	return reading, ok, nil
}

// suggestKana asks the configured suggester about cleaned names and keeps
// its answer only when both readings are valid and a given name, if any,
// got one.
func (s *Service) suggestKana(familyName, givenName string) (KanaReading, bool) {
	if s.cfg.KanaSuggester == nil || familyName == "" {
		return KanaReading{}, false
	}
	f, g, ok := s.cfg.KanaSuggester.SuggestKana(familyName, givenName)
	if !ok {
		return KanaReading{}, false
	}
	f, fok := textnorm.Katakana(f)
	g, gok := textnorm.Katakana(g)
	if !fok || !gok || f == "" || (givenName != "" && g == "") {
		return KanaReading{}, false
	}
	if givenName == "" {
		g = ""
	}
	return KanaReading{FamilyKana: f, GivenKana: g}, true
}

// SuggestedKana is one row of an imported file whose reading was missing
// and suggested (see ImportReport.Suggested).
type SuggestedKana struct {
	// Line is the physical line of the row in the file (1 = header).
	Line int `json:"line"`
	// FamilyKana and GivenKana are the suggested readings of the parts
	// whose reading the row lacked; a part the row had is empty here.
	FamilyKana string `json:"family_kana,omitempty"`
	GivenKana  string `json:"given_kana,omitempty"`
	// Filled reports that the suggestion was written into the row
	// (ImportOptions.FillSuggestedKana).
	Filled bool `json:"filled"`
}

// suggestRowKana suggests the missing readings of an individual's row and,
// when fill is set, writes them into p. It returns nil when the row is a
// company's, lacks no reading, or gets no suggestion.
func (s *Service) suggestRowKana(p *Profile, line int, fill bool) *SuggestedKana {
	if p.Kind == Company || s.cfg.KanaSuggester == nil {
		return nil
	}
	family, given := clean(p.FamilyName), clean(p.GivenName)
	needFamily := clean(p.FamilyKana) == ""
	needGiven := given != "" && clean(p.GivenKana) == ""
	if !needFamily && !needGiven {
		return nil
	}
	r, ok := s.suggestKana(family, given)
	if !ok {
		return nil
	}
	out := &SuggestedKana{Line: line, Filled: fill}
	if needFamily {
		out.FamilyKana = r.FamilyKana
	}
	if needGiven {
		out.GivenKana = r.GivenKana
	}
	if fill {
		if needFamily {
			p.FamilyKana = r.FamilyKana
		}
		if needGiven {
			p.GivenKana = r.GivenKana
		}
	}
	return out
}
