package contactlog

import (
	"context"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/customer/permission"
)

// CommentCounts is commentCounts on the service's database, for the tests
// of the lists that show it. The test-only helpers are functions, not
// methods, so that the handles' method sets stay what users see.
func CommentCounts(s *Service, ctx context.Context, tenant uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]int, error) {
	return s.commentCounts(ctx, s.db, tenant, ids)
}

// AttachmentsOf exposes the batch loader of attachments to the external
// tests.
func AttachmentsOf(s *Service, ctx context.Context, records []uuid.UUID) (map[uuid.UUID][]Attachment, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	return s.attachmentsOf(ctx, s.db, pr, records)
}

// Migrations is the engine's embedded migrations, for the tests that run
// one again over rows written before it (dbtest.RunMigration).
var Migrations = migrations

// WithReachCost returns a copy of s that weighs a record reached from the
// principal's relations as cost records walked: 0 reads the records
// reached whenever it may, +Inf never.
func WithReachCost(s *Service, cost float64) *Service {
	c := *s
	c.reachCost = cost
	return &c
}
