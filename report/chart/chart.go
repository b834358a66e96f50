// Package chart renders the charts of Kiroku's reports on the server, with
// no JavaScript: SVG for web pages and PNG for PDFs.
//
// A chart is described by a Spec: its Kind (bar, line or stacked bar), a
// Title, the category Labels along the horizontal axis (periods such as
// "2026年4月", customers, select values) and one or more Series of values,
// one value per label. The same Spec renders as
//
//   - SVG (SVG): an image for a web page. The output carries role="img", an
//     aria-label and a <title> with the chart's title, so a screen reader
//     announces it; the values themselves belong in a table beside the
//     image, which Spec.Table builds (rows = labels, columns = series) for
//     the caller's template to render.
//   - PNG (PNG): a raster image for a PDF page. Text is drawn with the Font
//     the caller passes, which must cover Japanese (a TrueType font such as
//     BIZ UDGothic or IPAexGothic, parsed once with ParseFont); with a nil
//     Font the library's built-in Latin font is used and Japanese labels
//     come out as boxes.
//
// In SVG the text stays text: the browser draws it with its own fonts, so
// Japanese labels need no font from the server.
//
// A missing value (no record in that period) is math.NaN(): the chart
// leaves a gap and the table shows "—". Values are float64 because they are
// drawn; exact sums (yen) are computed by the report engine and only
// converted here, where integers up to 2^53 are represented exactly.
//
// The rendering is deterministic: the same Spec gives the same bytes, which
// is what the golden-file tests under testdata/ pin.
package chart

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"math"
	"strconv"
	"strings"

	charts "github.com/go-analyze/charts"
	"github.com/golang/freetype/truetype"

	"github.com/kirokuhq/kiroku/customer/validation"
)

// Kind is the shape of a chart.
type Kind string

// The kinds of chart.
const (
	// Bar draws the series as bars side by side per label.
	Bar Kind = "bar"
	// Line draws each series as a line over the labels (values over time).
	Line Kind = "line"
	// StackedBar draws the series stacked into one bar per label, so the
	// bar's height is their total (net and tax per rate making the gross).
	StackedBar Kind = "stacked_bar"
)

// Default size of a chart in pixels, used when Spec.Width or Spec.Height is 0.
const (
	DefaultWidth  = 600
	DefaultHeight = 400
)

// Spec describes one chart.
type Spec struct {
	// Kind is the shape of the chart: Bar, Line or StackedBar. Required.
	Kind Kind
	// Title is drawn above the chart and is its accessible name (the SVG's
	// <title> and aria-label, the table's caption). Required.
	Title string
	// Labels are the categories along the horizontal axis, in order. At
	// least one is required.
	Labels []string
	// Series are the data, at least one; each has one value per label.
	Series []Series
	// Unit, if set, is appended to every value in the table (e.g. "円",
	// "分") and shown as the title of the value axis.
	Unit string
	// Width and Height are the image size in pixels; 0 means DefaultWidth
	// and DefaultHeight. SVG scales to its container in a web page, so the
	// size there sets the aspect ratio and text size.
	Width, Height int
}

// Series is one named row of values.
type Series struct {
	// Name names the series in the legend and the table's column header.
	Name string
	// Values holds one value per Spec.Labels entry; math.NaN() marks a
	// missing value.
	Values []float64
}

// Table is the data of a chart as a table, for the caller to render beside
// the image (the accessible form of the chart's values).
type Table struct {
	// Caption is the chart's title.
	Caption string
	// Columns are the column headers: an empty header for the label column,
	// then one per series (with the unit in parentheses when Spec.Unit is set).
	Columns []string
	// Rows has one row per label, in the order of Spec.Labels.
	Rows []TableRow
}

// TableRow is one label's values.
type TableRow struct {
	// Label is the category (period, customer, …).
	Label string
	// Cells are the formatted values, one per series ("—" for a missing one).
	Cells []string
}

