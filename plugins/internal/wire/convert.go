// Package wire joins the SDK's types (package sdk) to the protocol's
// generated code (package kirokupluginv2): pure conversions in both
// directions, the gRPC server that server.Serve runs in the plugin process,
// and the Go-native Client the host and plugintest call. The generated
// types never leave this package and glue.
package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/kirokuhq/kiroku/plugins/proto/kirokuplugin/v2"
	"github.com/kirokuhq/kiroku/plugins/sdk"
)

// Capabilities are the optional RPCs a plugin serves.
type Capabilities struct {
	Validate, Compute, Events, Notify bool
}

// capabilitiesOf derives the capabilities of o from its non-nil handlers.
func capabilitiesOf(o sdk.ServeOpts) Capabilities {
	return Capabilities{
		Validate: o.Validator != nil,
		Compute:  o.Computer != nil,
		Events:   o.EventHandler != nil,
		Notify:   o.Notifier != nil,
	}
}

var errNonFinite = errors.New("number is not finite")

// valueJSON encodes a JSON-form value as JSON text (the protocol's form of
// values). Numbers must be finite; other Go values are encoded as
// encoding/json encodes them.
func valueJSON(v any) ([]byte, error) {
	return appendJSON(nil, v)
}

// appendJSON appends v as JSON text to b. The JSON form (string, float64,
// bool, nil, []any, map[string]any) is encoded here without reflection;
// anything else by encoding/json. Object keys are not sorted.
func appendJSON(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case float64:
		return appendFloat(b, v)
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSON(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		return appendObject(b, v)
	}
	out, err := json.Marshal(v)
	if uv := (*json.UnsupportedValueError)(nil); errors.As(err, &uv) && (uv.Str == "NaN" || uv.Str == "+Inf" || uv.Str == "-Inf") {
		return nil, errNonFinite
	}
	if err != nil {
		return nil, err
	}
	return append(b, out...), nil
}

// appendFloat appends f as encoding/json writes it; NaN and infinities
// are refused.
func appendFloat(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, errNonFinite
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(b, f, format, -1, 64), nil
}

// appendString appends s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD (as encoding/json).
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(append(b, s[start:i]...), "\\ufffd"...)
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	return append(append(b, s[start:]...), '"')
}

// valueFromJSON decodes JSON text into the JSON form; empty is nil.
func valueFromJSON(b []byte) (any, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// objectJSON encodes a map of JSON-form values as a JSON object; nil is
// empty. An error names the key whose value cannot be encoded.
func objectJSON(m map[string]any) ([]byte, error) {
	if m == nil {
		return nil, nil
	}
	return appendObject(make([]byte, 0, 32*len(m)+2), m)
}

// objectFromJSON decodes a JSON object into a map of JSON-form values
// (every number a float64); empty is nil. It decodes into an any, which
// encoding/json does without reflection.
func objectFromJSON(b []byte) (map[string]any, error) {
	v, err := valueFromJSON(b)
	if err != nil || v == nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not a JSON object")
	}
	return m, nil
}

// timeToProto converts t; the zero time is nil.
func timeToProto(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// timeFromProto converts ts (in UTC); nil is the zero time.
func timeFromProto(ts *timestamppb.Timestamp) (time.Time, error) {
	if ts == nil {
		return time.Time{}, nil
	}
	if err := ts.CheckValid(); err != nil {
		return time.Time{}, err
	}
	return ts.AsTime(), nil
}

func manifestToProto(m sdk.Manifest, c Capabilities) (*pb.Manifest, error) {
	out := &pb.Manifest{
		Name:        m.Name,
		Version:     m.Version,
		DisplayName: m.DisplayName,
		Description: m.Description,
		EventKinds:  m.EventKinds,
	}
	for _, on := range []struct {
		has bool
		c   pb.Capability
	}{
		{c.Validate, pb.Capability_CAPABILITY_VALIDATE},
		{c.Compute, pb.Capability_CAPABILITY_COMPUTE},
		{c.Events, pb.Capability_CAPABILITY_EVENTS},
		{c.Notify, pb.Capability_CAPABILITY_NOTIFY},
	} {
		if on.has {
			out.Capabilities = append(out.Capabilities, on.c)
		}
	}
	for _, t := range m.Templates {
		pt, err := templateToProto(t)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", t.Key, err)
		}
		out.Templates = append(out.Templates, pt)
	}
	for _, mi := range m.Masters {
		out.Masters = append(out.Masters, &pb.MasterItem{Kind: mi.Kind, Code: mi.Code, Label: mi.Label, Parent: mi.Parent})
	}
	for _, f := range m.CustomerFields {
		out.CustomerFields = append(out.CustomerFields, &pb.CustomerField{Key: f.Key, Label: f.Label, Type: f.Type, Options: f.Options, Required: f.Required})
	}
	return out, nil
}

