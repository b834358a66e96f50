// Package csvio reads and writes the CSV files that Japanese small
// businesses exchange: exported from Excel as Shift_JIS ("CSV (comma
// delimited)") or UTF-8 with a byte order mark ("CSV UTF-8"), or from other
// tools as plain UTF-8. It knows nothing about what the columns mean.
//
// # Encodings
//
// Three encodings are supported: UTF8, UTF8BOM and ShiftJIS. ShiftJIS is
// Microsoft's code page 932 (Windows-31J) as implemented by
// golang.org/x/text/encoding/japanese.ShiftJIS, which covers JIS X 0208,
// half-width katakana, the NEC special characters (①, Ⅰ, ㈱, №, …) and the
// NEC-selected and IBM extensions (髙, 﨑, ⅰ, …). Its mapping differs from
// other converters in these documented ways:
//
//   - Byte pair 81 60 decodes to ～ U+FF5E FULLWIDTH TILDE, as on Windows,
//     not to 〜 U+301C WAVE DASH. The same holds for the other characters
//     whose JIS and Microsoft mappings differ (81 61 ∥ U+2225, 81 7C －
//     U+FF0D, 81 5C ― U+2015, 81 91 ￠, 81 92 ￡, 81 CA ￢). The Writer folds
//     the JIS forms (〜 ‖ − — ¢ £ ¬) to these before encoding (see
//     Writer.Write), so text from Macs and web forms does not turn into 〓.
//   - Characters present both in the IBM extension (FA 40–FC 4B) and in the
//     NEC-selected IBM extension (ED 40–EE FC) are encoded in the latter
//     form: 髙 is written as EE E0, not FB FC. Windows and Excel decode both
//     forms to the same character, and the Reader accepts both.
//   - The user-defined area (F0 40–F9 FC, "gaiji") has no Unicode mapping;
//     a file that uses it is rejected with ErrEncoding.
//
// UTF-16 is not supported: Excel's "Unicode text" format is rejected with
// an ErrEncoding that suggests saving as CSV UTF-8 or Shift_JIS instead.
//
// # Detection
//
// Detect (and NewReader, which applies it to the whole input) decides the
// encoding from the content alone, in this order:
//
//  1. A UTF-16 byte order mark (FF FE or FE FF) → ErrEncoding.
//  2. The signature of a ZIP archive (PK 03 04 and friends: .xlsx, .docx),
//     an OLE2 compound file (D0 CF 11 E0: old .xls), PDF, PNG, JPEG, GIF,
//     RIFF (WebP) or ISO media ("ftyp" at offset 4: HEIC, MP4) → ErrNotCSV.
//  3. A NUL byte in the first 8 KiB → ErrNotCSV.
//  4. The UTF-8 byte order mark EF BB BF → UTF8BOM; the rest must be valid
//     UTF-8, otherwise ErrEncoding.
//  5. Valid UTF-8 (including pure ASCII and empty input) → UTF8.
//  6. Shift_JIS that decodes without a single invalid or unmapped byte
//     sequence → ShiftJIS.
//  7. Anything else → ErrEncoding, naming the first line that is not
//     valid UTF-8 and the first line that is not valid Shift_JIS.
//
// Finally, if more than 10 % of the characters in the first 8 KiB of the
// decoded text are control characters (other than TAB, CR and LF), the
// input is binary data and the result is ErrNotCSV.
//
// # Reading
//
// NewReader reads the entire input into memory, bounded by
// ReaderOptions.MaxBytes (ErrTooLarge beyond it), detects the encoding and
// decodes it to UTF-8. Read then returns one Record at a time; the syntax
// is RFC 4180 with these specifics:
//
//   - Records end with CRLF, LF or a lone CR, mixed freely; the last record
//     may or may not end with a line break.
//   - Empty lines are skipped. A line with only spaces or only commas is a
//     record (of one blank field, or of empty fields).
//   - A field starting with a double quote is quoted: it may contain
//     commas, line breaks and doubled quotes (""), and ends at a quote
//     followed by a comma, a line break or the end of input. Line breaks
//     inside quoted fields (CRLF, CR or LF) become "\n".
//   - Fields are not trimmed; no other quoting or escaping exists.
//   - Records may have different numbers of fields; the caller decides
//     what to do about it.
//   - Record.Line is the physical line where the record starts, counting
//     every line break including blank lines and line breaks inside quoted
//     fields, so it matches the line numbers of a text editor.
//
// A malformed row is reported as a *ParseError with the line and the
// character column of the problem; its Err wraps ErrBareQuote (a quote in
// an unquoted field), ErrUnescapedQuote (text after the closing quote),
// ErrUnterminatedQuote (a quote never closed), ErrFieldTooLong (a field over
// ReaderOptions.MaxFieldBytes) or ErrTooManyFields (over
// ReaderOptions.MaxFields). The Reader resynchronises at the next line (see
// Reader.Read for the details) so that one bad row costs only that row: a
// caller can report every bad row with its line number and import the
// rest. Rows beyond ReaderOptions.MaxRecords end the reading with
// ErrTooManyRecords.
//
// # Writing
//
// Writer writes records in any of the three encodings, with CRLF line
// endings, quoting fields only when needed and streaming the output through
// a small buffer. The optional formula guard (WriterOptions.FormulaGuard)
// prefixes an apostrophe to fields that a spreadsheet would evaluate as a
// formula; Unguard removes it again after reading. Characters that the
// output encoding cannot represent (for Shift_JIS: emoji, most non-Japanese
// scripts, kanji outside CP932 such as 𠮷) are replaced by 〓 one for one,
// as are invalid UTF-8 and NUL (U+FFFD in UTF-8 output), and reported, so
// that the caller can warn the user; the number and order of fields never
// change.
//
// Writing and reading back gives the same fields, except that line breaks
// inside fields come back as "\n", replaced characters as 〓 or U+FFFD,
// the JIS forms folded for Shift_JIS as their CP932 forms, and guarded
// fields with their apostrophe (which Unguard removes).
//
// # Errors
//
// Every error can be classified with errors.Is against ErrNotCSV,
// ErrEncoding, ErrTooLarge, ErrTooManyRecords, ErrFieldTooLong,
// ErrTooManyFields, ErrBareQuote, ErrUnescapedQuote and
// ErrUnterminatedQuote, or with errors.As against *ParseError. Messages are
// English and meant for logs; user-facing text should be chosen by the
// caller from the sentinel.
package csvio
