package chart_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kirokuhq/kiroku/report/pdf/font/bizud"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/report/chart"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func months() []string {
	return []string{"2026年1月", "2026年2月", "2026年3月", "2026年4月"}
}

func specs() map[string]chart.Spec {
	return map[string]chart.Spec{
		"bar": {
			Kind: chart.Bar, Title: "月別 売上（税込）", Labels: months(), Unit: "円",
			Series: []chart.Series{{Name: "売上", Values: []float64{120000, 98500, math.NaN(), 143210}}},
		},
		"line": {
			Kind: chart.Line, Title: "血圧の推移", Labels: months(),
			Series: []chart.Series{
				{Name: "最高", Values: []float64{132, 128, 141, 125}},
				{Name: "最低", Values: []float64{84, 80, math.NaN(), 78}},
			},
		},
		"stacked_bar": {
			Kind: chart.StackedBar, Title: "税率別 売上", Labels: months(), Unit: "円", Width: 390, Height: 300,
			Series: []chart.Series{
				{Name: "10%対象", Values: []float64{80000, 60000, 70000, 90000}},
				{Name: "8%対象", Values: []float64{40000, 38500, 35000, 53210}},
			},
		},
	}
}

func TestSVGGolden(t *testing.T) {
	t.Parallel()
	for name, spec := range specs() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			require.NoError(t, chart.SVG(&buf, spec))
			golden := filepath.Join("testdata", name+".svg")
			if *update {
				require.NoError(t, os.WriteFile(golden, buf.Bytes(), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			require.Equal(t, string(want), buf.String(), "rerun with -update after checking the change")
		})
	}
}

func TestSVGIsAccessibleXML(t *testing.T) {
	t.Parallel()
	spec := specs()["bar"]
	spec.Title = `売上 <A&B> "月別"`
	var buf bytes.Buffer
	require.NoError(t, chart.SVG(&buf, spec))

	var doc struct {
		XMLName xml.Name
		Role    string `xml:"role,attr"`
		Label   string `xml:"aria-label,attr"`
		Title   string `xml:"title"`
	}
	require.NoError(t, xml.Unmarshal(buf.Bytes(), &doc), "the SVG is well-formed XML")
	require.Equal(t, "svg", doc.XMLName.Local)
	require.Equal(t, "img", doc.Role)
	require.Equal(t, spec.Title, doc.Label)
	require.Equal(t, spec.Title, doc.Title)
	// Japanese labels stay text in the SVG.
	for _, l := range spec.Labels {
		require.Contains(t, buf.String(), l)
	}
}

func TestTable(t *testing.T) {
	t.Parallel()
	tbl := specs()["bar"].Table()
	require.Equal(t, chart.Table{
		Caption: "月別 売上（税込）",
		Columns: []string{"", "売上（円）"},
		Rows: []chart.TableRow{
			{Label: "2026年1月", Cells: []string{"120,000"}},
			{Label: "2026年2月", Cells: []string{"98,500"}},
			{Label: "2026年3月", Cells: []string{"—"}},
			{Label: "2026年4月", Cells: []string{"143,210"}},
		},
	}, tbl)
}

func TestFormatValue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0, "0"}, {7, "7"}, {999, "999"}, {1000, "1,000"}, {1234567, "1,234,567"},
		{-500, "-500"}, {-1234, "-1,234"}, {12.5, "12.5"}, {1.0 / 3, "0.33"},
		{-0.001, "0"}, {9007199254740992, "9,007,199,254,740,992"}, {math.NaN(), "—"},
	} {
		require.Equal(t, tc.want, chart.FormatValue(tc.in), "%v", tc.in)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	err := chart.SVG(&buf, chart.Spec{
		Kind: "pie", Labels: []string{"a", "b"}, Width: -1,
		Series: []chart.Series{{Name: "x", Values: []float64{1}}, {Name: "y", Values: []float64{1, math.Inf(1)}}},
	})
	require.ErrorIs(t, err, validation.ErrInvalid)
	var ve *validation.Error
	require.True(t, errors.As(err, &ve))
	require.True(t, ve.Has("kind", validation.CodeUnknown))
	require.True(t, ve.Has("title", validation.CodeRequired))
	require.True(t, ve.Has("series[0].values", validation.CodeOutOfRange))
	require.True(t, ve.Has("series[1].values", validation.CodeFormat))
	require.True(t, ve.Has("width", validation.CodeOutOfRange))
	require.Zero(t, buf.Len(), "nothing is written for an invalid spec")

	ve = nil
	require.True(t, errors.As(chart.Spec{}.Validate(), &ve))
	require.True(t, ve.Has("kind", validation.CodeRequired))
	require.True(t, ve.Has("labels", validation.CodeRequired))
	require.True(t, ve.Has("series", validation.CodeRequired))
}

// japaneseFont is BIZ UDGothic from report/pdf/font/bizud (always there:
// the test never depends on the machine's fonts).
func japaneseFont(t *testing.T) *chart.Font {
	t.Helper()
	f, err := chart.ParseFont(bizud.Regular())
	require.NoError(t, err)
	return f
}

func TestPNG(t *testing.T) {
	t.Parallel()
	font := japaneseFont(t)
	for name, spec := range specs() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var withFont, latin bytes.Buffer
			require.NoError(t, chart.PNG(&withFont, spec, font))
			require.NoError(t, chart.PNG(&latin, spec, nil))
			img, err := png.Decode(bytes.NewReader(withFont.Bytes()))
			require.NoError(t, err)
			w, h := spec.Width, spec.Height
			if w == 0 {
				w, h = chart.DefaultWidth, chart.DefaultHeight
			}
			require.Equal(t, w, img.Bounds().Dx())
			require.Equal(t, h, img.Bounds().Dy())
			require.NotEqual(t, latin.Bytes(), withFont.Bytes(), "the font given is the one drawing the text")
			if dir := os.Getenv("KIROKU_CHART_PNG_DIR"); dir != "" {
				require.NoError(t, os.WriteFile(filepath.Join(dir, name+".png"), withFont.Bytes(), 0o644))
			}
		})
	}
}

func TestParseFontRejectsGarbage(t *testing.T) {
	t.Parallel()
	_, err := chart.ParseFont([]byte(strings.Repeat("x", 64)))
	require.Error(t, err)
}
