package secret_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/internal/secret"
)

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	h, err := secret.HashPassword("見積は来週 blue-lantern-42")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$"), h)
	h2, err := secret.HashPassword("見積は来週 blue-lantern-42")
	require.NoError(t, err)
	require.NotEqual(t, h, h2, "each hash has its own salt")
	ok, err := secret.VerifyPassword(h, "見積は来週 blue-lantern-42")
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = secret.VerifyPassword(h, "見積は来週 blue-lantern-43")
	require.NoError(t, err)
	require.False(t, ok)
	ok, err = secret.VerifyPassword(h, strings.Repeat("a", secret.MaxPasswordLength+1))
	require.NoError(t, err)
	require.False(t, ok, "an overlong password never matches")
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=0,t=2,p=1$AAAA$AAAA",
		"$argon2id$v=19$m=19456,t=2,p=1$!!$AAAA", strings.Replace(h, "v=19", "v=16", 1)} {
		_, err := secret.VerifyPassword(bad, "x")
		require.Error(t, err, bad)
	}
}

func TestToken(t *testing.T) {
	t.Parallel()
	tok, hash, err := secret.NewToken()
	require.NoError(t, err)
	require.Len(t, tok, 43, "256 bits in unpadded URL-safe base64")
	require.Equal(t, secret.HashToken(tok), hash, "the stored form is the token's hash")
	require.NotContains(t, string(hash), tok)
	tok2, hash2, err := secret.NewToken()
	require.NoError(t, err)
	require.NotEqual(t, tok, tok2)
	require.NotEqual(t, hash, hash2)
}

func TestStrength(t *testing.T) {
	t.Parallel()
	require.Less(t, secret.Strength("password"), 2)
	require.GreaterOrEqual(t, secret.Strength("見積は来週 blue-lantern-42"), 3)
	require.Less(t, secret.Strength("shirokane-kiroku", "shirokane-kiroku"), secret.Strength("shirokane-kiroku"),
		"the user's own words count as guessable")
}
