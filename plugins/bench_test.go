package plugins

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog"
)

// BenchmarkValidateCompute100 validates and computes a batch of 100
// records through the test plugin's process (one CheckRecords call, as the
// record engine makes) and reports the median (p50-ms/batch) besides the
// mean.
func BenchmarkValidateCompute100(b *testing.B) {
	h, tenant := installedHost(b, Config{}, "visit")
	records := make([]contactlog.PluginRecord, 100)
	for i := range records {
		records[i] = contactlog.PluginRecord{
			ID: uuid.Must(uuid.NewV7()), Tenant: tenant, Template: "visit:log", TemplateVersion: 1,
			ActualAt: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC), Values: map[string]any{"minutes": float64(i), "note": "入浴介助"},
		}
	}
	ctx := context.Background()
	var times []time.Duration
	for b.Loop() {
		start := time.Now()
		results, err := h.CheckRecords(ctx, "visit", records)
		if err != nil || len(results) != len(records) || results[len(records)-1].Computed["units"] != 4.0 {
			b.Fatal(err, results)
		}
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms/batch")
}
