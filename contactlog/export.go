package contactlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/textnorm"
)

// ExportPageSize is how many records Export hands over at a time.
const ExportPageSize = 200

// Export reads every record matching q that the principal may see, for a
// bulk read such as a CSV download, and hands them to page a page at a
// time (at most ExportPageSize records, in q's order; q's Limit, After,
// WithTotal, ExactTotal and Deleted are ignored). Private memos are withheld as
// everywhere else (Record.PrivateMemoWithheld).
//
// Exporting is for staff other than partners (permission.ActionExport on a
// record list): others get ErrPermissionDenied before anything is read.
// Every export is written to the audit log with the principal, the time,
// the filter (of Text only the number of terms: the log holds no personal
// data) and the number of records read — also when page ends it early
// with an error, which Export then returns (wrapped) with the records read
// so far.
func (s *Service) Export(ctx context.Context, q Query, page func([]Record) error) (int, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return 0, err
	}
	if err := s.authz.Check(ctx, pr, permission.ActionExport, &permission.RecordObject{Tenant: pr.Tenant}); err != nil {
		return 0, fmt.Errorf("contactlog: export: %w", err)
	}
	q.Limit, q.After, q.WithTotal, q.ExactTotal, q.Deleted = min(ExportPageSize, s.cfg.MaxPageSize), "", false, false, false
	logged := q
	logged.Text, logged.Limit = "", 0
	filter, err := json.Marshal(logged)
	if err != nil {
		return 0, fmt.Errorf("contactlog: export: %w", err)
	}
	terms := len(textnorm.Terms(q.Text))
	n := 0
	err = func() error {
		for {
			p, err := s.search(ctx, pr, &q)
			if err != nil {
				return err
			}
			n += len(p.Records)
			if len(p.Records) > 0 {
				if err := page(p.Records); err != nil {
					return err
				}
			}
			if p.Next == "" {
				return nil
			}
			q.After = p.Next
		}
	}()
	audit := s.audit(ctx, s.db, pr, string(permission.ActionExport), "record", uuid.Nil, fmt.Sprintf("rows=%d terms=%d filter=%s", n, terms, filter))
	if err = errors.Join(err, audit); err != nil {
		return n, fmt.Errorf("contactlog: export: %w", err)
	}
	return n, nil
}
