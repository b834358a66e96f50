package careservice

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/kirokuhq/kiroku/plugins/sdk"
)

// Keys of the plugin's contributions.
const (
	// Name is the plugin's namespace.
	Name = "careservice"
	// TemplateVisit is the service record template (サービス提供記録).
	TemplateVisit = "careservice:visit"
	// FieldCareLevel is the customer field holding the care level (要介護度).
	FieldCareLevel = "careservice:care_level"
)

// Service types (サービス種別).
const (
	PhysicalCare  = "身体介護"
	HouseholdHelp = "生活援助"
	RideAssist    = "通院等乗降介助"
)

// Band is one duration band of a service: from MinMinutes (inclusive) up to
// the next band's MinMinutes, a visit counts Units.
type Band struct {
	MinMinutes int
	Units      int
}

// Rate is how a service type counts units. A per-ride service (PerRide > 0)
// counts PerRide units per one-way ride, whatever the duration. Otherwise
// the visit's duration picks the last of Bands (ascending) whose
// MinMinutes it reaches; a duration below the first band is not allowed for
// the service. With StepMinutes > 0, each full StepMinutes beyond the last
// band's MinMinutes adds StepUnits.
type Rate struct {
	Bands       []Band
	StepMinutes int
	StepUnits   int
	PerRide     int
}

// UnitTable is the plugin's own simplified unit table per service type
// (see the package documentation). It is not the official 介護報酬; edit it
// to change the numbers.
var UnitTable = map[string]Rate{
	PhysicalCare: {
		Bands:       []Band{{0, 160}, {20, 240}, {30, 390}, {60, 570}},
		StepMinutes: 30, StepUnits: 80,
	},
	HouseholdHelp: {Bands: []Band{{20, 180}, {45, 220}}},
	RideAssist:    {PerRide: 100},
}

// ServiceTypes lists the service types in display order.
var ServiceTypes = []string{PhysicalCare, HouseholdHelp, RideAssist}

// CareLevels lists the care levels (要介護度) in display order.
var CareLevels = []string{"要支援1", "要支援2", "要介護1", "要介護2", "要介護3", "要介護4", "要介護5"}

// MonthlyLimits is the plugin's own table of monthly unit limits per care
// level (区分支給限度基準額 style, not the official figures).
var MonthlyLimits = map[string]int{
	"要支援1": 5_000, "要支援2": 10_500,
	"要介護1": 16_700, "要介護2": 19_700, "要介護3": 27_000, "要介護4": 30_900, "要介護5": 36_200,
}

// Thresholds are the percentages of the monthly limit that are announced.
var Thresholds = []int{90, 100}

// MaxVisit is the longest visit a record may cover.
const MaxVisit = 24 * time.Hour

// MaxRides is the most one-way rides one record may count (there and back).
const MaxRides = 2

// Units returns the units of a visit of the given service type lasting
// minutes (whole minutes) with rides one-way rides (per-ride services
// only). ok is false for an unknown service type or a duration below the
// service's shortest band.
func Units(service string, minutes, rides int) (units int, ok bool) {
	r, known := UnitTable[service]
	switch {
	case !known:
		return 0, false
	case r.PerRide > 0:
		return r.PerRide * rides, true
	case len(r.Bands) == 0 || minutes < r.Bands[0].MinMinutes:
		return 0, false
	}
	last := r.Bands[0]
	for _, b := range r.Bands[1:] {
		if minutes >= b.MinMinutes {
			last = b
		}
	}
	units = last.Units
	if r.StepMinutes > 0 && last == r.Bands[len(r.Bands)-1] {
		units += (minutes - last.MinMinutes) / r.StepMinutes * r.StepUnits
	}
	return units, true
}

// MinMinutes returns the shortest duration the service type allows (0 for
// a per-ride service or an unknown type).
func MinMinutes(service string) int {
	r := UnitTable[service]
	if r.PerRide > 0 || len(r.Bands) == 0 {
		return 0
	}
	return r.Bands[0].MinMinutes
}

// Threshold returns the highest of Thresholds that units reach for the
// care level, or 0 when none is reached or the level is unknown.
func Threshold(level string, units int) int {
	limit, ok := MonthlyLimits[level]
	if !ok || limit <= 0 {
		return 0
	}
	reached := 0
	for _, pct := range Thresholds {
		// units/limit ≥ pct/100, in integers.
		if units*100 >= limit*pct && pct > reached {
			reached = pct
		}
	}
	return reached
}

