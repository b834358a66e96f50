package csvio

// isGuardTrigger reports whether a field starting with c must be guarded
// against formula injection.
func isGuardTrigger(c byte) bool {
	switch c {
	case '=', '+', '-', '@', '\t', '\r', '\n':
		return true
	}
	return false
}

// needsGuard reports whether f, written with FormulaGuard, gets a leading
// apostrophe: f is zero or more apostrophes followed by a trigger character.
func needsGuard(f string) bool {
	i := 0
	for i < len(f) && f[i] == '\'' {
		i++
	}
	return i < len(f) && isGuardTrigger(f[i])
}

// Unguard undoes the formula guard of a Writer with FormulaGuard: if s
// starts with an apostrophe (') that is followed by = + - @ TAB, CR or LF
// (possibly after further apostrophes), that first apostrophe is removed.
// Any other string is returned unchanged. For every field f,
// Unguard of the guarded form of f is f again.
//
// Unguard is meant for files this package wrote; applied to other files it
// also strips an apostrophe that a person typed on purpose.
func Unguard(s string) string {
	if len(s) >= 2 && s[0] == '\'' && needsGuard(s[1:]) {
		return s[1:]
	}
	return s
}
