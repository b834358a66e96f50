package gendata

// CustomerKind tells an individual customer from a company.
type CustomerKind string

// Customer kinds.
const (
	// KindIndividual is a private person (about 80% of customers).
	KindIndividual CustomerKind = "individual"
	// KindCompany is a business customer (about 20% of customers).
	KindCompany CustomerKind = "company"
)

// Label returns the Japanese label (個人 or 法人).
func (k CustomerKind) Label() string {
	if k == KindCompany {
		return "法人"
	}
	return "個人"
}

// CustomerStatus tells a prospect from an existing customer.
type CustomerStatus string

// Customer statuses.
const (
	// StatusProspect is a prospective customer (見込み客).
	StatusProspect CustomerStatus = "prospect"
	// StatusExisting is an existing customer (既存客).
	StatusExisting CustomerStatus = "existing"
)

// Label returns the Japanese label (見込み or 既存).
func (s CustomerStatus) Label() string {
	if s == StatusProspect {
		return "見込み"
	}
	return "既存"
}

// Gender is a person's gender as recorded on a customer card.
type Gender string

// Genders.
const (
	// GenderMale is 男性.
	GenderMale Gender = "male"
	// GenderFemale is 女性.
	GenderFemale Gender = "female"
	// GenderUnspecified is 未回答: the customer did not say.
	GenderUnspecified Gender = "unspecified"
)

// Label returns the Japanese label.
func (g Gender) Label() string {
	switch g {
	case GenderMale:
		return "男性"
	case GenderFemale:
		return "女性"
	}
	return "未回答"
}

// ContactMethod is the way a customer prefers to be contacted.
type ContactMethod string

// Contact methods.
const (
	// ContactMobile is a call to the mobile phone.
	ContactMobile ContactMethod = "mobile"
	// ContactEmail is an e-mail.
	ContactEmail ContactMethod = "email"
	// ContactHomePhone is a call to the landline (the office line for companies).
	ContactHomePhone ContactMethod = "home_phone"
	// ContactLetter is postal mail.
	ContactLetter ContactMethod = "letter"
)

// Label returns the Japanese label.
func (m ContactMethod) Label() string {
	switch m {
	case ContactMobile:
		return "携帯電話"
	case ContactEmail:
		return "メール"
	case ContactHomePhone:
		return "固定電話"
	}
	return "郵送"
}

// Rank is the customer's importance rank, A being the most important.
type Rank string

// Ranks, drawn with weights A 20, B 50, C 30.
const (
	// RankA is the top rank (about 20%).
	RankA Rank = "A"
	// RankB is the middle rank (about 50%).
	RankB Rank = "B"
	// RankC is the lowest rank (about 30%).
	RankC Rank = "C"
)

// Role is a staff member's role in the tenant.
type Role string

// Staff roles.
const (
	// RoleAdmin administers the tenant; staff 0 of every tenant.
	RoleAdmin Role = "admin"
	// RoleManager manages groups and org units; about 10% of staff.
	RoleManager Role = "manager"
	// RoleStaff is an ordinary member of staff.
	RoleStaff Role = "staff"
	// RolePartner is an outside partner (e.g. an agency) with restricted
	// access; only tenants with 100 or more staff have them.
	RolePartner Role = "partner"
)

// Label returns the Japanese label.
func (r Role) Label() string {
	switch r {
	case RoleAdmin:
		return "管理者"
	case RoleManager:
		return "マネージャー"
	case RolePartner:
		return "パートナー"
	}
	return "スタッフ"
}

// OrgUnitKind is the level of an org unit in the tree.
type OrgUnitKind string

// Org unit kinds.
const (
	// OrgHeadOffice is the root of the tree (本社).
	OrgHeadOffice OrgUnitKind = "head_office"
	// OrgBranch is a branch office (支店) directly under the head office.
	OrgBranch OrgUnitKind = "branch"
	// OrgDepartment is a department (部署) under a branch.
	OrgDepartment OrgUnitKind = "department"
)

// TemplateKey names the contact-record template a record was written with.
type TemplateKey string