// Font is a parsed TrueType font for PNG output. It is safe for concurrent
// use; parse a font once and reuse it.
type Font struct {
	f *truetype.Font
}

// ParseFont parses TrueType font data (a .ttf file, or the first font of a
// .ttc collection with TrueType outlines). Fonts with CFF outlines (most .otf
// files) are not supported.
func ParseFont(data []byte) (*Font, error) {
	f, err := truetype.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("chart: parse font: %w", err)
	}
	return &Font{f: f}, nil
}

// Validate reports what is wrong with the spec as a *validation.Error
// naming each field ("kind", "title", "labels", "series[1].values" …), or nil.
func (s Spec) Validate() error {
	var ve validation.Error
	switch s.Kind {
	case Bar, Line, StackedBar:
	case "":
		ve.Add("kind", validation.CodeRequired, "")
	default:
		ve.Add("kind", validation.CodeUnknown, string(s.Kind))
	}
	if strings.TrimSpace(s.Title) == "" {
		ve.Add("title", validation.CodeRequired, "")
	}
	if len(s.Labels) == 0 {
		ve.Add("labels", validation.CodeRequired, "")
	}
	if len(s.Series) == 0 {
		ve.Add("series", validation.CodeRequired, "")
	}
	for i, sr := range s.Series {
		if len(sr.Values) != len(s.Labels) {
			ve.Add(fmt.Sprintf("series[%d].values", i), validation.CodeOutOfRange, strconv.Itoa(len(s.Labels)))
		}
		for _, v := range sr.Values {
			if math.IsInf(v, 0) {
				ve.Add(fmt.Sprintf("series[%d].values", i), validation.CodeFormat, "")
				break
			}
		}
	}
	if s.Width < 0 {
		ve.Add("width", validation.CodeOutOfRange, "0..")
	}
	if s.Height < 0 {
		ve.Add("height", validation.CodeOutOfRange, "0..")
	}
	return ve.Err()
}

