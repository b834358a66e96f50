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
// # Wiring
//
//	if err := contactlog.Migrate(ctx, db); err != nil { … } // also permission, customer, template
//	engine, err := permission.NewEngine(db)
//	svc, err := contactlog.NewService(db, &contactlog.Config{Authorizer: engine})
//	items, err := svc.Masters(ctx, contactlog.Progress) // ctx carries a staff principal
package contactlog
