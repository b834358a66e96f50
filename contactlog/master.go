package contactlog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// MasterKind names one of a tenant's record masters: the closed lists a
// contact record's classifying fields are chosen from (BizMagic's マスタ).
type MasterKind string

// Master kinds.
const (
	MasterChannel   MasterKind = "channel"   // 対応形態: visit, phone, …
	MasterResult    MasterKind = "result"    // 結果
	MasterSummary   MasterKind = "summary"   // 内容概略
	MasterProgress  MasterKind = "progress"  // 進捗
	MasterCategory1 MasterKind = "category1" // 分類1
	MasterCategory2 MasterKind = "category2" // 分類2: each item belongs to a 分類1 item (Parent)
)

// MasterKinds lists every kind in display order.
func MasterKinds() []MasterKind {
	return []MasterKind{MasterChannel, MasterResult, MasterSummary, MasterProgress, MasterCategory1, MasterCategory2}
}

// Valid reports whether k is a defined kind.
func (k MasterKind) Valid() bool { return slices.Contains(MasterKinds(), k) }

// Label is the kind's Japanese name, as mails and PDFs print it: 対応形態,
// 結果, 内容概略, 進捗, 分類1 or 分類2 ("" for an undefined kind).
func (k MasterKind) Label() string { return masterKindLabels[k] }

// masterKindLabels are the Japanese names of the master kinds.
var masterKindLabels = map[MasterKind]string{
	MasterChannel: "対応形態", MasterResult: "結果", MasterSummary: "内容概略", MasterProgress: "進捗", MasterCategory1: "分類1", MasterCategory2: "分類2",
}

// MasterLabel returns the label of the item with code among items (one
// kind's items, as Masters returns them, archived ones included), or code
// itself when none has it, so that a record never shows a blank.
func MasterLabel(items []MasterItem, code string) string {
	if i := slices.IndexFunc(items, func(m MasterItem) bool { return m.Code == code }); i >= 0 {
		return items[i].Label
	}
	return code
}

// MasterItem is one choice of a master.
type MasterItem struct {
	// Code is stored on records: lower-case ASCII letters, digits and
	// underscores, starting with a letter, at most 40 bytes, unique within
	// the kind. A plugin's items are namespaced by its name
	// ("ramenshop:counter"): the name (lower-case ASCII letters and
	// digits, starting with a letter, at most 40 bytes), a colon, then a
	// code as above. It never changes; relabel instead.
	Code string `json:"code"`
	// Label is what users see (Japanese).
	Label string `json:"label"`
	// Parent is, for Category2 items, the code of their Category1 item.
	Parent string `json:"parent,omitempty"`
	// Archived items are not offered for new records; records that carry
	// them keep showing their label.
	Archived bool `json:"archived,omitempty"`
}

type masterRow struct {
	bun.BaseModel `bun:"table:contact_masters"`
	Tenant        uuid.UUID  `bun:"tenant_id,pk"`
	Kind          MasterKind `bun:"kind,pk"`
	Code          string     `bun:"code,pk"`
	Label         string     `bun:"label"`
	Parent        string     `bun:"parent"`
	Position      int        `bun:"position"`
	Archived      bool       `bun:"archived"`
}

// DefaultMasters are a tenant's masters until it sets its own, per kind.
// Channel and progress codes match the standard data set.
func DefaultMasters() map[MasterKind][]MasterItem {
	return map[MasterKind][]MasterItem{
		MasterChannel: {
			{Code: "visit", Label: "訪問"}, {Code: "store", Label: "来店"}, {Code: "phone", Label: "電話"},
			{Code: "email", Label: "メール"}, {Code: "online", Label: "オンライン"}, {Code: "letter", Label: "郵送"},
		},
		MasterResult: {
			{Code: "met", Label: "面談済"}, {Code: "absent", Label: "不在"}, {Code: "callback", Label: "折返し待ち"},
			{Code: "sent", Label: "資料送付"}, {Code: "done", Label: "対応完了"},
		},
		MasterSummary: {
			{Code: "first_visit", Label: "初回訪問"}, {Code: "regular_visit", Label: "定期訪問"}, {Code: "proposal", Label: "提案"},
			{Code: "estimate", Label: "見積"}, {Code: "contract", Label: "契約"}, {Code: "after_follow", Label: "アフターフォロー"},
			{Code: "claim", Label: "クレーム対応"}, {Code: "inquiry", Label: "問合せ対応"},
		},
		MasterProgress: {
			{Code: "first_contact", Label: "初回接触"}, {Code: "proposing", Label: "提案中"}, {Code: "quoted", Label: "見積提示"},
			{Code: "won", Label: "成約"}, {Code: "lost", Label: "失注"}, {Code: "follow_up", Label: "フォロー中"},
		},
		MasterCategory1: {
			{Code: "product", Label: "商品・サービス"}, {Code: "support", Label: "保守・サポート"}, {Code: "other", Label: "その他"},
		},
		MasterCategory2: {
			{Code: "new_purchase", Label: "新規購入", Parent: "product"}, {Code: "replacement", Label: "買い替え", Parent: "product"},
			{Code: "inspection", Label: "点検", Parent: "support"}, {Code: "repair", Label: "修理", Parent: "support"},
			{Code: "misc", Label: "その他", Parent: "other"},
		},
	}
}