func templateToProto(t sdk.Template) (*pb.Template, error) {
	out := &pb.Template{
		Key:          t.Key,
		Name:         t.Name,
		Description:  t.Description,
		Confidential: t.Confidential,
		TaxRounding:  t.TaxRounding,
		Computed:     t.Computed,
	}
	for _, f := range t.Fields {
		pf := &pb.Field{
			Key: f.Key, Label: f.Label, Type: f.Type, Required: f.Required,
			Min: f.Min, Max: f.Max, Options: f.Options, Help: f.Help, Unit: f.Unit, Catalog: f.Catalog,
			TenantCatalog: f.TenantCatalog,
		}
		if f.Default != nil {
			d, err := valueJSON(f.Default)
			if err != nil {
				return nil, fmt.Errorf("field %s: default: %w", f.Key, err)
			}
			pf.DefaultJson = d
		}
		out.Fields = append(out.Fields, pf)
	}
	for _, a := range t.Aggregations {
		out.Aggregations = append(out.Aggregations, &pb.Aggregation{Key: a.Key, Label: a.Label, Expr: a.Expr, Unit: a.Unit})
	}
	for _, c := range t.Catalogs {
		pc := &pb.Catalog{Key: c.Key, Name: c.Name}
		for _, i := range c.Items {
			pc.Items = append(pc.Items, &pb.CatalogItem{
				Key: i.Key, Name: i.Name, Category: i.Category, Classification: i.Classification,
				UnitPrice: i.UnitPrice, TaxRate: i.TaxRate,
			})
		}
		out.Catalogs = append(out.Catalogs, pc)
	}
	return out, nil
}

func manifestFromProto(m *pb.Manifest) (sdk.Manifest, Capabilities, error) {
	out := sdk.Manifest{
		Name:        m.GetName(),
		Version:     m.GetVersion(),
		DisplayName: m.GetDisplayName(),
		Description: m.GetDescription(),
		EventKinds:  m.GetEventKinds(),
	}
	var c Capabilities
	for _, pc := range m.GetCapabilities() {
		switch pc {
		case pb.Capability_CAPABILITY_VALIDATE:
			c.Validate = true
		case pb.Capability_CAPABILITY_COMPUTE:
			c.Compute = true
		case pb.Capability_CAPABILITY_EVENTS:
			c.Events = true
		case pb.Capability_CAPABILITY_NOTIFY:
			c.Notify = true
		}
	}
	for _, t := range m.GetTemplates() {
		pt, err := templateFromProto(t)
		if err != nil {
			return sdk.Manifest{}, Capabilities{}, fmt.Errorf("template %s: %w", t.GetKey(), err)
		}
		out.Templates = append(out.Templates, pt)
	}
	for _, mi := range m.GetMasters() {
		out.Masters = append(out.Masters, sdk.MasterItem{Kind: mi.GetKind(), Code: mi.GetCode(), Label: mi.GetLabel(), Parent: mi.GetParent()})
	}
	for _, f := range m.GetCustomerFields() {
		out.CustomerFields = append(out.CustomerFields, sdk.CustomerField{
			Key: f.GetKey(), Label: f.GetLabel(), Type: f.GetType(), Options: f.GetOptions(), Required: f.GetRequired(),
		})
	}
	return out, c, nil
}

func templateFromProto(t *pb.Template) (sdk.Template, error) {
	out := sdk.Template{
		Key:          t.GetKey(),
		Name:         t.GetName(),
		Description:  t.GetDescription(),
		Confidential: t.GetConfidential(),
		TaxRounding:  t.GetTaxRounding(),
		Computed:     t.GetComputed(),
	}
	for _, f := range t.GetFields() {
		d, err := valueFromJSON(f.GetDefaultJson())
		if err != nil {
			return sdk.Template{}, fmt.Errorf("field %s: default: %w", f.GetKey(), err)
		}
		out.Fields = append(out.Fields, sdk.Field{
			Key: f.GetKey(), Label: f.GetLabel(), Type: f.GetType(), Required: f.GetRequired(),
			Min: f.Min, Max: f.Max, Options: f.GetOptions(), Default: d,
			Help: f.GetHelp(), Unit: f.GetUnit(), Catalog: f.GetCatalog(), TenantCatalog: f.GetTenantCatalog(),
		})
	}
	for _, a := range t.GetAggregations() {
		out.Aggregations = append(out.Aggregations, sdk.Aggregation{Key: a.GetKey(), Label: a.GetLabel(), Expr: a.GetExpr(), Unit: a.GetUnit()})
	}
	for _, c := range t.GetCatalogs() {
		oc := sdk.Catalog{Key: c.GetKey(), Name: c.GetName()}
		for _, i := range c.GetItems() {
			oc.Items = append(oc.Items, sdk.CatalogItem{
				Key: i.GetKey(), Name: i.GetName(), Category: i.GetCategory(), Classification: i.GetClassification(),
				UnitPrice: i.GetUnitPrice(), TaxRate: i.GetTaxRate(),
			})
		}
		out.Catalogs = append(out.Catalogs, oc)
	}
	return out, nil
}

