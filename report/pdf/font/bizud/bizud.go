// Package bizud embeds BIZ UDゴシック (BIZ UDGothic Regular, version 1.05),
// a Japanese TrueType font by Morisawa, for the PDFs of package report/pdf.
//
// It is a package of its own so that only programs that make PDFs carry its
// 4.6 MB: pass Regular() as pdf.Config.Font. The PDF embeds only the glyphs
// it uses (a subset), so a document grows by a few kilobytes, not megabytes.
//
// The font is licensed under the SIL Open Font License 1.1 (License, the
// text of OFL.txt beside this file), which allows embedding it in documents
// and distributing it with software; Copyright 2022 The BIZ UDGothic Project
// Authors. Kiroku ships it unmodified, as Debian's fonts-morisawa-bizud-gothic
// package does.
package bizud

import _ "embed"

//go:embed BIZUDGothic-Regular.ttf
var regular []byte

// License is the font's copyright notice and licence (SIL OFL 1.1), to ship
// with a program that redistributes the font.
//
//go:embed OFL.txt
var License string

// Regular returns the TrueType bytes of BIZ UDGothic Regular. The slice is
// shared: do not modify it.
func Regular() []byte { return regular }
