package web

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/date"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
)

// fieldValue is one template value of a record as the record page shows it.
type fieldValue struct {
	Label string
	Text  string
	Long  bool
}

// renderValues lists the template's fields that have a value on the record,
// in the template's order, formatted for reading.
func renderValues(t *template.Template, values map[string]any, loc *time.Location) []fieldValue {
	var out []fieldValue
	for _, f := range t.Fields {
		v, ok := values[f.Key]
		if !ok || v == nil {
			continue
		}
		s := displayValue(f, v, loc)
		if s == "" {
			continue
		}
		out = append(out, fieldValue{Label: f.Label, Text: s, Long: f.Type == template.FieldLongText})
	}
	return out
}

// displayValue formats one value (canonical or JSON-decoded) of field f.
func displayValue(f template.Field, v any, loc *time.Location) string {
	switch f.Type {
	case template.FieldBoolean:
		if b, ok := v.(bool); ok {
			if b {
				return msg.T("common.yes")
			}
			return msg.T("common.no")
		}
	case template.FieldDuration:
		if n, ok := number(v); ok {
			return msg.T("records.minutes", int64(n))
		}
	case template.FieldMoney:
		if n, ok := number(v); ok {
			return msg.T("records.yen", groupDigits(int64(n)))
		}
	case template.FieldDateTime:
		if t, ok := timeValue(v); ok {
			lt := inZone(t, loc)
			return lt.Format("2006/01/02") + "(" + weekday(lt) + ") " + lt.Format("15:04")
		}
	case template.FieldDate:
		if d, err := date.Parse(fmt.Sprint(dateString(v))); err == nil {
			t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
			return t.Format("2006/01/02") + "(" + weekday(t) + ")"
		}
	case template.FieldMultiSelect:
		if l, ok := v.([]any); ok {
			parts := make([]string, len(l))
			for i, x := range l {
				parts[i] = fmt.Sprint(x)
			}
			return strings.Join(parts, "、")
		}
		if l, ok := v.([]string); ok {
			return strings.Join(l, "、")
		}
	case template.FieldLines:
		var lines template.Lines
		if b, err := json.Marshal(v); err == nil && json.Unmarshal(b, &lines) == nil {
			return msg.T("records.lines_total", len(lines.Items), groupDigits(lines.Total))
		}
	case template.FieldNumber, template.FieldInteger:
		if n, ok := number(v); ok {
			s := strconv.FormatFloat(n, 'f', -1, 64)
			if f.Unit != "" {
				s += f.Unit
			}
			return s
		}
	}
	return inputValue(f, v, loc)
}

// inputValue is v as the edit form's input holds it.
func inputValue(f template.Field, v any, loc *time.Location) string {
	switch f.Type {
	case template.FieldDateTime:
		if t, ok := timeValue(v); ok {
			return inZone(t, loc).Format("2006-01-02T15:04")
		}
	case template.FieldDate:
		return dateString(v)
	}
	if n, ok := number(v); ok {
		return strconv.FormatFloat(n, 'f', -1, 64)
	}
	if b, ok := v.(bool); ok {
		return strconv.FormatBool(b)
	}
	return fmt.Sprint(v)
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func timeValue(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t, true
	case string:
		p, err := time.Parse(time.RFC3339, t)
		return p, err == nil
	}
	return time.Time{}, false
}

func dateString(v any) string {
	switch d := v.(type) {
	case date.Date:
		return d.String()
	case *date.Date:
		return d.String()
	}
	return fmt.Sprint(v)
}

// groupDigits writes n with thousands separators: 1234567 → 1,234,567.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
