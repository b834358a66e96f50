// Package pdftest reads PDFs in tests with the poppler-utils commands
// (pdftotext, pdfinfo, pdffonts, pdfimages). Without them a test is
// skipped, or fails when KIROKU_REQUIRE_POPPLER is set (CI installs them
// and sets it).
package pdftest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// Run runs the poppler-utils command name with args on doc and returns its
// output (stdout and stderr) and whether it succeeded. pdftotext writes
// the text to the output.
func Run(t testing.TB, doc []byte, name string, args ...string) (string, bool) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("KIROKU_REQUIRE_POPPLER") != "" {
			t.Fatalf("%s not found: install poppler-utils", name)
		}
		t.Skipf("%s not found: install poppler-utils", name)
	}
	file := filepath.Join(t.TempDir(), "doc.pdf")
	require.NoError(t, os.WriteFile(file, doc, 0o600))
	args = append(args, file)
	if name == "pdftotext" {
		args = append(args, "-")
	}
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err == nil
}

// Text is the text pdftotext extracts from doc (opened with password
// when it is not empty); the test fails when doc cannot be read.
func Text(t testing.TB, doc []byte, password string) string {
	t.Helper()
	var args []string
	if password != "" {
		args = []string{"-upw", password}
	}
	out, ok := Run(t, doc, "pdftotext", args...)
	require.True(t, ok, out)
	return out
}
