package blob

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func newLocal(t *testing.T) *Local {
	t.Helper()
	l, err := NewLocal(filepath.Join(t.TempDir(), "blobs"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l
}

func TestLocal(t *testing.T) {
	t.Parallel()
	testStore(t, func(t *testing.T) Store { return newLocal(t) })
}

func TestLocalLayoutAndPermissions(t *testing.T) {
	t.Parallel()
	l := newLocal(t)
	_, err := l.Put(t.Context(), "t/1/a/2", strings.NewReader("hello"))
	require.NoError(t, err)

	b, err := os.ReadFile(filepath.Join(l.Dir(), "t", "1", "a", "2"))
	require.NoError(t, err)
	require.Equal(t, "hello", string(b))

	if runtime.GOOS == "windows" {
		return
	}
	fi, err := os.Stat(filepath.Join(l.Dir(), "t", "1", "a", "2"))
	require.NoError(t, err)
	require.Equal(t, fs.FileMode(0o600), fi.Mode().Perm())
	for _, d := range []string{"", "t", "t/1", "t/1/a"} {
		fi, err := os.Stat(filepath.Join(l.Dir(), filepath.FromSlash(d)))
		require.NoError(t, err)
		require.Equal(t, fs.FileMode(0o700), fi.Mode().Perm(), "dir %q", d)
	}
}

func TestLocalLeavesNoTemporaryFiles(t *testing.T) {
	t.Parallel()
	l := newLocal(t)
	_, err := l.Put(t.Context(), "a/ok", strings.NewReader("x"))
	require.NoError(t, err)
	_, err = l.Put(t.Context(), "a/bad", Limit(strings.NewReader("too long"), 3))
	require.Error(t, err)

	var names []string
	require.NoError(t, filepath.WalkDir(l.Dir(), func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		if !d.IsDir() {
			rel, err := filepath.Rel(l.Dir(), p)
			require.NoError(t, err)
			names = append(names, filepath.ToSlash(rel))
		}
		return nil
	}))
	require.Equal(t, []string{"a/ok"}, names)
}

func TestLocalIgnoresTemporaryAndForeignFiles(t *testing.T) {
	t.Parallel()
	l := newLocal(t)
	_, err := l.Put(t.Context(), "a/ok", strings.NewReader("x"))
	require.NoError(t, err)
	// A temporary file left by a crash, a hidden directory and a file whose
	// name is not a key.
	require.NoError(t, os.WriteFile(filepath.Join(l.Dir(), "a", ".tmp-dead"), []byte("x"), 0o600))
	require.NoError(t, os.MkdirAll(filepath.Join(l.Dir(), ".trash"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(l.Dir(), ".trash", "x"), []byte("x"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(l.Dir(), "a", "UPPER"), []byte("x"), 0o600))
	require.Equal(t, []string{"a/ok"}, listAll(t, l, ""))
	require.Equal(t, []string{"a/ok"}, listAll(t, l, "a/"))
}

// A symbolic link planted inside the directory must not lead outside it.
func TestLocalSymlinkEscape(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	outside := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o600))
	l := newLocal(t)
	require.NoError(t, os.Symlink(outside, filepath.Join(l.Dir(), "link")))

	_, err := l.Get(t.Context(), "link/secret")
	require.Error(t, err)
	_, err = l.Put(t.Context(), "link/planted", strings.NewReader("x"))
	require.Error(t, err)
	_, err = os.Stat(filepath.Join(outside, "planted"))
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.Error(t, l.Delete(t.Context(), "link/secret"))
	_, err = os.Stat(filepath.Join(outside, "secret"))
	require.NoError(t, err)
	require.Empty(t, listAll(t, l, ""))
}

func TestNewLocalErrors(t *testing.T) {
	t.Parallel()
	_, err := NewLocal("")
	require.ErrorIs(t, err, ErrInvalid)

	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	_, err = NewLocal(file)
	require.Error(t, err)
}

func TestLocalClosed(t *testing.T) {
	t.Parallel()
	l, err := NewLocal(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, l.Close())
	_, err = l.Put(t.Context(), "a", strings.NewReader("x"))
	require.Error(t, err)
}
