package contactlog

import (
	"context"

	"github.com/google/uuid"
)

// CommentCounts is commentCounts on the service's database, for the tests
// of the lists that show it.
func (s *Service) CommentCounts(ctx context.Context, tenant uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]int, error) {
	return s.commentCounts(ctx, s.db, tenant, ids)
}
