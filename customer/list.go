package customer

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// List is a staff member's named sub-list of customers (マイリスト). Lists
// are private to their owner.
type List struct {
	bun.BaseModel `bun:"table:customer_lists,alias:l"`
	ID            uuid.UUID `bun:"id,pk" json:"id"`
	Tenant        uuid.UUID `bun:"tenant_id" json:"-"`
	Owner         uuid.UUID `bun:"owner_id" json:"owner"`
	Name          string    `bun:"name" json:"name"`
	CreatedAt     time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at" json:"updated_at"`
	Version       int64     `bun:"version" json:"version"`
	// Count is the number of customers in the list that are not deleted.
	Count int `bun:"count,scanonly" json:"count"`
}

type listItem struct {
	bun.BaseModel `bun:"table:customer_list_items"`
	List          uuid.UUID `bun:"list_id,pk"`
	Customer      uuid.UUID `bun:"customer_id,pk"`
	Tenant        uuid.UUID `bun:"tenant_id"`
	AddedAt       time.Time `bun:"added_at"`
}

const maxListName = 50

func listName(name string) (string, error) {
	name = clean(name)
	var v validation.Error
	if name == "" {
		v.Add("name", validation.CodeRequired, "")
	} else if utf8.RuneCountInString(name) > maxListName {
		v.Add("name", validation.CodeTooLong, strconv.Itoa(maxListName))
	}
	return name, v.Err()
}

// duplicateName turns a unique violation into a field error.
func duplicateName(err error, name string) error {
	if errors.Is(err, ErrConflict) {
		var v validation.Error
		v.Add("name", validation.CodeDuplicate, name)
		return &v
	}
	return err
}

// CreateList creates a my list owned by the principal. Names are unique per
// owner.
func (s *Service) CreateList(ctx context.Context, name string) (*List, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	if name, err = listName(name); err != nil {
		return nil, fmt.Errorf("customer: create list: %w", err)
	}
	now := s.now()
	l := &List{ID: uuid.Must(uuid.NewV7()), Tenant: pr.Tenant, Owner: pr.User, Name: name,
		CreatedAt: now, UpdatedAt: now, Version: 1}
	if _, err := s.db.NewInsert().Model(l).Exec(ctx); err != nil {
		return nil, fmt.Errorf("customer: create list: %w", duplicateName(storage.Err(err), name))
	}
	return l, nil
}

// Lists returns the principal's lists by name, with member counts.
func (s *Service) Lists(ctx context.Context) ([]List, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	var out []List
	q, err := s.reader().listQuery(ctx, pr)
	if err == nil {
		err = q.Order("l.name", "l.id").Scan(ctx, &out)
	}
	if err != nil {
		return nil, fmt.Errorf("customer: lists: %w", storage.Err(err))
	}
	return out, nil
}

// listQuery selects the principal's lists with the number of members the
// principal can see.
func (s *Service) listQuery(ctx context.Context, pr permission.Principal) (*bun.SelectQuery, error) {
	pred, err := s.authz.Predicate(ctx, pr, &permission.CustomerTable{Alias: "c"})
	if err != nil {
		return nil, err
	}
	count := s.db.NewSelect().ColumnExpr("COUNT(*)").TableExpr("customer_list_items AS li").
		Join("JOIN customers AS c ON c.tenant_id = li.tenant_id AND c.id = li.customer_id").
		Where("li.tenant_id = l.tenant_id AND li.list_id = l.id").Where("c.deleted_at IS NULL")
	pred.Apply(count)
	return s.db.NewSelect().Model((*List)(nil)).Column("l.*").ColumnExpr("(?) AS count", count).
		Where("l.tenant_id = ?", pr.Tenant).Where("l.owner_id = ?", pr.User), nil
}

func (s *Service) list(ctx context.Context, pr permission.Principal, id uuid.UUID) (*List, error) {
	var l List
	q, err := s.listQuery(ctx, pr)
	if err == nil {
		err = q.Where("l.id = ?", id).Scan(ctx, &l)
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", id, storage.Err(err))
	}
	return &l, nil
}

// RenameList renames one of the principal's lists.
func (s *Service) RenameList(ctx context.Context, id uuid.UUID, name string) error {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return err
	}
	if name, err = listName(name); err != nil {
		return fmt.Errorf("customer: rename list: %w", err)
	}
	res, err := s.db.NewUpdate().Model((*List)(nil)).Set("name = ?", name).
		Set("updated_at = ?", s.now()).Set("version = version + 1").
		Where("id = ?", id).Where("tenant_id = ?", pr.Tenant).Where("owner_id = ?", pr.User).Exec(ctx)
	if err != nil {
		return fmt.Errorf("customer: rename list: %w", duplicateName(storage.Err(err), name))
	}
	if err := storage.Affected(res, nil, ErrNotFound); err != nil {
		return fmt.Errorf("customer: rename list %s: %w", id, err)
	}
	return nil
}

// DeleteList deletes one of the principal's lists (not its customers).
func (s *Service) DeleteList(ctx context.Context, id uuid.UUID) error {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return err
	}
	res, err := s.db.NewDelete().Model((*List)(nil)).
		Where("id = ?", id).Where("tenant_id = ?", pr.Tenant).Where("owner_id = ?", pr.User).Exec(ctx)
	if err := storage.Affected(res, err, ErrNotFound); err != nil {
		return fmt.Errorf("customer: delete list %s: %w", id, err)
	}
	return nil
}

// AddToList adds customers to one of the principal's lists; customers
// already in it are left as they are. Every customer must exist (not
// deleted) and be visible to the principal, or nothing is added.
func (s *Service) AddToList(ctx context.Context, id uuid.UUID, customers ...uuid.UUID) error {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return err
	}
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		if _, err := s.WithDB(tx).list(ctx, pr, id); err != nil {
			return err
		}
		uniq := map[uuid.UUID]bool{}
		for _, c := range customers {
			uniq[c] = true
		}
		if len(uniq) == 0 {
			return nil
		}
		q := tx.NewSelect().Model((*row)(nil)).Where("c.deleted_at IS NULL").Where("c.id IN (?)", bun.List(customers))
		if err := s.visible(ctx, pr, q); err != nil {
			return err
		}
		n, err := q.Count(ctx)
		if err != nil {
			return err
		}
		if int(n) != len(uniq) {
			return fmt.Errorf("some customers: %w", ErrNotFound)
		}
		now := s.now()
		items := make([]listItem, 0, len(uniq))
		for c := range uniq {
			items = append(items, listItem{List: id, Customer: c, Tenant: pr.Tenant, AddedAt: now})
		}
		_, err = tx.NewInsert().Model(&items).On("CONFLICT (tenant_id, list_id, customer_id) DO NOTHING").Exec(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("customer: add to list: %w", err)
	}
	return nil
}

// RemoveFromList removes customers from one of the principal's lists.
func (s *Service) RemoveFromList(ctx context.Context, id uuid.UUID, customers ...uuid.UUID) error {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return err
	}
	if _, err := s.list(ctx, pr, id); err != nil {
		return fmt.Errorf("customer: remove from list: %w", err)
	}
	if len(customers) == 0 {
		return nil
	}
	_, err = s.db.NewDelete().Model((*listItem)(nil)).Where("list_id = ?", id).
		Where("customer_id IN (?)", bun.List(customers)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("customer: remove from list: %w", storage.Err(err))
	}
	return nil
}
