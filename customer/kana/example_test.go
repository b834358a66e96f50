package kana_test

import (
	"fmt"
	"log"

	"github.com/kirokuhq/kiroku/customer/kana"
)

func Example() {
	// Build the suggester once: the first New loads the dictionary.
	s, err := kana.New()
	if err != nil {
		log.Fatal(err)
	}
	for _, name := range [][2]string{{"鈴木", "一郎"}, {"髙橋", "花子"}, {"佐藤", "さくら"}, {"Smith", "John"}} {
		r, ok := s.Suggest(name[0], name[1])
		if !ok {
			fmt.Println(name[0], name[1], "→ no suggestion")
			continue
		}
		fmt.Println(name[0], name[1], "→", r.Family, r.Given, r.FamilyConfidence, r.GivenConfidence)
	}
	// Output:
	// 鈴木 一郎 → スズキ イチロウ name name
	// 髙橋 花子 → タカハシ ハナコ name name
	// 佐藤 さくら → サトウ サクラ name written
	// Smith John → no suggestion
}
