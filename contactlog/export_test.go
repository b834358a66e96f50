package contactlog

import (
	"context"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/customer/permission"
)

// AttachmentsOf exposes the batch loader of attachments to the external
// tests.
func (s *Service) AttachmentsOf(ctx context.Context, records []uuid.UUID) (map[uuid.UUID][]Attachment, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	return s.attachmentsOf(ctx, s.db, pr, records)
}
