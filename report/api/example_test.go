package api_test

import (
	"fmt"

	"github.com/kirokuhq/kiroku/report"
	"github.com/kirokuhq/kiroku/report/api"
)

// The routes to pass as contactlog/api.Options.Extra (given the report
// service an application built).
func Example() {
	var reports *report.Service // report.NewService(db, cfg)
	for _, r := range api.Routes(reports) {
		fmt.Println(r.Method, r.Path)
	}
	// Output:
	// POST /v1/reports/aggregate
	// POST /v1/reports/export
	// GET /v1/customers/{id}/charts
}
