package api

import (
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/google/uuid"

	capi "github.com/kirokuhq/kiroku/contactlog/api"
	"github.com/kirokuhq/kiroku/contactlog/catalog"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/report"
)

var encodingParam = capi.Param{Name: "encoding", In: "query", Type: "string", Description: "utf-8-bom (default) | shift_jis"}

// MaxCatalogImport caps a catalog CSV import request.
const MaxCatalogImport = catalog.MaxImportBytes

// SalesRoutes returns the routes of the sales analyses (売上データ分析,
// 会計一覧, 利用総額, an item's buyers) and of the expense calculation
// (交通費計算), to pass as contactlog/api.Options.Extra:
//
//	POST /v1/reports/sales              sales per period, category and item (report.SalesQuery → report.Sales)
//	POST /v1/reports/accounts           the accounting list (report.AccountsQuery → report.Accounts)
//	GET  /v1/customers/{id}/usage       a customer's lifetime total and items (report.Usage)
//	GET  /v1/catalog/items/{id}/buyers  the customers who bought an item
//	POST /v1/reports/expenses           expenses per employee and kind (report.ExpenseQuery → report.Expenses)
//	POST /v1/reports/expenses/export    the same as CSV, audited
func SalesRoutes(s *report.Service) []capi.Route {
	return []capi.Route{
		{ID: "salesReport", Tag: "reports", Summary: "Sales per period, category and item", Method: http.MethodPost,
			Path: "/v1/reports/sales", Request: report.SalesQuery{}, Response: report.Sales{}, Status: http.StatusOK,
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				var in report.SalesQuery
				if err := capi.DecodeJSON(w, r, &in); err != nil {
					return err
				}
				res, err := s.Sales(r.Context(), in)
				if err != nil {
					return err
				}
				return capi.WriteJSON(w, http.StatusOK, res)
			}},
		{ID: "accountsReport", Tag: "reports", Summary: "The accounting list: sales per day, per customer, and each sale", Method: http.MethodPost,
			Path: "/v1/reports/accounts", Request: report.AccountsQuery{}, Response: report.Accounts{}, Status: http.StatusOK,
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				var in report.AccountsQuery
				if err := capi.DecodeJSON(w, r, &in); err != nil {
					return err
				}
				res, err := s.Accounts(r.Context(), in)
				if err != nil {
					return err
				}
				return capi.WriteJSON(w, http.StatusOK, res)
			}},
		{ID: "customerUsage", Tag: "reports", Summary: "A customer's lifetime sales and the items bought", Method: http.MethodGet,
			Path: "/v1/customers/{id}/usage", Response: report.Usage{}, Status: http.StatusOK,
			Params: []capi.Param{{Name: "id", In: "path", Type: "string", Description: "customer ID", Required: true}},
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				id, err := capi.PathID(r, "id")
				if err != nil {
					return err
				}
				res, err := s.CustomerUsage(r.Context(), id)
				if err != nil {
					return err
				}
				return capi.WriteJSON(w, http.StatusOK, res)
			}},
		{ID: "itemBuyers", Tag: "reports", Summary: "The customers who bought a catalog item", Method: http.MethodGet,
			Path: "/v1/catalog/items/{id}/buyers", Response: []report.SalesRow{}, Status: http.StatusOK,
			Params: []capi.Param{{Name: "id", In: "path", Type: "string", Description: "catalog item ID", Required: true}},
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				id, err := capi.PathID(r, "id")
				if err != nil {
					return err
				}
				res, err := s.Buyers(r.Context(), id.String())
				if err != nil {
					return err
				}
				return capi.WriteJSON(w, http.StatusOK, res)
			}},
		{ID: "expensesReport", Tag: "reports", Summary: "Expenses per employee and kind", Method: http.MethodPost,
			Path: "/v1/reports/expenses", Request: report.ExpenseQuery{}, Response: report.Expenses{}, Status: http.StatusOK,
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				var in report.ExpenseQuery
				if err := capi.DecodeJSON(w, r, &in); err != nil {
					return err
				}
				res, err := s.Expenses(r.Context(), in)
				if err != nil {
					return err
				}
				return capi.WriteJSON(w, http.StatusOK, res)
			}},
		{ID: "exportExpenses", Tag: "reports", Summary: "Export the expenses as CSV", Method: http.MethodPost,
			Path: "/v1/reports/expenses/export", Request: report.ExpenseQuery{}, ResponseType: capi.MediaCSV, Status: http.StatusOK,
			Params: []capi.Param{encodingParam},
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				var in report.ExpenseQuery
				if err := capi.DecodeJSON(w, r, &in); err != nil {
					return err
				}
				return capi.WriteCSV(w, r, "expenses.csv", func(out io.Writer, enc customer.Encoding) error {
					_, err := s.ExportExpensesCSV(r.Context(), out, in, enc, nil)
					return err
				})
			}},
	}
}

