package auth

import (
	"errors"
	"unicode/utf8"

	"github.com/kirokuhq/kiroku/internal/secret"
)

// Password rules.
const (
	// MinPasswordLength is the minimum number of characters.
	MinPasswordLength = 10
	// MaxPasswordLength bounds the work one login can cause.
	MaxPasswordLength = secret.MaxPasswordLength
	// MinPasswordScore is the lowest zxcvbn score (0–4) accepted.
	MinPasswordScore = 3
)

// Password problems reported by CheckPassword, as stable codes.
var (
	ErrPasswordTooShort = errors.New("password_too_short")
	ErrPasswordTooLong  = errors.New("password_too_long")
	ErrPasswordWeak     = errors.New("password_weak")
)

// CheckPassword tells whether pw may be used as a password: at least
// MinPasswordLength characters, at most MaxPasswordLength bytes, and a
// zxcvbn score of MinPasswordScore or more, counting the user's own name and
// login (userInputs) as guessable words.
func CheckPassword(pw string, userInputs ...string) error {
	switch {
	case utf8.RuneCountInString(pw) < MinPasswordLength:
		return ErrPasswordTooShort
	case len(pw) > MaxPasswordLength:
		return ErrPasswordTooLong
	}
	if secret.Strength(pw, userInputs...) < MinPasswordScore {
		return ErrPasswordWeak
	}
	return nil
}
