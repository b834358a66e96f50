package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/ccojocar/zxcvbn-go"
	"golang.org/x/crypto/argon2"
)

// Argon2id parameters of new hashes (RFC 9106's second recommendation scaled
// to a small server: 19 MiB, 2 passes, 1 lane — OWASP's minimum). Hashes keep
// their parameters, so raising them later leaves old passwords valid.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Password rules.
const (
	// MinPasswordLength is the minimum number of characters.
	MinPasswordLength = 10
	// MaxPasswordLength bounds the work one login can cause.
	MaxPasswordLength = 256
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
	if zxcvbn.PasswordStrength(pw, userInputs).Score < MinPasswordScore {
		return ErrPasswordWeak
	}
	return nil
}

// HashPassword returns pw's argon2id hash in the PHC string format
// ($argon2id$v=19$m=…,t=…,p=…$salt$key), with a random salt.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime,
		argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword tells whether pw matches the PHC-format argon2id hash,
// in constant time. A malformed hash is an error, not a mismatch.
func VerifyPassword(hash, pw string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false, errors.New("auth: not an argon2id hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errors.New("auth: unsupported argon2 version")
	}
	var memory, passes uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &passes, &threads); err != nil ||
		memory == 0 || memory > 1<<21 || passes == 0 || passes > 16 || threads == 0 {
		return false, errors.New("auth: bad argon2 parameters")
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, errors.New("auth: bad argon2 salt")
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, errors.New("auth: bad argon2 key")
	}
	if len(pw) > MaxPasswordLength {
		return false, nil
	}
	got := argon2.IDKey([]byte(pw), salt, passes, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
