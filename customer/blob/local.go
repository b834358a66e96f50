package blob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
)

// Local is a Store backed by a directory on the local file system.
//
// The key "t/1/a/2" is the file t/1/a/2 below the directory; intermediate
// directories are created 0700 on demand and never removed. Objects are
// files with mode 0600. Every access goes through an os.Root, so even a
// symbolic link planted inside the directory cannot lead outside it.
//
// Put writes to a temporary file named ".tmp-<random>" in the destination
// directory, fsyncs it, renames it to the key and fsyncs the directory. A
// process killed during Put can leave such a temporary file; List never
// yields them (no key segment begins with '.') and an operator may delete
// those older than a day.
type Local struct {
	root *os.Root
}

var _ Store = (*Local)(nil)

// NewLocal returns a Local storing objects below dir, creating dir with mode
// 0700 if it does not exist. The caller closes it with Close.
func NewLocal(dir string) (*Local, error) {
	if dir == "" {
		return nil, fmt.Errorf("blob: local: empty directory: %w", ErrInvalid)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("blob: local: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("blob: local: %w", err)
	}
	return &Local{root: root}, nil
}

// Dir returns the directory Local was opened on.
func (l *Local) Dir() string { return l.root.Name() }

// Close releases the directory handle. Using l afterwards fails.
func (l *Local) Close() error { return l.root.Close() }

// Put implements Store.
func (l *Local) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if err := ValidKey(key); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("blob: put %s: %w", key, err)
	}
	name := filepath.FromSlash(key)
	dir := filepath.Dir(name)
	if dir != "." {
		if err := l.root.MkdirAll(dir, 0o700); err != nil {
			return 0, fmt.Errorf("blob: put %s: %w", key, err)
		}
	}
	tmp, f, err := l.createTemp(dir)
	if err != nil {
		return 0, fmt.Errorf("blob: put %s: %w", key, err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = f.Close()
			_ = l.root.Remove(tmp)
		}
	}()
	n, err := io.Copy(f, ctxReader{ctx: ctx, r: r})
	if err != nil {
		return n, fmt.Errorf("blob: put %s: %w", key, err)
	}
	if err := f.Sync(); err != nil {
		return n, fmt.Errorf("blob: put %s: %w", key, err)
	}
	if err := f.Close(); err != nil {
		return n, fmt.Errorf("blob: put %s: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return n, fmt.Errorf("blob: put %s: %w", key, err)
	}
	if err := l.root.Rename(tmp, name); err != nil {
		return n, fmt.Errorf("blob: put %s: %w", key, err)
	}
	committed = true
	if err := l.syncDir(dir); err != nil {
		return n, fmt.Errorf("blob: put %s: sync directory: %w", key, err)
	}
	return n, nil
}

// createTemp creates a new file ".tmp-<random>" in dir with mode 0600.
func (l *Local) createTemp(dir string) (string, *os.File, error) {
	for range 10 {
		var b [12]byte
		_, _ = rand.Read(b[:])
		name := filepath.Join(dir, ".tmp-"+hex.EncodeToString(b[:]))
		f, err := l.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", nil, err
		}
		// The umask can only remove bits, but be explicit: objects are
		// readable by the owner only.
		if err := f.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
			_ = f.Close()
			_ = l.root.Remove(name)
			return "", nil, err
		}
		return name, f, nil
	}
	return "", nil, errors.New("cannot create a unique temporary file")
}

// syncDir makes a rename in dir durable. Windows cannot open directories for
// syncing and does not need it.
func (l *Local) syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := l.root.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Get implements Store.
func (l *Local) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ValidKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("blob: get %s: %w", key, err)
	}
	f, err := l.root.Open(filepath.FromSlash(key))
	if err != nil {
		return nil, fmt.Errorf("blob: get %s: %w", key, mapNotExist(err))
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("blob: get %s: %w", key, err)
	}
	if !fi.Mode().IsRegular() {
		_ = f.Close()
		return nil, fmt.Errorf("blob: get %s: %w", key, ErrNotFound)
	}
	return f, nil
}

// Delete implements Store.
func (l *Local) Delete(ctx context.Context, key string) error {
	if err := ValidKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	name := filepath.FromSlash(key)
	fi, err := l.root.Lstat(name)
	if err != nil {
		return fmt.Errorf("blob: delete %s: %w", key, mapNotExist(err))
	}
	if !fi.Mode().IsRegular() {
		// A directory is a key prefix, not an object.
		return fmt.Errorf("blob: delete %s: %w", key, ErrNotFound)
	}
	if err := l.root.Remove(name); err != nil {
		return fmt.Errorf("blob: delete %s: %w", key, mapNotExist(err))
	}
	return nil
}

// List implements Store. It walks only the directories that can hold keys
// with the prefix.
func (l *Local) List(ctx context.Context, prefix string) iter.Seq2[string, error] {
	if err := ValidPrefix(prefix); err != nil {
		return errIter(err)
	}
	start := "."
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		start = prefix[:i]
	}
	return func(yield func(string, error) bool) {
		fsys := l.root.FS()
		err := fs.WalkDir(fsys, start, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if p == start && errors.Is(mapNotExist(err), ErrNotFound) {
					return fs.SkipAll // nothing stored under the prefix
				}
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if p != start && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil // a temporary file
			}
			if d.IsDir() {
				if p == "." || p == start {
					return nil
				}
				dir := p + "/"
				if !strings.HasPrefix(dir, prefix) && !strings.HasPrefix(prefix, dir) {
					return fs.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() || !strings.HasPrefix(p, prefix) || ValidKey(p) != nil {
				return nil
			}
			if !yield(p, nil) {
				return errStop
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			yield("", fmt.Errorf("blob: list %s: %w", prefix, err))
		}
	}
}

var errStop = errors.New("stop")

// mapNotExist maps "no such file" and "not a directory" (a key below an
// object, e.g. "a/b" when "a" is an object) to ErrNotFound.
func mapNotExist(err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%w (%v)", ErrNotFound, err)
	}
	return err
}
