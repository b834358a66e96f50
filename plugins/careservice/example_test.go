package careservice_test

import (
	"context"
	"fmt"
	"log"

	"github.com/kirokuhq/kiroku/plugins/careservice"
	"github.com/kirokuhq/kiroku/plugins/plugintest"
	"github.com/kirokuhq/kiroku/plugins/sdk"
)

// The plugin computes a visit's units, and refuses 生活援助 under 20
// minutes (Param: the minimum), called over gRPC as the host calls it.
// Values arrive in their stored JSON form: times are RFC 3339.
func Example() {
	p, err := plugintest.Start(careservice.Opts())
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	visit := func(service, start, end string) sdk.Record {
		return sdk.Record{ID: "r1", Tenant: "t1", Template: careservice.TemplateVisit, TemplateVersion: 1,
			Values: map[string]any{"service_type": service, "start": start, "end": end}}
	}
	records := []sdk.Record{
		visit(careservice.PhysicalCare, "2026-11-02T10:00:00+09:00", "2026-11-02T11:30:00+09:00"),
		visit(careservice.HouseholdHelp, "2026-11-02T14:00:00+09:00", "2026-11-02T14:15:00+09:00"),
	}
	ctx := context.Background()
	units, err := p.ComputeRecords(ctx, records)
	if err != nil {
		log.Fatal(err)
	}
	problems, err := p.ValidateRecords(ctx, records)
	if err != nil {
		log.Fatal(err)
	}
	for i := range records {
		fmt.Println(records[i].Values["service_type"], units[i], problems[i])
	}
	// Output:
	// 身体介護 map[units:650] []
	// 生活援助 map[] [{fields.service_type not_allowed 20}]
}