// CatalogRoutes returns the routes of a tenant's catalog (カテゴリー管理),
// to pass as contactlog/api.Options.Extra. Reading is for staff, changing
// for admins:
//
//	GET    /v1/catalog/categories       the categories
//	POST   /v1/catalog/categories       create a category
//	PUT    /v1/catalog/categories/{id}  change a category
//	DELETE /v1/catalog/categories/{id}  delete a category without items
//	GET    /v1/catalog/items            the items (?category=&archived=true)
//	POST   /v1/catalog/items            create an item
//	PUT    /v1/catalog/items/{id}       change an item
//	POST   /v1/catalog/import           register categories and items from CSV (all or nothing)
//	GET    /v1/catalog/export           the catalog as CSV (?encoding=)
func CatalogRoutes(c *catalog.Service) []capi.Route {
	admin := []permission.Role{permission.RoleAdmin}
	idParam := capi.Param{Name: "id", In: "path", Type: "string", Required: true}
	return []capi.Route{
		{ID: "listCatalogCategories", Tag: "catalog", Summary: "The catalog's categories", Method: http.MethodGet,
			Path: "/v1/catalog/categories", Response: []catalog.Category{}, Status: http.StatusOK,
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				cs, err := c.Categories(r.Context())
				if err != nil {
					return err
				}
				return capi.WriteJSON(w, http.StatusOK, cs)
			}},
		{ID: "createCatalogCategory", Tag: "catalog", Summary: "Create a category", Method: http.MethodPost,
			Path: "/v1/catalog/categories", Request: catalog.Category{}, ReadOnly: []string{"id", "items"}, Response: catalog.Category{},
			Status: http.StatusCreated, Roles: admin,
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				var in catalog.Category
				if err := capi.DecodeJSON(w, r, &in); err != nil {
					return err
				}
				in.ID = uuid.Nil
				out, err := c.SaveCategory(r.Context(), in)
				if err != nil {
					return err
				}
				return capi.WriteJSON(w, http.StatusCreated, out)
			}},
		{ID: "updateCatalogCategory", Tag: "catalog", Summary: "Change a category", Method: http.MethodPut,
			Path: "/v1/catalog/categories/{id}", Params: []capi.Param{idParam}, Request: catalog.Category{}, ReadOnly: []string{"id", "items"},
			Response: catalog.Category{}, Status: http.StatusOK, Roles: admin,
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				id, err := capi.PathID(r, "id")
				if err != nil {
					return err
				}
				var in catalog.Category
				if err := capi.DecodeJSON(w, r, &in); err != nil {
					return err
				}
				in.ID = id
				out, err := c.SaveCategory(r.Context(), in)
				if err != nil {
					return err
				}
				return capi.WriteJSON(w, http.StatusOK, out)
			}},
		{ID: "deleteCatalogCategory", Tag: "catalog", Summary: "Delete a category without items", Method: http.MethodDelete,
			Path: "/v1/catalog/categories/{id}", Params: []capi.Param{idParam}, Status: http.StatusNoContent, Roles: admin,
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				id, err := capi.PathID(r, "id")
				if err != nil {
					return err
				}
				if err := c.DeleteCategory(r.Context(), id); err != nil {
					return err
				}
				w.WriteHeader(http.StatusNoContent)
				return nil
			}},
		{ID: "listCatalogItems", Tag: "catalog", Summary: "The catalog's items", Method: http.MethodGet,
			Path: "/v1/catalog/items", Response: []catalog.Item{}, Status: http.StatusOK,
			Params: []capi.Param{
				{Name: "category", In: "query", Type: "string", Description: "one category's items"},
				{Name: "archived", In: "query", Type: "boolean", Description: "include archived items"},
			},
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				var ve validation.Error
				q := r.URL.Query()
				archived := capi.QueryBool(q, "archived", &ve)
				var cat uuid.UUID
				if v := q.Get("category"); v != "" {
					var err error
					if cat, err = uuid.Parse(v); err != nil {
						ve.Add("category", validation.CodeInvalidUUID, "")
					}
				}
				if err := ve.Err(); err != nil {
					return err
				}
				items, err := c.Items(r.Context(), cat, archived)
				if err != nil {
					return err
				}
				return capi.WriteJSON(w, http.StatusOK, items)
			}},
		{ID: "createCatalogItem", Tag: "catalog", Summary: "Create an item", Method: http.MethodPost,
			Path: "/v1/catalog/items", Request: catalog.Item{}, ReadOnly: []string{"id"}, Response: catalog.Item{},
			Status: http.StatusCreated, Roles: admin,
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				var in catalog.Item
				if err := capi.DecodeJSON(w, r, &in); err != nil {
					return err
				}
				in.ID = uuid.Nil
				out, err := c.SaveItem(r.Context(), in)
				if err != nil {
					return err
				}
				return capi.WriteJSON(w, http.StatusCreated, out)
			}},
		{ID: "updateCatalogItem", Tag: "catalog", Summary: "Change an item", Method: http.MethodPut,
			Path: "/v1/catalog/items/{id}", Params: []capi.Param{idParam}, Request: catalog.Item{}, ReadOnly: []string{"id"},
			Response: catalog.Item{}, Status: http.StatusOK, Roles: admin,
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				id, err := capi.PathID(r, "id")
				if err != nil {
					return err
				}
				var in catalog.Item
				if err := capi.DecodeJSON(w, r, &in); err != nil {
					return err
				}
				in.ID = id
				out, err := c.SaveItem(r.Context(), in)
				if err != nil {
					return err
				}
				return capi.WriteJSON(w, http.StatusOK, out)
			}},
		{ID: "importCatalog", Tag: "catalog", Summary: "Register categories and items from CSV", Method: http.MethodPost,
			Path: "/v1/catalog/import", RequestType: capi.MediaCSV, Response: catalog.ImportReport{}, Status: http.StatusOK,
			OtherResponses: map[int]any{http.StatusUnprocessableEntity: catalog.ImportReport{}}, Roles: admin,
			Description: "The body is the CSV file (Shift_JIS or UTF-8, detected). Any problem means nothing is imported: " +
				"the answer is 422 with the report, every problem with its line and column.",
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "text/csv" {
					var ve validation.Error
					ve.Add("file", validation.CodeNotCSV, mt)
					return ve.Err()
				}
				rep, err := c.ImportCSV(r.Context(), http.MaxBytesReader(w, r.Body, MaxCatalogImport+1))
				switch {
				case errors.Is(err, catalog.ErrImportRejected) && rep != nil:
					return capi.WriteJSON(w, http.StatusUnprocessableEntity, rep)
				case err != nil:
					return err
				}
				return capi.WriteJSON(w, http.StatusOK, rep)
			}},
		{ID: "exportCatalog", Tag: "catalog", Summary: "The catalog as CSV", Method: http.MethodGet,
			Path: "/v1/catalog/export", ResponseType: capi.MediaCSV, Status: http.StatusOK, Params: []capi.Param{encodingParam}, Roles: admin,
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				return capi.WriteCSV(w, r, "catalog.csv", func(out io.Writer, enc customer.Encoding) error {
					_, err := c.ExportCSV(r.Context(), out, enc)
					return err
				})
			}},
	}
}