const (
	maxMasterItems = 200
	maxMasterLabel = 50
	maxMasterCode  = 40
)

// validCode reports whether s is a master code: a plain code, or a
// plugin's name and a plain code joined by a colon (MasterItem.Code).
func validCode(s string) bool {
	if ns, code, ok := strings.Cut(s, ":"); ok {
		return validCodePart(ns, false) && validCodePart(code, true)
	}
	return validCodePart(s, true)
}

// validCodePart reports whether s is a lower-case ASCII letter followed by
// letters and digits (and underscores if underscore), at most
// maxMasterCode bytes.
func validCodePart(s string, underscore bool) bool {
	if s == "" || len(s) > maxMasterCode || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || underscore && r == '_') {
			return false
		}
	}
	return true
}

// Masters is the handle on a tenant's record masters (対応形態, 結果,
// 内容概略, 進捗, 分類1, 分類2): reading one kind or all of them, and
// replacing the items of a kind. Obtain it from Service.Masters; it is
// bound to the same database handle as the Service.
type Masters struct{ s *Service }

// Masters returns the handle on the tenant's record masters.
func (s *Service) Masters() *Masters { return &Masters{s: s} }

// List returns the tenant's items of one kind in display order,
// DefaultMasters until Masters.Set was called for that kind. Archived items
// are included (marked); offer only the others for new records.
func (h *Masters) List(ctx context.Context, kind MasterKind) ([]MasterItem, error) {
	s := h.s
	p, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	if !kind.Valid() {
		return nil, fmt.Errorf("contactlog: masters %q: %w", kind, ErrInvalid)
	}
	all, err := s.cachedMasters(ctx, p.Tenant)
	return slices.Clone(all[kind]), err
}

// All returns the tenant's items of every kind with one query, as
// List returns each: for a page that shows or offers several kinds.
func (h *Masters) All(ctx context.Context) (map[MasterKind][]MasterItem, error) {
	s := h.s
	p, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	all, err := s.cachedMasters(ctx, p.Tenant)
	if err != nil {
		return nil, err
	}
	out := make(map[MasterKind][]MasterItem, len(all))
	for k, items := range all {
		out[k] = slices.Clone(items)
	}
	return out, nil
}

// cachedMasters returns the tenant's items of every kind: from memory
// while the tenant version (permission.TenantVersion, once per request
// within a version memo) has not moved, else read. The result is shared:
// callers copy what they hand out.
func (s *Service) cachedMasters(ctx context.Context, tenant uuid.UUID) (map[MasterKind][]MasterItem, error) {
	if s.masterCache == nil {
		return s.masterSet(ctx, s.db, tenant)
	}
	v, err := permission.TenantVersion(ctx, s.db, tenant)
	if errors.Is(err, ErrNotFound) { // a tenant outside the directory has no version to cache by
		return s.masterSet(ctx, s.db, tenant)
	}
	if err != nil {
		return nil, err
	}
	return s.masterCache.Get(tenant, v, func() (map[MasterKind][]MasterItem, error) { return s.masterSet(ctx, s.db, tenant) })
}

func (s *Service) masters(ctx context.Context, db bun.IDB, tenant uuid.UUID, kind MasterKind) ([]MasterItem, error) {
	all, err := s.masterSet(ctx, db, tenant, kind)
	return all[kind], err
}

