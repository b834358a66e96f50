package wire

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/kirokuhq/kiroku/plugins/proto/kirokuplugin/v2"
	"github.com/kirokuhq/kiroku/plugins/sdk"
)

func TestRecordRoundTrip(t *testing.T) {
	t.Parallel()
	jst := time.FixedZone("JST", 9*3600)
	for name, r := range map[string]sdk.Record{
		"zero": {},
		"full": {
			ID: "r1", Tenant: "t1", Template: "care:visit", TemplateVersion: 3, Customer: "c1",
			PlannedAt: time.Date(2026, 4, 1, 9, 30, 0, 123456789, jst),
			ActualAt:  time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC),
			Values: map[string]any{
				"s": "身体介護", "n": 36.5, "b": true, "null": nil,
				"list": []any{"a", 1.0, false}, "map": map[string]any{"x": map[string]any{"y": 2.0}},
			},
			Responders:     []string{"u1", "u2"},
			CustomerFields: map[string]any{"care:level": "要介護3"},
		},
		"empty values": {ID: "r2", Values: map[string]any{}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p, err := recordToProto(r)
			require.NoError(t, err)
			got, err := recordFromProto(p)
			require.NoError(t, err)
			require.True(t, got.PlannedAt.Equal(r.PlannedAt) && got.ActualAt.Equal(r.ActualAt))
			got.PlannedAt, got.ActualAt, r.PlannedAt, r.ActualAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
			require.Equal(t, r, got)
		})
	}
}

func TestValueJSON(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		in   any
		want any
		err  string
	}{
		"int":          {in: 3, want: 3.0},
		"int64":        {in: int64(-7), want: -7.0},
		"string":       {in: "醤油 <&>", want: "醤油 <&>"},
		"bool":         {in: true, want: true},
		"nil":          {in: nil, want: nil},
		"nested":       {in: map[string]any{"a": []any{1, "b"}}, want: map[string]any{"a": []any{1.0, "b"}}},
		"[]string":     {in: []string{"a"}, want: []any{"a"}},
		"NaN":          {in: math.NaN(), err: "number is not finite"},
		"Inf in list":  {in: []any{1.0, math.Inf(1)}, err: "number is not finite"},
		"NaN in map":   {in: map[string]any{"k": math.NaN()}, err: "number is not finite"},
		"unknown type": {in: func() {}, err: "unsupported type"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := valueJSON(tc.in)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			got, err := valueFromJSON(b)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestObjectJSON(t *testing.T) {
	t.Parallel()
	_, err := recordToProto(sdk.Record{ID: "r1", Values: map[string]any{"a": 1.0, "temp": math.NaN()}})
	require.EqualError(t, err, "record r1: value temp: number is not finite")
	b, err := objectJSON(nil)
	require.NoError(t, err)
	require.Empty(t, b)
	m, err := objectFromJSON(nil)
	require.NoError(t, err)
	require.Nil(t, m)
	_, err = recordFromProto(&pb.Record{Id: "r1", ValuesJson: []byte(`[1]`)})
	require.ErrorContains(t, err, "record r1: values:")
	_, err = recordFromProto(&pb.Record{Id: "r1", CustomerFieldsJson: []byte(`{`)})
	require.ErrorContains(t, err, "record r1: customer fields:")
	_, err = resultsFromProto([]*pb.RecordResult{{}, {ComputedJson: []byte(`"x"`)}})
	require.ErrorContains(t, err, "result 1: computed values:")
}

func TestTimeFromProto(t *testing.T) {
	t.Parallel()
	got, err := timeFromProto(nil)
	require.NoError(t, err)
	require.True(t, got.IsZero())
	require.Nil(t, timeToProto(time.Time{}))
	_, err = timeFromProto(&timestamppb.Timestamp{Seconds: math.MaxInt64})
	require.Error(t, err)
	_, err = recordFromProto(recordWithBadTime())
	require.ErrorContains(t, err, "record r1: planned at")
}

func TestManifestRoundTrip(t *testing.T) {
	t.Parallel()
	lo, hi := 34.0, 42.0
	m := sdk.Manifest{
		Name: "care", Version: "1.2.0", DisplayName: "訪問介護", Description: "記録",
		Templates: []sdk.Template{{
			Key: "care:visit", Name: "訪問", Description: "d", Confidential: true, TaxRounding: "round",
			Fields: []sdk.Field{
				{Key: "temp", Label: "体温", Type: "number", Required: true, Min: &lo, Max: &hi, Default: 36.5, Help: "h", Unit: "℃"},
				{Key: "kind", Label: "種類", Type: "select", Options: []string{"身体介護", "生活援助"}},
				{Key: "lines", Label: "明細", Type: "lines", Catalog: "menu"},
				{Key: "sold", Label: "販売", Type: "lines", TenantCatalog: true},
				{Key: "units", Label: "単位", Type: "integer"},
			},
			Aggregations: []sdk.Aggregation{{Key: "u", Label: "単位", Expr: "sum(units)", Unit: "単位"}},
			Catalogs: []sdk.Catalog{{Key: "menu", Name: "品目", Items: []sdk.CatalogItem{
				{Key: "a", Name: "醤油", Category: "ラーメン", Classification: "普通", UnitPrice: 800, TaxRate: 10},
			}}},
			Computed: []string{"units"},
		}},
		Masters:        []sdk.MasterItem{{Kind: "channel", Code: "care:visit", Label: "訪問", Parent: "p"}},
		CustomerFields: []sdk.CustomerField{{Key: "care:level", Label: "要介護度", Type: "select", Options: []string{"要支援1"}, Required: true}},
		EventKinds:     []string{sdk.EventRecordCreated},
	}
	for _, caps := range []Capabilities{{}, {Validate: true, Compute: true, Events: true, Notify: true}, {Compute: true}} {
		p, err := manifestToProto(m, caps)
		require.NoError(t, err)
		got, gotCaps, err := manifestFromProto(p)
		require.NoError(t, err)
		require.Equal(t, m, got)
		require.Equal(t, caps, gotCaps)
	}
	m.Templates[0].Fields[0].Default = math.Inf(-1)
	_, err := manifestToProto(m, Capabilities{})
	require.EqualError(t, err, "template care:visit: field temp: default: number is not finite")
	_, _, err = manifestFromProto(&pb.Manifest{Templates: []*pb.Template{{Key: "care:visit", Fields: []*pb.Field{{Key: "temp", DefaultJson: []byte("{")}}}}})
	require.ErrorContains(t, err, "template care:visit: field temp: default:")
}

func TestEventRoundTrip(t *testing.T) {
	t.Parallel()
	r := sdk.Record{ID: "r1", Values: map[string]any{"n": 1.0}}
	for name, e := range map[string]sdk.Event{
		"customer event": {ID: "e1", Kind: sdk.EventCustomerUpdated, Tenant: "t1",
			Customer: &sdk.Customer{ID: "c1", Name: "山田", Fields: map[string]any{"k": "v"}, Assignees: []string{"u1"}}},
		"record event": {ID: "e2", Kind: sdk.EventRecordCreated, Record: &r, MonthRecords: []sdk.Record{r, {ID: "r0"}}},
		"timer event": {ID: "e3", Kind: sdk.EventTimer, TimerKey: "absent:c1:r1",
			Customer: &sdk.Customer{ID: "c1"}, RecentRecords: []sdk.Record{r, {ID: "r0"}}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p, err := eventToProto(e)
			require.NoError(t, err)
			got, err := eventFromProto(p)
			require.NoError(t, err)
			if e.MonthRecords == nil {
				e.MonthRecords = []sdk.Record{}
			}
			if e.RecentRecords == nil {
				e.RecentRecords = []sdk.Record{}
			}
			require.Equal(t, e, got)
		})
	}
	_, err := eventToProto(sdk.Event{Customer: &sdk.Customer{ID: "c1", Fields: map[string]any{"x": math.NaN()}}})
	require.EqualError(t, err, "customer c1: value x: number is not finite")
}

func TestResultsAndNotificationsRoundTrip(t *testing.T) {
	t.Parallel()
	rs, err := resultsFromProto([]*pb.RecordResult{
		{},
		{Problems: []*pb.FieldProblem{{Field: "fields.temp", Code: "out_of_range", Param: "42"}, {Field: "fields.kind", Code: "required"}}},
		{ComputedJson: []byte(`{"units":3}`)},
	})
	require.NoError(t, err)
	require.Equal(t, []Result{
		{},
		{Problems: []sdk.FieldProblem{{Field: "fields.temp", Code: "out_of_range", Param: "42"}, {Field: "fields.kind", Code: "required"}}},
		{Computed: map[string]any{"units": 3.0}},
	}, rs)
	ns := []sdk.Notification{{Recipients: []string{"u1"}, Subject: "s", Body: "b", Key: "k"}, {}}
	require.Equal(t, ns, notificationsFromProto(notificationsToProto(ns)))
}

func TestEventResultRoundTrip(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 5, 1, 9, 30, 0, 0, time.UTC)
	for name, r := range map[string]sdk.EventResult{
		"notifications": {Notifications: []sdk.Notification{{Recipients: []string{"u1"}, Key: "k"}}},
		"timers": {Notifications: []sdk.Notification{},
			Timers: []sdk.Timer{{Key: "absent:c1:r1", At: at, Customer: "c1"}, {Key: "k2"}}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := eventResultFromProto(eventResultToProto(r))
			require.NoError(t, err)
			require.Equal(t, r, got)
		})
	}
	bad := &pb.HandleEventResponse{Timers: []*pb.Timer{{Key: "k", At: &timestamppb.Timestamp{Nanos: -1}}}}
	_, err := eventResultFromProto(bad)
	require.ErrorContains(t, err, "timer 0: at:")
}

