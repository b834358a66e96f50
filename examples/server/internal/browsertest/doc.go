// Package browsertest drives the example server's pages with a real browser
// (Chromium through chromedp) at a 390×844 mobile viewport: logging in,
// registering a customer, recording a visit with a photo, finding it by a
// hiragana search, and importing a Shift_JIS CSV with a bad row. The tests
// save a screenshot of every step, and report a page wider than the phone and
// every console error (a CSP violation such as an inline style or script, a
// script exception).
//
// The tests look for Chromium in $KIROKU_CHROMIUM, then chromium,
// chromium-browser, google-chrome and headless-shell on PATH. Without one they
// skip, unless KIROKU_REQUIRE_BROWSER is set (CI sets it), in which case they
// fail. Screenshots go to $KIROKU_SCREENSHOTS/<test name>/ when that is set,
// else to the test's artifact directory (kept with
// go test -artifacts -outputdir DIR, which must exist); the test log names
// every file. A failing step also saves the page's HTML next to its screenshot.
package browsertest