// masterSet returns the tenant's items of the given kinds (all kinds when
// none are given) with one query, defaults where the tenant has set none.
func (s *Service) masterSet(ctx context.Context, db bun.IDB, tenant uuid.UUID, kinds ...MasterKind) (map[MasterKind][]MasterItem, error) {
	if len(kinds) == 0 {
		kinds = MasterKinds()
	}
	var rows []masterRow
	if err := db.NewSelect().Model(&rows).Where("tenant_id = ?", tenant).Where("kind IN (?)", bun.List(kinds)).
		Order("kind", "position", "code").Scan(ctx); err != nil {
		return nil, fmt.Errorf("contactlog: masters: %w", storage.Err(err))
	}
	out := make(map[MasterKind][]MasterItem, len(kinds))
	for _, r := range rows {
		out[r.Kind] = append(out[r.Kind], MasterItem{Code: r.Code, Label: r.Label, Parent: r.Parent, Archived: r.Archived})
	}
	defaults := DefaultMasters()
	for _, k := range kinds {
		if len(out[k]) == 0 {
			out[k] = defaults[k]
		}
	}
	return out, nil
}

// Set replaces the tenant's items of one kind (admins only): labels,
// order, archived flags and new codes. Codes never disappear, since records
// may carry them (the defaults' codes included): archive an item instead,
// so old records keep its label. Category2 items must name a Category1
// code as Parent.
func (h *Masters) Set(ctx context.Context, kind MasterKind, items []MasterItem) error {
	s := h.s
	p, err := permission.RequireRole(ctx, permission.RoleAdmin)
	if err != nil {
		return err
	}
	if !kind.Valid() {
		return fmt.Errorf("contactlog: set masters %q: %w", kind, ErrInvalid)
	}
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		cur, err := s.masters(ctx, tx, p.Tenant, kind)
		if err != nil {
			return err
		}
		var parents, children []MasterItem
		switch kind {
		case MasterCategory2:
			if parents, err = s.masters(ctx, tx, p.Tenant, MasterCategory1); err != nil {
				return err
			}
		case MasterCategory1:
			if children, err = s.masters(ctx, tx, p.Tenant, MasterCategory2); err != nil {
				return err
			}
		}
		if v := checkMasters(kind, items, cur, parents, children); v.Err() != nil {
			return v
		}
		if _, err := tx.NewDelete().Model((*masterRow)(nil)).Where("tenant_id = ?", p.Tenant).Where("kind = ?", kind).Exec(ctx); err != nil {
			return err
		}
		rows := make([]masterRow, len(items))
		for i, it := range items {
			rows[i] = masterRow{Tenant: p.Tenant, Kind: kind, Code: it.Code, Label: strings.TrimSpace(it.Label),
				Parent: it.Parent, Position: i, Archived: it.Archived}
		}
		if _, err = tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return err
		}
		return permission.BumpVersion(ctx, tx, p.Tenant)
	})
	if err != nil {
		return fmt.Errorf("contactlog: set masters %s: %w", kind, err)
	}
	return nil
}

// checkMasters validates a new item list against the current one (codes may
// not disappear), the Category1 items (parents of Category2 items) and the
// Category2 items (children that keep Category1 codes alive).
func checkMasters(kind MasterKind, items, cur, parents, children []MasterItem) *validation.Error {
	v := &validation.Error{}
	if len(items) == 0 {
		v.Add("items", validation.CodeRequired, "")
	}
	if len(items) > maxMasterItems {
		v.Add("items", validation.CodeTooMany, strconv.Itoa(maxMasterItems))
	}
	codes := map[string]bool{}
	for i, it := range items {
		f := fmt.Sprintf("items[%d]", i)
		switch {
		case !validCode(it.Code):
			v.Add(f+".code", validation.CodeFormat, it.Code)
		case codes[it.Code]:
			v.Add(f+".code", validation.CodeDuplicate, it.Code)
		}
		codes[it.Code] = true
		label := strings.TrimSpace(it.Label)
		switch {
		case label == "":
			v.Add(f+".label", validation.CodeRequired, "")
		case !v.CheckText(f+".label", label, false):
		case utf8.RuneCountInString(label) > maxMasterLabel:
			v.Add(f+".label", validation.CodeTooLong, strconv.Itoa(maxMasterLabel))
		}
		switch {
		case kind != MasterCategory2 && it.Parent != "":
			v.Add(f+".parent", validation.CodeNotAllowed, it.Parent)
		case kind == MasterCategory2 && !slices.ContainsFunc(parents, func(p MasterItem) bool { return p.Code == it.Parent }):
			v.Add(f+".parent", validation.CodeUnknown, it.Parent)
		}
	}
	for _, c := range cur {
		if !codes[c.Code] {
			v.Add("items", validation.CodeRequired, c.Code) // archive instead of removing
		}
	}
	for _, c := range children {
		if !codes[c.Parent] {
			v.Add("items", validation.CodeRequired, c.Parent)
		}
	}
	return v
}
