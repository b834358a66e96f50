package chart_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/kirokuhq/kiroku/report/chart"
)

// A chart of monthly sales as SVG for a web page, with its values as the
// table rendered beside it.
func Example() {
	spec := chart.Spec{
		Kind:   chart.Bar,
		Title:  "月別 売上",
		Labels: []string{"2026年4月", "2026年5月"},
		Unit:   "円",
		Series: []chart.Series{{Name: "売上", Values: []float64{128000, 1534500}}},
	}
	var svg strings.Builder
	if err := chart.SVG(&svg, spec); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	fmt.Println(strings.Contains(svg.String(), "<title>月別 売上</title>"))

	t := spec.Table()
	fmt.Println(t.Caption, t.Columns)
	for _, r := range t.Rows {
		fmt.Println(r.Label, r.Cells)
	}
	// Output:
	// true
	// 月別 売上 [ 売上（円）]
	// 2026年4月 [128,000]
	// 2026年5月 [1,534,500]
}
