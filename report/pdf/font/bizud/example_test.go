package bizud_test

import (
	"fmt"
	"strings"

	"github.com/kirokuhq/kiroku/report/pdf/font/bizud"
)

func Example() {
	font := bizud.Regular()
	fmt.Println(string(font[:4]) == "\x00\x01\x00\x00") // a TrueType outline font
	fmt.Println(strings.Contains(bizud.License, "SIL OPEN FONT LICENSE Version 1.1"))
	// Output:
	// true
	// true
}
