package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
)

// TestCatalogCoversEveryKey fails when a template or a Go file of the server
// names a message key the catalog lacks (the UI would show "[key]").
func TestCatalogCoversEveryKey(t *testing.T) {
	t.Parallel()
	tmplKey := regexp.MustCompile(`\bt "([a-z0-9_.]+)"`)
	goKey := regexp.MustCompile(`msg\.T\("([a-z0-9_]+(?:\.[a-z0-9_]+)+)"|(?:redirect\([^)]*, |Key: )"([a-z0-9_]+\.[a-z0-9_.]+)"`)
	seen := 0
	err := fs.WalkDir(files, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, path)
		if err != nil {
			return err
		}
		for _, m := range tmplKey.FindAllStringSubmatch(string(b), -1) {
			seen++
			require.True(t, msg.Has(m[1]), "%s uses unknown message key %q", path, m[1])
		}
		return nil
	})
	require.NoError(t, err)
	root := ".."
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".go" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range goKey.FindAllStringSubmatch(string(b), -1) {
			key := m[1] + m[2]
			seen++
			require.True(t, msg.Has(key), "%s uses unknown message key %q", path, key)
		}
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, seen, 20, "the scan found the keys in use")
}

// TestEveryPageParses renders nothing but proves each page template parsed
// with the layout (New would fail otherwise) and defines its content.
func TestEveryPageParses(t *testing.T) {
	t.Parallel()
	u := &UI{}
	require.NoError(t, u.parse())
	for name, tp := range u.pages {
		require.NotNil(t, tp.Lookup("content"), "page %s defines content", name)
		require.NotNil(t, tp.Lookup("layout"), "page %s has the layout", name)
	}
}