// Opts are the plugin's serve options: the manifest, Validate, Compute and
// HandleEvent.
func Opts() sdk.ServeOpts {
	return sdk.ServeOpts{
		Manifest:     Manifest(),
		Validator:    sdk.ValidateEach(func(r sdk.Record) []sdk.FieldProblem { return problems(r.Values) }, TemplateVisit),
		Computer:     sdk.ComputeEach(compute, TemplateVisit),
		EventHandler: sdk.EventHandlerFunc(HandleEvent),
	}
}

func bound(v float64) *float64 { return &v }

// Manifest returns what the plugin contributes (see the package
// documentation).
func Manifest() sdk.Manifest {
	return sdk.Manifest{
		Name:        Name,
		Version:     "1.0.0",
		DisplayName: "訪問介護",
		Description: "訪問介護のサービス提供記録（サービス種別・時間・バイタル・単位数）と、区分支給限度基準額に近づいた利用者の担当者への通知。",
		Templates: []sdk.Template{{
			Key:         TemplateVisit,
			Name:        "サービス提供記録",
			Description: "訪問介護の1回の訪問の記録です。単位数はサービス種別と時間から自動計算されます。",
			Fields: []sdk.Field{
				{Key: "service_type", Label: "サービス種別", Type: "select", Required: true, Options: ServiceTypes},
				{Key: "start", Label: "開始日時", Type: "datetime", Required: true},
				{Key: "end", Label: "終了日時", Type: "datetime", Required: true},
				{Key: "rides", Label: "乗降回数", Type: "integer", Min: bound(1), Max: bound(MaxRides), Unit: "回",
					Help: "通院等乗降介助のみ。片道1回、往復2回。"},
				{Key: "temperature", Label: "体温", Type: "number", Min: bound(34), Max: bound(42), Unit: "°C"},
				{Key: "bp_upper", Label: "血圧（上）", Type: "integer", Min: bound(50), Max: bound(300), Unit: "mmHg"},
				{Key: "bp_lower", Label: "血圧（下）", Type: "integer", Min: bound(20), Max: bound(200), Unit: "mmHg"},
				{Key: "pulse", Label: "脈拍", Type: "integer", Min: bound(20), Max: bound(250), Unit: "回/分"},
				{Key: "notes", Label: "記録・特記事項", Type: "longtext"},
				{Key: "units", Label: "単位数", Type: "integer", Unit: "単位", Help: "サービス種別と時間から自動計算されます。"},
			},
			Aggregations: []sdk.Aggregation{
				{Key: "units", Label: "単位数合計", Expr: "sum(.units)", Unit: "単位"},
				{Key: "visits", Label: "訪問回数", Expr: "count()", Unit: "回"},
			},
			Computed: []string{"units"},
		}},
		CustomerFields: []sdk.CustomerField{
			{Key: FieldCareLevel, Label: "要介護度", Type: "select", Options: CareLevels},
		},
		EventKinds: []string{sdk.EventRecordCreated, sdk.EventRecordUpdated},
	}
}

// visit is a visit record's values the rules need.
type visit struct {
	service    string
	start, end time.Time
	hasStart   bool
	hasEnd     bool
	rides      int
	hasRides   bool
	upper      float64
	lower      float64
	hasBP      bool
}