func recordToProto(r sdk.Record) (*pb.Record, error) {
	values, err := objectJSON(r.Values)
	if err != nil {
		return nil, fmt.Errorf("record %s: %w", r.ID, err)
	}
	customerFields, err := objectJSON(r.CustomerFields)
	if err != nil {
		return nil, fmt.Errorf("record %s: customer field %w", r.ID, err)
	}
	return &pb.Record{
		Id:                 r.ID,
		Tenant:             r.Tenant,
		TemplateKey:        r.Template,
		TemplateVersion:    r.TemplateVersion,
		Customer:           r.Customer,
		PlannedAt:          timeToProto(r.PlannedAt),
		ActualAt:           timeToProto(r.ActualAt),
		ValuesJson:         values,
		Responders:         r.Responders,
		CustomerFieldsJson: customerFields,
	}, nil
}

func recordFromProto(r *pb.Record) (sdk.Record, error) {
	planned, err := timeFromProto(r.GetPlannedAt())
	if err != nil {
		return sdk.Record{}, fmt.Errorf("record %s: planned at: %w", r.GetId(), err)
	}
	actual, err := timeFromProto(r.GetActualAt())
	if err != nil {
		return sdk.Record{}, fmt.Errorf("record %s: actual at: %w", r.GetId(), err)
	}
	values, err := objectFromJSON(r.GetValuesJson())
	if err != nil {
		return sdk.Record{}, fmt.Errorf("record %s: values: %w", r.GetId(), err)
	}
	customerFields, err := objectFromJSON(r.GetCustomerFieldsJson())
	if err != nil {
		return sdk.Record{}, fmt.Errorf("record %s: customer fields: %w", r.GetId(), err)
	}
	return sdk.Record{
		ID:              r.GetId(),
		Tenant:          r.GetTenant(),
		Template:        r.GetTemplateKey(),
		TemplateVersion: r.GetTemplateVersion(),
		Customer:        r.GetCustomer(),
		PlannedAt:       planned,
		ActualAt:        actual,
		Values:          values,
		Responders:      r.GetResponders(),
		CustomerFields:  customerFields,
	}, nil
}

func recordsToProto(rs []sdk.Record) ([]*pb.Record, error) {
	out := make([]*pb.Record, len(rs))
	for i, r := range rs {
		pr, err := recordToProto(r)
		if err != nil {
			return nil, err
		}
		out[i] = pr
	}
	return out, nil
}

func recordsFromProto(rs []*pb.Record) ([]sdk.Record, error) {
	out := make([]sdk.Record, len(rs))
	for i, r := range rs {
		gr, err := recordFromProto(r)
		if err != nil {
			return nil, err
		}
		out[i] = gr
	}
	return out, nil
}

func customerToProto(c sdk.Customer) (*pb.Customer, error) {
	fields, err := objectJSON(c.Fields)
	if err != nil {
		return nil, fmt.Errorf("customer %s: %w", c.ID, err)
	}
	return &pb.Customer{Id: c.ID, Name: c.Name, FieldsJson: fields, Assignees: c.Assignees}, nil
}

func customerFromProto(c *pb.Customer) (sdk.Customer, error) {
	fields, err := objectFromJSON(c.GetFieldsJson())
	if err != nil {
		return sdk.Customer{}, fmt.Errorf("customer %s: fields: %w", c.GetId(), err)
	}
	return sdk.Customer{ID: c.GetId(), Name: c.GetName(), Fields: fields, Assignees: c.GetAssignees()}, nil
}

func eventToProto(e sdk.Event) (*pb.Event, error) {
	out := &pb.Event{Id: e.ID, Kind: e.Kind, Tenant: e.Tenant, At: timeToProto(e.At), TimerKey: e.TimerKey}
	var err error
	if e.Record != nil {
		if out.Record, err = recordToProto(*e.Record); err != nil {
			return nil, err
		}
	}
	if e.Customer != nil {
		if out.Customer, err = customerToProto(*e.Customer); err != nil {
			return nil, err
		}
	}
	if out.MonthRecords, err = recordsToProto(e.MonthRecords); err != nil {
		return nil, err
	}
	if out.RecentRecords, err = recordsToProto(e.RecentRecords); err != nil {
		return nil, err
	}
	return out, nil
}

