// Package contactlog is Kiroku's contact-record engine (接点記録).
//
// # Masters
//
// A contact record is classified by a tenant's masters (BizMagic's マスタ):
// 対応形態 (Channel: visit, store, phone, e-mail, online, letter), 結果
// (Result), 内容概略 (Summary), 進捗 (Progress: first contact → proposing →
// quoted → won/lost, follow-up) and two levels of categories, where every
// 分類2 (Category2) item belongs to a 分類1 (Category1) item. Each master
// is an ordered list of items with a stable code (stored on records) and a
// Japanese label (shown). Until a tenant sets its own, DefaultMasters
// apply.
//
// Masters returns a kind's items, archived ones included and marked.
// SetMasters (admins) replaces them with every problem reported at once:
// codes are lower-case ASCII and unique, labels present and short, a
// Category2 item's Parent is a Category1 code, and codes never disappear —
// records may carry them — so an item that is no longer wanted is
// archived: not offered for new records, still shown on old ones.
//
// # Comments
//
// Staff who see a record comment on it (BizMagic's コメント, but always
// with the author, never anonymous): AddComment, Comments (oldest first),
// EditComment (the author only) and DeleteComment (the author or an
// admin), the last two optimistic on the comment's version. Deleting erases
// the text and leaves a placeholder, so a thread keeps its order. Comments
// are internal: customer principals neither read nor write them. Adding a
// comment notifies nobody; the manuals we follow send mail for report-to
// recipients only.
//
// # Mail
//
// Two kinds of mail leave through the outbox, written in the transaction of
// the change that causes them and sent later by a dispatcher:
//
//   - report-to notifications (報告先, TopicReportTo): staff newly added to a
//     record's ReportTo hear of it once, however often it is edited;
//   - MailRecord (助っ人クラウド's メール送信, TopicMailRecord): a staff member
//     sends a record with a note to colleagues who may see it; replies go to
//     the sender.
//
// Both render the record as the recipient sees it at delivery, in Japanese
// plain text, and go to the recipient's directory e-mail address through
// Config.Mailer. A recipient who can no longer see the record, or has
// left, gets nothing.
//
// # Wiring
//
//	if err := contactlog.Migrate(ctx, db); err != nil { … } // also permission, customer, template, outbox
//	engine, err := permission.NewEngine(db)
//	mailer, err := contactlog.NewSMTPMailer(contactlog.SMTPConfig{Host: "smtp.example.jp", Username: "kiroku", Password: pw})
//	svc, err := contactlog.NewService(db, &contactlog.Config{Authorizer: engine, Mailer: mailer})
//	items, err := svc.Masters(ctx, contactlog.Progress) // ctx carries a staff principal
//
//	d, err := contactlog.NewDispatcher(db, svc.Handlers(), nil) // the handlers of all engines, merged
//	go d.Run(ctx)                                               // until ctx ends
package contactlog
