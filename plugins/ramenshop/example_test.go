package ramenshop_test

import (
	"context"
	"fmt"
	"log"

	"github.com/kirokuhq/kiroku/plugins/plugintest"
	"github.com/kirokuhq/kiroku/plugins/ramenshop"
	"github.com/kirokuhq/kiroku/plugins/sdk"
)

// The plugin computes a take-out order's receipt: the ramen at the
// reduced rate of 8%, the beer at 10%, each rate's tax rounded down once.
// Lines arrive as the record engine stores them, with the menu's price.
func Example() {
	p, err := plugintest.Start(ramenshop.Opts())
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	line := func(item string, quantity, price, rate float64) map[string]any {
		return map[string]any{"item": item, "quantity": quantity, "unit_price": price, "tax_rate": rate}
	}
	order := sdk.Record{ID: "o1", Tenant: "t1", Template: ramenshop.TemplateOrder, TemplateVersion: 1,
		Values: map[string]any{"dining": "持ち帰り", "lines": []any{
			line("shoyu-large", 1, 950, 8),
			line("beer", 2, 550, 10),
		}}}
	ctx := context.Background()
	problems, err := p.ValidateRecords(ctx, []sdk.Record{order})
	if err != nil {
		log.Fatal(err)
	}
	totals, err := p.ComputeRecords(ctx, []sdk.Record{order})
	if err != nil {
		log.Fatal(err)
	}
	t := totals[0]
	fmt.Println(problems[0])
	fmt.Println("小計", t["subtotal"], "消費税10%", t["tax_10"], "消費税8%", t["tax_8"], "合計", t["total"])
	// Output:
	// []
	// 小計 2050 消費税10% 110 消費税8% 76 合計 2236
}
