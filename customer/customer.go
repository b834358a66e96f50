package customer

import (
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/date"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/kerr"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// Errors re-exported from Kiroku's shared vocabulary; match them with
// errors.Is.
var (
	ErrNotFound         = kerr.ErrNotFound
	ErrConflict         = kerr.ErrConflict
	ErrInvalid          = kerr.ErrInvalid
	ErrPermissionDenied = kerr.ErrPermissionDenied
	ErrUnauthenticated  = kerr.ErrUnauthenticated
)

// ValidationError lists every field problem of an input; see kerr codes.
type ValidationError = validation.Error

// FieldError is one problem of a ValidationError.
type FieldError = validation.FieldError

// Kind tells companies from individuals.
type Kind string

// Customer kinds.
const (
	Individual Kind = "individual" // 個人
	Company    Kind = "company"    // 会社
)

// Status tells prospects from existing customers.
type Status string

// Customer statuses.
const (
	Prospect Status = "prospect" // 見込み
	Existing Status = "existing" // 既存
)

// Gender of an individual; the zero value means not given.
type Gender string

// Genders.
const (
	GenderUnspecified Gender = ""
	Male              Gender = "male"
	Female            Gender = "female"
	GenderOther       Gender = "other"
)

// ContactMethod is how the customer prefers to be contacted (連絡手段); the
// zero value means no preference.
type ContactMethod string

// Contact methods.
const (
	ContactAny       ContactMethod = ""
	ContactMobile    ContactMethod = "mobile"     // 携帯電話
	ContactEmail     ContactMethod = "email"      // メール
	ContactHomePhone ContactMethod = "home_phone" // 自宅電話
	ContactLetter    ContactMethod = "letter"     // 手紙
)

// Profile is what a staff member enters about a customer: the input of
// Create and Update, and the editable part of a Customer.
//
// Normalisation on save: readings given in hiragana or half-width katakana
// are stored as full-width katakana; every text is trimmed and NFKC-folded
// where that does not alter what the user meant (names keep their kanji,
// including variants such as 髙 and 﨑); postal codes are stored as
// 123-4567; e-mail domains are lower-cased.
type Profile struct {
	Kind   Kind   `bun:"kind" json:"kind"`     // default Individual
	Status Status `bun:"status" json:"status"` // default Prospect

	FamilyName string `bun:"family_name" json:"family_name"` // 姓, required (for a company: the contact person)
	GivenName  string `bun:"given_name" json:"given_name"`   // 名
	FamilyKana string `bun:"family_kana" json:"family_kana"` // セイ, required for individuals unless TenantSettings.KanaOptional
	GivenKana  string `bun:"given_kana" json:"given_kana"`   // メイ, required with FamilyKana when there is a given name

	CompanyName string `bun:"company_name" json:"company_name"` // 会社名, required for companies
	CompanyKana string `bun:"company_kana" json:"company_kana"` // 会社名カナ
	Department  string `bun:"department" json:"department"`     // 部署

	Email      string     `bun:"email" json:"email"`
	Mobile     string     `bun:"mobile" json:"mobile"` // 携帯電話, used for SMS invitations
	Phone      string     `bun:"phone" json:"phone"`   // 電話番号
	Birthday   *date.Date `bun:"birthday" json:"birthday,omitempty"`
	Gender     Gender     `bun:"gender" json:"gender"`
	PostalCode string     `bun:"postal_code" json:"postal_code"`
	Address    string     `bun:"address" json:"address"`

	ContactMethod ContactMethod `bun:"contact_method" json:"contact_method"`
	DecisionMaker string        `bun:"decision_maker" json:"decision_maker"` // 決定権者: who decides
	Rank          string        `bun:"rank" json:"rank"`                     // a code of the tenant's ranks
	Memo          string        `bun:"memo" json:"memo"`                     // Free Memo / 備考

	// Custom holds values of the tenant's custom fields (see DefineField),
	// keyed by field key. Unknown keys and wrongly typed values are refused.
	Custom map[string]any `bun:"custom_fields,type:jsonb" json:"custom,omitempty"`

	// Assignees are the staff in charge (担当者): active staff users of the
	// tenant's directory (see permission.Directory.SaveUser). Create makes
	// the creating staff member the assignee when none is given. Changes
	// are logged (see AssignmentHistory).
	Assignees []uuid.UUID `bun:"-" json:"assignees"`

	// Consent records that the customer agreed to record-keeping. Setting it
	// stamps ConsentAt/ConsentBy once; clearing it clears them.
	Consent bool `bun:"-" json:"consent"`
}

// Customer is a stored customer (顧客).
type Customer struct {
	ID     uuid.UUID `bun:"id,pk" json:"id"`
	Tenant uuid.UUID `bun:"tenant_id" json:"tenant"`
	Profile

	ConsentAt *time.Time `bun:"consent_at" json:"consent_at,omitempty"`
	ConsentBy *uuid.UUID `bun:"consent_by" json:"consent_by,omitempty"`

	CreatedAt time.Time  `bun:"created_at" json:"created_at"`
	CreatedBy uuid.UUID  `bun:"created_by" json:"created_by"`
	UpdatedAt time.Time  `bun:"updated_at" json:"updated_at"`
	UpdatedBy uuid.UUID  `bun:"updated_by" json:"updated_by"`
	DeletedAt *time.Time `bun:"deleted_at" json:"deleted_at,omitempty"`
	DeletedBy *uuid.UUID `bun:"deleted_by" json:"deleted_by,omitempty"`

	// Version increases with every update; pass it back to Update.
	Version int64 `bun:"version" json:"version"`
}

// DisplayName is the name shown in lists: "会社名 姓 名" for companies,
// "姓 名" for individuals.
func (c *Customer) DisplayName() string {
	name := c.FamilyName
	if c.GivenName != "" {
		name += " " + c.GivenName
	}
	if c.Kind == Company && c.CompanyName != "" {
		return c.CompanyName + " " + name
	}
	return name
}

// row is the stored form: the customer plus the derived search columns.
type row struct {
	bun.BaseModel `bun:"table:customers,alias:c"`
	Customer

	NameKey      string        `bun:"name_key"`
	SortKana     string        `bun:"sort_kana"`
	SearchText   string        `bun:"search_text"`
	PhoneDigits  string        `bun:"phone_digits"`
	MobileDigits string        `bun:"mobile_digits"`
	EmailKey     string        `bun:"email_key"`
	Grams        storage.Grams `bun:"grams"`
}