func recordWithBadTime() *pb.Record {
	return &pb.Record{Id: "r1", PlannedAt: &timestamppb.Timestamp{Nanos: -1}}
}

// The encoder of the JSON form decodes to what encoding/json's output
// decodes to: escapes, invalid UTF-8, numbers of every magnitude.
func TestAppendJSONAgreesWithEncodingJSON(t *testing.T) {
	t.Parallel()
	values := []any{
		"", "plain", "quote\" backslash\\ slash/", "\x00\x01\x1f\t\n\r", "bad \xff\xfe utf-8 \xe3\x81", "日本語 <&> \u2028",
		0.0, math.Copysign(0, -1), 1.0, -36.5, 1e-7, 123456789012345678901234.0, 1e21, 5e-324, math.MaxFloat64, 0.1 + 0.2,
		true, false, nil,
		[]any{}, []any{"a", 1.0, nil, []any{map[string]any{"k\n": "v"}}},
		map[string]any{}, map[string]any{"a": map[string]any{"b": []any{1.0}}, "\xff": 2.0},
		3, int64(-7), []string{"x"}, map[string]int{"n": 1},
	}
	for i, v := range values {
		got, err := valueJSON(v)
		require.NoError(t, err, "%d: %#v", i, v)
		want, err := json.Marshal(v)
		require.NoError(t, err)
		var g, w any
		require.NoError(t, json.Unmarshal(got, &g), "%d: %s", i, got)
		require.NoError(t, json.Unmarshal(want, &w))
		require.Equal(t, w, g, "%d: %s vs %s", i, got, want)
	}
}
