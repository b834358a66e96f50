// Package secret holds Kiroku's handling of passwords and single-use
// tokens, shared by the example server's staff logins and the customer
// portal: argon2id password hashes in the PHC string format, the zxcvbn
// strength score, and random 256-bit tokens of which only a SHA-256 is
// stored.
package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"

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

// MaxPasswordLength bounds the work one login can cause, in bytes: longer
// passwords never match.
const MaxPasswordLength = 256

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
		return false, errors.New("secret: not an argon2id hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errors.New("secret: unsupported argon2 version")
	}
	var memory, passes uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &passes, &threads); err != nil ||
		memory == 0 || memory > 1<<21 || passes == 0 || passes > 16 || threads == 0 {
		return false, errors.New("secret: bad argon2 parameters")
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, errors.New("secret: bad argon2 salt")
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, errors.New("secret: bad argon2 key")
	}
	if len(pw) > MaxPasswordLength {
		return false, nil
	}
	got := argon2.IDKey([]byte(pw), salt, passes, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

var dummy = sync.OnceValue(func() string {
	h, err := HashPassword("kiroku dummy password for timing")
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return h
})

// VerifyDummy does the work of VerifyPassword against a hash no password
// matches, so that an unknown login takes as long as a wrong password.
func VerifyDummy(pw string) {
	_, _ = VerifyPassword(dummy(), pw)
}

// Strength is pw's zxcvbn score, 0 (guessed at once) to 4 (very hard),
// counting userInputs (the user's name, e-mail address, login) as
// guessable words.
func Strength(pw string, userInputs ...string) int {
	if len(pw) > MaxPasswordLength {
		pw = pw[:MaxPasswordLength]
	}
	return zxcvbn.PasswordStrength(pw, userInputs).Score
}

// NewToken returns a random 256-bit token (URL-safe base64) and its SHA-256,
// which is all a database keeps.
func NewToken() (string, []byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	t := base64.RawURLEncoding.EncodeToString(b)
	return t, HashToken(t), nil
}

// HashToken is the stored form of a token.
func HashToken(t string) []byte {
	h := sha256.Sum256([]byte(t))
	return h[:]
}