// timeValue reads a datetime value in its JSON form (RFC 3339).
func timeValue(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

func numberValue(v any) (float64, bool) {
	f, ok := v.(float64)
	return f, ok && !math.IsNaN(f) && !math.IsInf(f, 0)
}

func readVisit(values map[string]any) visit {
	var v visit
	v.service, _ = values["service_type"].(string)
	v.start, v.hasStart = timeValue(values["start"])
	v.end, v.hasEnd = timeValue(values["end"])
	if r, ok := numberValue(values["rides"]); ok {
		v.rides, v.hasRides = int(r), true
	}
	upper, okU := numberValue(values["bp_upper"])
	lower, okL := numberValue(values["bp_lower"])
	v.upper, v.lower, v.hasBP = upper, lower, okU && okL
	return v
}

// timesOK reports whether the visit has a start and an end, the end after
// the start and at most MaxVisit later.
func (v visit) timesOK() bool {
	return v.hasStart && v.hasEnd && v.end.After(v.start) && v.end.Sub(v.start) <= MaxVisit
}

// minutes is the visit's duration in whole minutes.
func (v visit) minutes() int { return int(v.end.Sub(v.start) / time.Minute) }

// units computes the visit's units; ok is false when they cannot be
// computed (a missing or invalid value).
func (v visit) units() (int, bool) {
	if !v.timesOK() {
		return 0, false
	}
	if UnitTable[v.service].PerRide > 0 && !v.hasRides {
		return 0, false
	}
	return Units(v.service, v.minutes(), v.rides)
}

func problems(values map[string]any) []sdk.FieldProblem {
	var ps []sdk.FieldProblem
	add := func(field, code, param string) {
		ps = append(ps, sdk.FieldProblem{Field: "fields." + field, Code: code, Param: param})
	}
	v := readVisit(values)
	if !v.hasStart {
		add("start", sdk.CodeRequired, "")
	}
	if !v.hasEnd {
		add("end", sdk.CodeRequired, "")
	}
	rate, known := UnitTable[v.service]
	switch {
	case v.service == "":
		add("service_type", sdk.CodeRequired, "")
	case !known:
		add("service_type", sdk.CodeUnknown, v.service)
	}
	timesOK := v.timesOK()
	if v.hasStart && v.hasEnd && !timesOK {
		add("end", sdk.CodeOutOfRange, v.start.Format(time.RFC3339)+".."+v.start.Add(MaxVisit).Format(time.RFC3339))
	}
	if min := MinMinutes(v.service); known && timesOK && v.minutes() < min {
		add("service_type", sdk.CodeNotAllowed, fmt.Sprint(min))
	}
	perRide := rate.PerRide > 0
	switch {
	case perRide && !v.hasRides:
		add("rides", sdk.CodeRequired, "")
	case known && !perRide && v.hasRides:
		add("rides", sdk.CodeNotAllowed, "")
	}
	if v.hasBP && v.lower >= v.upper {
		add("bp_lower", sdk.CodeOutOfRange, fmt.Sprintf("..%d", int(v.upper)-1))
	}
	return ps
}

// compute returns the computed values of a visit record: units, when the
// record says enough to count them.
func compute(r sdk.Record) map[string]any {
	if u, ok := readVisit(r.Values).units(); ok {
		return map[string]any{"units": u}
	}
	return nil
}

// japan is Japan Standard Time (no daylight saving), the zone of the
// months the limits count.
var japan = time.FixedZone("JST", 9*60*60)

// recordUnits returns a record's units: the stored computed value, or the
// units recomputed from its values.
func recordUnits(r sdk.Record) int {
	if u, ok := numberValue(r.Values["units"]); ok {
		return int(u)
	}
	u, _ := readVisit(r.Values).units()
	return u
}

// HandleEvent announces a customer's monthly units reaching a threshold of
// the limit for their care level (see the package documentation).
func HandleEvent(_ context.Context, e sdk.Event) (sdk.EventResult, error) {
	if (e.Kind != sdk.EventRecordCreated && e.Kind != sdk.EventRecordUpdated) ||
		e.Record == nil || e.Record.Template != TemplateVisit || e.Customer == nil || len(e.Customer.Assignees) == 0 {
		return sdk.EventResult{}, nil
	}
	level, _ := e.Customer.Fields[FieldCareLevel].(string)
	limit, ok := MonthlyLimits[level]
	if !ok {
		return sdk.EventResult{}, nil
	}
	month := e.Record.ActualAt
	if start, ok := timeValue(e.Record.Values["start"]); ok {
		month = start
	} else if month.IsZero() {
		month = e.At
	}
	month = month.In(japan)
	total := 0
	seen := false
	for _, r := range e.MonthRecords {
		total += recordUnits(r)
		seen = seen || r.ID == e.Record.ID
	}
	if !seen {
		total += recordUnits(*e.Record)
	}
	pct := Threshold(level, total)
	if pct == 0 {
		return sdk.EventResult{}, nil
	}
	ym := month.Format("2006-01")
	label := fmt.Sprintf("%d年%d月", month.Year(), month.Month())
	subject := fmt.Sprintf("【区分支給限度基準額 %d%%】%s様 %s", pct, e.Customer.Name, label)
	body := fmt.Sprintf("%s様の%sの訪問介護の単位数が%s単位となり、%sの区分支給限度基準額（%s単位）の%d%%に達しました。",
		e.Customer.Name, label, groupDigits(total), level, groupDigits(limit), pct)
	if pct >= 100 {
		body += "限度額を超えた分は利用者の全額自己負担となります。ケアマネジャーと今月の残りの予定を確認してください。"
	} else {
		body += "今月の残りの予定が限度額を超えないか確認してください。"
	}
	return sdk.EventResult{Notifications: []sdk.Notification{{
		Recipients: slices.Clone(e.Customer.Assignees),
		Subject:    subject,
		Body:       body,
		Key:        fmt.Sprintf("%s:limit:%s:%s:%d", Name, e.Customer.ID, ym, pct),
	}}}, nil
}

// groupDigits writes a non-negative n with thousands separators: 15030 →
// "15,030".
func groupDigits(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
