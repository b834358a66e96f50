package web

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/internal/kerr"
)

// adminRankRow is a customer rank on the form, with its position (1-based).
type adminRankRow struct {
	customer.Rank
	Order int
}

type adminRanksPage struct {
	Ranks []adminRankRow
	Form  *Form
}

func (u *UI) renderRanks(w http.ResponseWriter, r *Request, status int, ranks []customer.Rank, f *Form) {
	p := &adminRanksPage{Form: f}
	for i, rk := range ranks {
		p.Ranks = append(p.Ranks, adminRankRow{Rank: rk, Order: i + 1})
	}
	u.render(w, r.Request, r, status, "admin_ranks", p)
}

func (u *UI) adminRanks(w http.ResponseWriter, r *Request) error {
	ranks, err := u.app.Customers.Ranks(r.Context())
	if err != nil {
		return err
	}
	u.renderRanks(w, r, http.StatusOK, ranks, NewForm(nil))
	return nil
}

// adminRanksPost saves the ranks: "code", "label" and "order" are aligned
// lists, one entry per rank, sorted by "order" (ties keep the form's
// order); "remove" lists codes to drop, and "new_code", "new_label" add a
// rank at the end.
func (u *UI) adminRanksPost(w http.ResponseWriter, r *Request) error {
	f := NewForm(r.PostForm)
	codes, labels, orders := f.Values["code"], f.Values["label"], f.Values["order"]
	if len(labels) != len(codes) || len(orders) != len(codes) {
		return kerr.ErrInvalid
	}
	rows := make([]adminRankRow, 0, len(codes))
	for i, code := range codes {
		if f.Has("remove", code) {
			continue
		}
		row := adminRankRow{Rank: customer.Rank{Code: code, Label: strings.TrimSpace(labels[i])}, Order: i + 1}
		if n, err := strconv.Atoi(strings.TrimSpace(orders[i])); err == nil {
			row.Order = n
		}
		rows = append(rows, row)
	}
	slices.SortStableFunc(rows, func(a, b adminRankRow) int { return cmp.Compare(a.Order, b.Order) })
	ranks := make([]customer.Rank, 0, len(rows)+1)
	for _, row := range rows {
		ranks = append(ranks, row.Rank)
	}
	kept := len(ranks)
	if code, label := strings.TrimSpace(f.Get("new_code")), strings.TrimSpace(f.Get("new_label")); code != "" || label != "" {
		ranks = append(ranks, customer.Rank{Code: code, Label: label})
	}
	err := u.app.Customers.SetRanks(r.Context(), ranks)
	added := fmt.Sprintf("ranks[%d].", kept)
	if f.AddError(err, map[string]string{added + "code": "new_code", added + "label": "new_label"}) {
		u.renderRanks(w, r, http.StatusUnprocessableEntity, ranks[:kept], f)
		return nil
	}
	if err != nil {
		return err
	}
	redirect(w, r.Request, "/admin/ranks", "common.saved")
	return nil
}
