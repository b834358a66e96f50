package migration

import (
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

func TestRegistry(t *testing.T) {
	t.Parallel()
	a := Register(Set{Name: "registry_test_a", FS: fstest.MapFS{}})
	b := Register(Set{Name: "registry_test_b", FS: fstest.MapFS{}})
	sets, err := Named("registry_test_b", "registry_test_a")
	require.NoError(t, err)
	require.Equal(t, []string{b.Name, a.Name}, []string{sets[0].Name, sets[1].Name}, "in the order asked")
	_, err = Named("registry_test_a", "registry_test_missing")
	require.ErrorContains(t, err, `"registry_test_missing"`)
	require.Panics(t, func() { Register(Set{Name: "registry_test_a"}) }, "a name registered twice")
}
