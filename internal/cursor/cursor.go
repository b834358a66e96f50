// Package cursor turns keyset-pagination positions into opaque page tokens
// and back.
//
// A position is any JSON-encodable value, typically a small struct holding
// the sort and direction of the list plus the sort key of the last row of a
// page; the engine compares the decoded sort and direction with the next
// request so a token is only ever used with the order it was made for. The
// token is unpadded base64url (safe in URLs and query strings) and carries
// no secret: it names only values the caller has already seen.
package cursor

import (
	"encoding/base64"
	"encoding/json"
)

// Encode returns the page token of pos. It fails only when pos does not
// encode as JSON (a struct of strings, times, numbers and UUIDs always
// does).
func Encode(pos any) (string, error) {
	b, err := json.Marshal(pos)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Decode fills pos (a pointer) from a token made by Encode. It fails for
// tokens that are not base64url-encoded JSON of pos's shape.
func Decode(token string, pos any) error {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, pos)
}
