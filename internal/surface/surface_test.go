// Package surface holds the test that keeps the public API public: no
// exported identifier of a public package may have, or expose through its
// fields, methods or signature, a type from an internal package (the
// error sentinels are values of type error, so they pass).
package surface

import (
	"bufio"
	"bytes"
	"fmt"
	"go/importer"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/kirokuhq/kiroku"

// internalPath tells whether an import path is an internal package.
func internalPath(path string) bool {
	return strings.Contains(path, "/internal/") || strings.HasSuffix(path, "/internal")
}

// leaks lists, for every exported identifier of pkg, the internal types it
// shows a user.
func leaks(pkg *types.Package) []string {
	var out []string
	seen := map[types.Type]bool{}
	var walk func(where string, t types.Type)
	walk = func(where string, t types.Type) {
		if seen[t] {
			return
		}
		seen[t] = true
		switch t := t.(type) {
		case *types.Alias:
			walk(where, types.Unalias(t))
		case *types.Named:
			if p := t.Obj().Pkg(); p != nil && internalPath(p.Path()) {
				out = append(out, fmt.Sprintf("%s: %s", where, t))
			}
			// A public named type is checked as an identifier of its own.
		case *types.Pointer:
			walk(where, t.Elem())
		case *types.Slice:
			walk(where, t.Elem())
		case *types.Array:
			walk(where, t.Elem())
		case *types.Map:
			walk(where, t.Key())
			walk(where, t.Elem())
		case *types.Chan:
			walk(where, t.Elem())
		case *types.Signature:
			for v := range t.Params().Variables() {
				walk(where, v.Type())
			}
			for v := range t.Results().Variables() {
				walk(where, v.Type())
			}
		case *types.Struct:
			for f := range t.Fields() {
				if f.Exported() || f.Embedded() {
					walk(where+"."+f.Name(), f.Type())
				}
			}
		case *types.Interface:
			for m := range t.Methods() {
				if m.Exported() {
					walk(where+"."+m.Name(), m.Type())
				}
			}
		}
	}
	scope := pkg.Scope()
	for _, name := range scope.Names() {
		obj := scope.Lookup(name)
		if !obj.Exported() {
			continue
		}
		where := pkg.Path() + "." + name
		clear(seen) // each identifier reports what it shows
		tn, isType := obj.(*types.TypeName)
		switch {
		case isType && tn.IsAlias():
			walk(where, tn.Type())
		case isType:
			walk(where, tn.Type().Underlying())
			if n, ok := tn.Type().(*types.Named); ok {
				for m := range n.Methods() {
					if m.Exported() {
						clear(seen)
						walk(where+"."+m.Name(), m.Type())
					}
				}
			}
		default:
			walk(where, obj.Type())
		}
	}
	return out
}

// TestNoInternalTypesInPublicAPI type-checks (from the build's export
// data) every public package of the module and fails on each exported
// identifier that shows an internal type.
func TestNoInternalTypesInPublicAPI(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	cmd := exec.Command("go", "list", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}\t{{.Name}}\t{{.Module}}", "./...")
	cmd.Dir = root
	cmd.Stderr = os.Stderr
	listing, err := cmd.Output()
	require.NoError(t, err)
	exports := map[string]string{}
	var public []string
	sc := bufio.NewScanner(bytes.NewReader(listing))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		require.Len(t, f, 4, sc.Text())
		exports[f[0]] = f[1]
		if f[3] == module && f[2] != "main" && !internalPath(f[0]) {
			public = append(public, f[0])
		}
	}
	require.NoError(t, sc.Err())
	require.Greater(t, len(public), 10, "the public packages were found")
	imp := importer.ForCompiler(token.NewFileSet(), "gc", func(path string) (io.ReadCloser, error) {
		file, ok := exports[path]
		if !ok || file == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(file)
	})
	var all []string
	for _, path := range public {
		pkg, err := imp.Import(path)
		require.NoError(t, err, path)
		all = append(all, leaks(pkg)...)
	}
	slices.Sort(all)
	require.Empty(t, all, "exported identifiers of public packages with internal types")
}

// The walk finds what it must: an alias of an internal type, a field, a
// method result and a variable of one.
func TestLeaksFindsInternalTypes(t *testing.T) {
	t.Parallel()
	internal := types.NewPackage(module+"/internal/x", "x")
	secret := types.NewNamed(types.NewTypeName(token.NoPos, internal, "Secret", nil), types.Typ[types.Int], nil)
	pub := types.NewPackage(module+"/pub", "pub")
	scope := pub.Scope()
	scope.Insert(types.NewAlias(types.NewTypeName(token.NoPos, pub, "Alias", nil), secret).Obj())
	scope.Insert(types.NewVar(token.NoPos, pub, "Var", secret))
	fields := types.NewStruct([]*types.Var{
		types.NewField(token.NoPos, pub, "Field", types.NewSlice(secret), false),
		types.NewField(token.NoPos, pub, "hidden", secret, false),
	}, nil)
	holder := types.NewNamed(types.NewTypeName(token.NoPos, pub, "Holder", nil), fields, nil)
	scope.Insert(holder.Obj())
	sig := types.NewSignatureType(types.NewVar(token.NoPos, pub, "h", holder), nil, nil, nil,
		types.NewTuple(types.NewVar(token.NoPos, pub, "", types.NewPointer(secret))), false)
	holder.AddMethod(types.NewFunc(token.NoPos, pub, "Get", sig))
	scope.Insert(types.NewVar(token.NoPos, pub, "Fine", types.Universe.Lookup("error").Type()))
	require.Equal(t, []string{
		module + "/pub.Alias: " + module + "/internal/x.Secret",
		module + "/pub.Holder.Field: " + module + "/internal/x.Secret",
		module + "/pub.Holder.Get: " + module + "/internal/x.Secret",
		module + "/pub.Var: " + module + "/internal/x.Secret",
	}, leaks(pub))
}
