package pdf

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/date"
)

var weekdays = [...]string{"日", "月", "火", "水", "木", "金", "土"}

// jpDate formats a day as 「2026年12月05日(土)」.
func jpDate(t time.Time) string {
	return fmt.Sprintf("%d年%02d月%02d日(%s)", t.Year(), t.Month(), t.Day(), weekdays[t.Weekday()])
}

// jpDateTime formats a time as 「2026年12月05日(土) 14:30」.
func jpDateTime(t time.Time) string { return jpDate(t) + " " + t.Format("15:04") }

// yen formats an amount as ¥1,234.
func yen(n int64) string {
	if n < 0 {
		return "-¥" + groupDigits(-n)
	}
	return "¥" + groupDigits(n)
}

func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// fieldRow is one template value as the PDF's table shows it.
type fieldRow struct{ Label, Text string }

// fieldRows formats the values of a record's template fields in the
// template's order, skipping fields without a value. Values are first
// normalized by the template (money to int64, dates to date.Date, …);
// a value the template no longer accepts is shown as stored. staff names
// the staff users of staff fields.
func fieldRows(t *template.Template, values map[string]any, loc *time.Location, staff func(uuid.UUID) string) []fieldRow {
	if len(values) == 0 {
		return nil
	}
	if norm, err := t.Validate(values, loc); err == nil {
		values = norm
	}
	var rows []fieldRow
	for _, f := range t.Fields {
		v, ok := values[f.Key]
		if !ok || v == nil {
			continue
		}
		if s := formatValue(f, v, loc, staff); s != "" {
			rows = append(rows, fieldRow{Label: f.Label, Text: s})
		}
	}
	return rows
}

func formatValue(f template.Field, v any, loc *time.Location, staff func(uuid.UUID) string) string {
	switch x := v.(type) {
	case bool:
		if x {
			return "はい"
		}
		return "いいえ"
	case date.Date:
		if x.IsZero() {
			return ""
		}
		return jpDate(x.Time(time.UTC))
	case time.Time:
		return jpDateTime(x.In(loc))
	case []string:
		return strings.Join(x, "、")
	case template.Lines:
		return formatLines(x)
	case uuid.UUID:
		if f.Type == template.FieldStaff && staff != nil {
			return staff(x)
		}
		return ""
	}
	switch f.Type {
	case template.FieldMoney:
		if n, ok := template.NumericValue(v); ok {
			return yen(int64(n))
		}
	case template.FieldDuration:
		if n, ok := template.NumericValue(v); ok {
			return formatMinutes(int64(n))
		}
	case template.FieldNumber, template.FieldInteger:
		if n, ok := template.NumericValue(v); ok {
			return strconv.FormatFloat(n, 'f', -1, 64) + f.Unit
		}
	}
	return fmt.Sprint(v)
}

func formatMinutes(m int64) string {
	switch {
	case m < 60:
		return fmt.Sprintf("%d分", m)
	case m%60 == 0:
		return fmt.Sprintf("%d時間", m/60)
	}
	return fmt.Sprintf("%d時間%d分", m/60, m%60)
}

// formatLines lists catalog lines, one a line, and the totals.
func formatLines(l template.Lines) string {
	var b strings.Builder
	for _, it := range l.Items {
		fmt.Fprintf(&b, "%s × %s = %s\n", it.Name, strconv.FormatFloat(it.Quantity, 'f', -1, 64), yen(it.Subtotal))
	}
	fmt.Fprintf(&b, "小計 %s / 消費税 %s / 合計 %s", yen(l.Subtotal), yen(l.Tax), yen(l.Total))
	return b.String()
}

// sizeText formats a file size for the list of files, e.g. "1.2 MB".
func sizeText(n int64) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 0, 64) + " KB"
	}
	return strconv.FormatInt(n, 10) + " B"
}