func eventFromProto(e *pb.Event) (sdk.Event, error) {
	at, err := timeFromProto(e.GetAt())
	if err != nil {
		return sdk.Event{}, fmt.Errorf("event %s: at: %w", e.GetId(), err)
	}
	out := sdk.Event{ID: e.GetId(), Kind: e.GetKind(), Tenant: e.GetTenant(), At: at, TimerKey: e.GetTimerKey()}
	if e.GetRecord() != nil {
		r, err := recordFromProto(e.GetRecord())
		if err != nil {
			return sdk.Event{}, err
		}
		out.Record = &r
	}
	if e.GetCustomer() != nil {
		c, err := customerFromProto(e.GetCustomer())
		if err != nil {
			return sdk.Event{}, err
		}
		out.Customer = &c
	}
	if out.MonthRecords, err = recordsFromProto(e.GetMonthRecords()); err != nil {
		return sdk.Event{}, err
	}
	if out.RecentRecords, err = recordsFromProto(e.GetRecentRecords()); err != nil {
		return sdk.Event{}, err
	}
	return out, nil
}

func notificationToProto(n sdk.Notification) *pb.Notification {
	return &pb.Notification{Recipients: n.Recipients, Subject: n.Subject, Body: n.Body, Key: n.Key}
}

func notificationFromProto(n *pb.Notification) sdk.Notification {
	return sdk.Notification{Recipients: n.GetRecipients(), Subject: n.GetSubject(), Body: n.GetBody(), Key: n.GetKey()}
}

func notificationsToProto(ns []sdk.Notification) []*pb.Notification {
	out := make([]*pb.Notification, len(ns))
	for i, n := range ns {
		out[i] = notificationToProto(n)
	}
	return out
}

func notificationsFromProto(ns []*pb.Notification) []sdk.Notification {
	out := make([]sdk.Notification, len(ns))
	for i, n := range ns {
		out[i] = notificationFromProto(n)
	}
	return out
}

func eventResultToProto(r sdk.EventResult) *pb.HandleEventResponse {
	out := &pb.HandleEventResponse{Notifications: notificationsToProto(r.Notifications)}
	for _, t := range r.Timers {
		out.Timers = append(out.Timers, &pb.Timer{Key: t.Key, At: timeToProto(t.At), Customer: t.Customer})
	}
	return out
}

func eventResultFromProto(r *pb.HandleEventResponse) (sdk.EventResult, error) {
	out := sdk.EventResult{Notifications: notificationsFromProto(r.GetNotifications())}
	for i, t := range r.GetTimers() {
		at, err := timeFromProto(t.GetAt())
		if err != nil {
			return sdk.EventResult{}, fmt.Errorf("timer %d: at: %w", i, err)
		}
		out.Timers = append(out.Timers, sdk.Timer{Key: t.GetKey(), At: at, Customer: t.GetCustomer()})
	}
	return out, nil
}

// Result is a plugin's answer for one record of a CheckRecords call.
type Result struct {
	// Problems are the record's field problems; nil when it has none or
	// was not validated.
	Problems []sdk.FieldProblem
	// Computed are the record's computed values; nil when it was not
	// computed.
	Computed map[string]any
}

// resultsFromProto converts a batch's results.
func resultsFromProto(rs []*pb.RecordResult) ([]Result, error) {
	out := make([]Result, len(rs))
	for i, r := range rs {
		for _, p := range r.GetProblems() {
			out[i].Problems = append(out[i].Problems, sdk.FieldProblem{Field: p.GetField(), Code: p.GetCode(), Param: p.GetParam()})
		}
		c, err := objectFromJSON(r.GetComputedJson())
		if err != nil {
			return nil, fmt.Errorf("result %d: computed values: %w", i, err)
		}
		out[i].Computed = c
	}
	return out, nil
}

// appendObject appends m as a JSON object; an error names the key whose
// value cannot be encoded.
func appendObject(b []byte, m map[string]any) ([]byte, error) {
	b = append(b, '{')
	first := true
	for k, v := range m {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(appendString(b, k), ':')
		var err error
		if b, err = appendJSON(b, v); err != nil {
			return nil, fmt.Errorf("value %s: %w", k, err)
		}
	}
	return append(b, '}'), nil
}
