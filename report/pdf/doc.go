// Package pdf makes PDFs of contact records (面談記録のPDF出力): one record, or
// a customer's history of records, as the requester may see them, with an
// optional cover page and an optional password.
//
// # What a PDF holds
//
// A4 portrait pages. The optional cover (Options.Cover, 表紙) shows the title
// (Options.Title, default 面談記録), 「<customer> 様」, the period (the
// requested one, else the first and last record's days), the date made and
// the company (the tenant's name). Every other page has a header with the
// customer's name and the title, and a page number 「n / N」 counted without
// the cover.
//
// Each record starts on a new page: the heading 「YYYY年MM月DD日(曜)」 of its
// time (the actual time, else the planned time) in the tenant's zone, then a
// table of the template's name, the customer, the planned and actual times,
// the responders and participating staff, the masters' labels (対応形態,
// 結果, 内容概略, 進捗, 分類1, 分類2 — never codes; staff only: the record
// engine gives customers none of the tenant's internal classifications),
// the summary's free text, the customer's department, contact persons and
// participants, and the template's fields that have a value, in the
// template's order (money as ¥1,234, dates and times in the tenant's zone
// as 「2026年12月05日(土)」, durations as 「1時間30分」, catalog lines with
// their totals), then the public
// memo (お客様に公開), the private memo (非公開) when asked for and allowed, the
// photos — scaled to the page width, upright and without metadata as the
// record engine stores them, read from the blob store one at a time while
// the PDF is built, and embedded as stored, or with Config.PhotoDPI at no
// more than that resolution (a larger photo is scaled down and re-encoded,
// a smaller one embedded as stored) — and
// the names and sizes of the other files. A customer's history
// lists its records oldest first; with Options.Template and Config.Charts,
// charts of that template's numeric fields follow.
//
// Text is set in the font of Config.Font, embedded as a subset (the glyphs
// used) with a ToUnicode map, so that text can be searched and copied and
// pdftotext returns it exactly. Lines break by Japanese rules (禁則処理): no
// line starts with closing brackets, 。、 and other punctuation, small kana
// or ー, and none ends with an opening bracket — the character before moves
// to the next line (追い出し); Latin words break at spaces. The optional
// package report/pdf/font/bizud ships BIZ UDGothic (SIL OFL 1.1) for
// Config.Font, so that only programs that make PDFs carry its 4.6 MB.
//
// # Who sees what
//
// An Exporter reads through the principal-scoped engines (contactlog and
// customer) with the principal in the context, so a PDF holds exactly what
// its requester may see: a record they may not see is ErrNotFound; a
// history holds only the visible records (for a partner, the
// non-confidential records of their customers; for a customer principal,
// the portal, the records shared with it and their shared files). The
// private memo is included only when Options.IncludePrivateMemo is set and
// the requester may read private memos (staff other than partners); anyone
// else who sets it gets a field problem "include_private_memo" not_allowed
// instead of a PDF that silently lacks it. A customer principal's PDF never
// holds a private memo.
//
// Every export is written to the audit log (AuditAction, object "record" or
// "customer") with the number of records and whether a cover, the private
// memos and a password were asked for — never the password. Reading the
// records, the customer and the photos is audited by the engines as usual.
//
// # Password
//
// Options.Password encrypts the PDF with AES-256 (PDF 2.0 security handler,
// revision 6, by pdfcpu) after it is generated (by gopdf): the password
// opens it, with printing and copying allowed; the owner password is random
// and discarded. pdfcpu only encrypts: its own fonts (whose ToUnicode maps
// are incomplete) are never used, and it does not rewrite the generated
// fonts, so encrypted text extracts as well as plain text.
//
// # Limits
//
// An export writes the PDF to a temporary file (Config.TempDir) as it is
// generated, and with a password encrypts that file into a second one;
// only then is the result copied to the writer, so nothing is written to
// the writer when an export fails and an HTTP handler can still answer
// with an error. Both files are deleted before the export returns.
//
// Memory: photos are read from the blob store one at a time (and with
// Config.PhotoDPI scaled down to that resolution at their size on the
// page); the page generator holds the embedded photos
// (twice) until the PDF is written, and the encryption holds the whole PDF
// (about twice) while it works. So the heap grows by about twice the
// embedded photos' bytes, plus, with PhotoDPI, the pixels of the photo
// being scaled (1.5 bytes a pixel for a JPEG: 18 MB for a 12-megapixel
// photo). Measured
// (BenchmarkCustomerPDF: 20 records, 10 phone photos of 3 MB, cover and
// password): see the benchmark's documentation.
//
// Two caps keep it bounded: a history of more than Config.MaxRecords
// records (default 300) is refused with a field problem "records" too_many,
// so the requester narrows the period (Options.From, To) and exports the
// history in parts; photos of more than Config.MaxPhotoBytes together as
// embedded (default 64 MiB) are refused with "photos" too_large.
//
// # HTTP
//
// Routes returns the JSON API's endpoints (contactlog/api Route values for
// api.Options.Extra): POST /v1/records/{id}/pdf and POST
// /v1/customers/{id}/pdf take the options as JSON (the password travels in
// the body, never in a URL) and answer application/pdf as an attachment.
package pdf