// Table returns the spec's values as a table: one row per label, one
// column per series, values formatted by FormatValue.
func (s Spec) Table() Table {
	t := Table{Caption: s.Title, Columns: make([]string, 0, len(s.Series)+1)}
	t.Columns = append(t.Columns, "")
	for _, sr := range s.Series {
		name := sr.Name
		if s.Unit != "" {
			name += "（" + s.Unit + "）"
		}
		t.Columns = append(t.Columns, name)
	}
	for i, l := range s.Labels {
		row := TableRow{Label: l, Cells: make([]string, len(s.Series))}
		for j, sr := range s.Series {
			row.Cells[j] = "—"
			if i < len(sr.Values) && !math.IsNaN(sr.Values[i]) {
				row.Cells[j] = FormatValue(sr.Values[i])
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// FormatValue formats a value the way tables and axes show it: integers with
// thousands separators ("1,234,567", "-500"), other values rounded to at most
// two decimals ("12.5", "0.33").
func FormatValue(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	neg := v < 0
	if neg {
		v = -v
	}
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if neg && s != "0" {
		b.WriteByte('-')
	}
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// SVG writes the chart as an SVG document with role="img", an aria-label
// and a <title> holding the spec's title.
func SVG(w io.Writer, s Spec) error {
	out, err := render(s, charts.ChartOutputSVG, nil)
	if err != nil {
		return err
	}
	out, err = accessibleSVG(out, s.Title)
	if err != nil {
		return err
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("chart: write svg: %w", err)
	}
	return nil
}

// PNG writes the chart as a PNG image, its text drawn with font (nil: the
// built-in Latin font, which has no Japanese glyphs).
func PNG(w io.Writer, s Spec, font *Font) error {
	var tf *truetype.Font
	if font != nil {
		tf = font.f
	}
	out, err := render(s, charts.ChartOutputPNG, tf)
	if err != nil {
		return err
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("chart: write png: %w", err)
	}
	return nil
}

// Below narrowWidth pixels (a phone), axis labels use a smaller size so
// that more of them fit.
const (
	narrowWidth     = 500
	narrowLabelSize = 9
)

func render(s Spec, format string, font *truetype.Font) ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	width, height := s.Width, s.Height
	if width == 0 {
		width = DefaultWidth
	}
	if height == 0 {
		height = DefaultHeight
	}
	values := make([][]float64, len(s.Series))
	names := make([]string, len(s.Series))
	for i, sr := range s.Series {
		names[i] = sr.Name
		values[i] = make([]float64, len(sr.Values))
		for j, v := range sr.Values {
			if math.IsNaN(v) {
				v = charts.GetNullValue()
			}
			values[i][j] = v
		}
	}
	p := charts.NewPainter(charts.PainterOptions{
		OutputFormat: format,
		Width:        width,
		Height:       height,
		Font:         font,
	})
	fontStyle := charts.FontStyle{Font: font}
	title := charts.TitleOption{Text: s.Title, FontStyle: fontStyle}
	legend := charts.LegendOption{SeriesNames: names, FontStyle: fontStyle, Offset: charts.OffsetStr{Top: charts.PositionBottom}}
	if len(s.Series) == 1 {
		legend.Show = charts.Ptr(false)
	}
	labelStyle := fontStyle
	if width < narrowWidth {
		labelStyle.FontSize = narrowLabelSize
	}
	xAxis := charts.XAxisOption{Labels: s.Labels, LabelFontStyle: labelStyle}
	yAxis := charts.YAxisOption{Title: s.Unit, LabelFontStyle: fontStyle, TitleFontStyle: fontStyle}
	var err error
	switch s.Kind {
	case Line:
		opt := charts.NewLineChartOptionWithData(values)
		opt.Title, opt.Legend, opt.XAxis = title, legend, xAxis
		opt.YAxis = []charts.YAxisOption{yAxis}
		opt.ValueFormatter = FormatValue
		err = p.LineChart(opt)
	default:
		opt := charts.NewBarChartOptionWithData(values)
		opt.Title, opt.Legend, opt.CategoryAxis = title, legend, xAxis
		opt.ValueAxis = []charts.ValueAxisOption{yAxis}
		opt.ValueFormatter = FormatValue
		if s.Kind == StackedBar {
			opt.StackSeries = charts.Ptr(true)
		}
		if !hasNegative(s.Series) {
			// A bar's length is its value: the axis starts at zero.
			opt.ValueAxis[0].Min = charts.Ptr(0.0)
		}
		err = p.BarChart(opt)
	}
	if err != nil {
		return nil, fmt.Errorf("chart: render %s: %w", s.Kind, err)
	}
	out, err := p.Bytes()
	if err != nil {
		return nil, fmt.Errorf("chart: encode %s: %w", format, err)
	}
	return out, nil
}

func hasNegative(series []Series) bool {
	for _, sr := range series {
		for _, v := range sr.Values {
			if v < 0 {
				return true
			}
		}
	}
	return false
}

// accessibleSVG gives the document its accessible name: role="img" and an
// aria-label on the root element, and a <title> as its first child.
func accessibleSVG(doc []byte, title string) ([]byte, error) {
	start := bytes.Index(doc, []byte("<svg"))
	if start < 0 {
		return nil, fmt.Errorf("chart: render svg: no <svg> element")
	}
	end := bytes.IndexByte(doc[start:], '>')
	if end < 0 {
		return nil, fmt.Errorf("chart: render svg: unterminated <svg> element")
	}
	end += start
	esc := html.EscapeString(title)
	var b bytes.Buffer
	b.Grow(len(doc) + 2*len(esc) + 64)
	b.Write(doc[:end])
	b.WriteString(` role="img" aria-label="` + esc + `">`)
	b.WriteString("<title>" + esc + "</title>")
	b.Write(doc[end+1:])
	return b.Bytes(), nil
}