// Record templates.
const (
	// TemplateInterview is 面談記録, a meeting memo.
	TemplateInterview TemplateKey = "interview"
	// TemplateSales is 商談, a sales meeting.
	TemplateSales TemplateKey = "sales"
	// TemplateInquiry is 問合せ, an inquiry from the customer.
	TemplateInquiry TemplateKey = "inquiry"
	// TemplateClaim is クレーム・提案, a complaint or suggestion.
	TemplateClaim TemplateKey = "claim"
	// TemplateDaily is 日報, a daily report.
	TemplateDaily TemplateKey = "daily"
)

// Templates returns every template key in a fixed order.
func Templates() []TemplateKey {
	return []TemplateKey{TemplateInterview, TemplateSales, TemplateInquiry, TemplateClaim, TemplateDaily}
}

// Label returns the Japanese name of the template.
func (k TemplateKey) Label() string {
	switch k {
	case TemplateInterview:
		return "面談記録"
	case TemplateSales:
		return "商談"
	case TemplateInquiry:
		return "問合せ"
	case TemplateClaim:
		return "クレーム・提案"
	case TemplateDaily:
		return "日報"
	}
	return string(k)
}

// Channel is how a contact took place.
type Channel string

// Contact channels.
const (
	// ChannelVisit is 訪問: staff visited the customer.
	ChannelVisit Channel = "visit"
	// ChannelStore is 来店: the customer came to the shop or office.
	ChannelStore Channel = "store"
	// ChannelPhone is 電話.
	ChannelPhone Channel = "phone"
	// ChannelEmail is メール.
	ChannelEmail Channel = "email"
	// ChannelOnline is オンライン: a video meeting.
	ChannelOnline Channel = "online"
)

// Channels returns every channel in a fixed order.
func Channels() []Channel {
	return []Channel{ChannelVisit, ChannelStore, ChannelPhone, ChannelEmail, ChannelOnline}
}

// Label returns the Japanese label.
func (c Channel) Label() string {
	switch c {
	case ChannelVisit:
		return "訪問"
	case ChannelStore:
		return "来店"
	case ChannelPhone:
		return "電話"
	case ChannelEmail:
		return "メール"
	case ChannelOnline:
		return "オンライン"
	}
	return string(c)
}

// Progress is the sales stage a contact record leaves the customer in.
type Progress string

// Progress stages.
const (
	// ProgressFirstContact is 初回接触.
	ProgressFirstContact Progress = "first_contact"
	// ProgressProposing is 提案中.
	ProgressProposing Progress = "proposing"
	// ProgressQuoted is 見積提示.
	ProgressQuoted Progress = "quoted"
	// ProgressWon is 成約.
	ProgressWon Progress = "won"
	// ProgressLost is 失注.
	ProgressLost Progress = "lost"
	// ProgressFollowUp is フォロー中.
	ProgressFollowUp Progress = "follow_up"
)

// Progresses returns every progress stage in a fixed order.
func Progresses() []Progress {
	return []Progress{ProgressFirstContact, ProgressProposing, ProgressQuoted, ProgressWon, ProgressLost, ProgressFollowUp}
}

// Label returns the Japanese label.
func (p Progress) Label() string {
	switch p {
	case ProgressFirstContact:
		return "初回接触"
	case ProgressProposing:
		return "提案中"
	case ProgressQuoted:
		return "見積提示"
	case ProgressWon:
		return "成約"
	case ProgressLost:
		return "失注"
	case ProgressFollowUp:
		return "フォロー中"
	}
	return string(p)
}

// VisibilityScope says who may read a contact record.
type VisibilityScope string

// Visibility scopes.
const (
	// VisibleCompany lets everyone in the tenant read (about 80% of records).
	VisibleCompany VisibilityScope = "company"
	// VisibleOrgUnit restricts reading to the members of one org unit (Visibility.OrgUnit).
	VisibleOrgUnit VisibilityScope = "org_unit"
	// VisibleGroup restricts reading to the members of one group (Visibility.Group).
	VisibleGroup VisibilityScope = "group"
	// VisibleUsers restricts reading to the listed staff (Visibility.Users).
	VisibleUsers VisibilityScope = "users"
)

// Visibility is the read scope of a contact record.
type Visibility struct {
	// Scope selects which of the other fields applies.
	Scope VisibilityScope
	// OrgUnit is the org unit index for VisibleOrgUnit, otherwise -1.
	OrgUnit int
	// Group is the group index for VisibleGroup, otherwise -1.
	Group int
	// Users lists staff indexes for VisibleUsers (the author first),
	// otherwise nil.
	Users []int
}
