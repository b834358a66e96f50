package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// IdempotencyTTL is how long a key and its stored response are kept.
const IdempotencyTTL = 24 * time.Hour

// MaxIdempotencyKey is the longest key accepted.
const MaxIdempotencyKey = 255

// replayedHeaders are the response headers stored and replayed with a body.
var replayedHeaders = []string{"Content-Type", "Location", "ETag"}

type idemRow struct {
	bun.BaseModel `bun:"table:api_idempotency_keys"`
	Tenant        uuid.UUID `bun:"tenant_id,pk"`
	User          uuid.UUID `bun:"user_id,pk"`
	Key           string    `bun:"key,pk"`
	RequestHash   []byte    `bun:"request_hash"`
	Status        int       `bun:"status"`
	Headers       string    `bun:"headers"`
	Body          []byte    `bun:"body"`
	CreatedAt     time.Time `bun:"created_at"`
}

type idempotency struct {
	db    bun.IDB
	clock func() time.Time
}

// serve runs h at most once per (tenant, user, key): the key's row is
// inserted first (the primary key keeps a concurrent duplicate out), then h
// runs and its response is stored. A later request with the key gets the
// stored response when its method, path and body are the same, 422
// otherwise, and 409 while the first one is still running. A response
// other than 2xx is not kept: the key is released so the client may retry.
func (d *idempotency) serve(w http.ResponseWriter, r *http.Request, h func(http.ResponseWriter, *http.Request) error) error {
	key := r.Header.Get("Idempotency-Key")
	if len(key) > MaxIdempotencyKey {
		return errIdemKey
	}
	p, err := permission.Require(r.Context())
	if err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxJSON))
	if err != nil {
		return err
	}
	sum := sha256.New()
	fmt.Fprintf(sum, "%s\n%s\n", r.Method, r.URL.RequestURI())
	sum.Write(body)
	hash := sum.Sum(nil)

	ctx := r.Context()
	now := d.clock().UTC().Truncate(time.Microsecond)
	// Expired keys go first (all of them: the created_at index keeps this
	// cheap), so that the key may be reused and the table stays small.
	if _, err := d.db.NewDelete().Model((*idemRow)(nil)).
		Where("created_at <= ?", now.Add(-IdempotencyTTL)).Exec(ctx); err != nil {
		return storage.Err(err)
	}
	row := idemRow{Tenant: p.Tenant, User: p.User, Key: key, RequestHash: hash, Headers: "{}", CreatedAt: now}
	res, err := d.db.NewInsert().Model(&row).On("CONFLICT DO NOTHING").Exec(ctx)
	if err != nil {
		return storage.Err(err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return d.replay(ctx, w, row)
	}

	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	r2 := r.Clone(ctx)
	r2.Body = io.NopCloser(bytes.NewReader(body))
	herr := h(rec, r2)
	// The key is kept only for a success; the work is done (or not) either
	// way, so the request's cancellation must not skip this.
	bg := context.WithoutCancel(ctx)
	if herr != nil || rec.status/100 != 2 {
		if _, err := d.db.NewDelete().Model(&row).WherePK().Exec(bg); err != nil {
			return errors.Join(herr, storage.Err(err))
		}
		if herr != nil {
			return herr
		}
	} else {
		stored := map[string]string{}
		for _, k := range replayedHeaders {
			if v := rec.header.Get(k); v != "" {
				stored[k] = v
			}
		}
		hb, _ := json.Marshal(stored)
		row.Status, row.Headers, row.Body = rec.status, string(hb), rec.body.Bytes()
		if _, err := d.db.NewUpdate().Model(&row).Column("status", "headers", "body").WherePK().Exec(bg); err != nil {
			return storage.Err(err)
		}
	}
	for k, vs := range rec.header {
		w.Header()[k] = vs
	}
	w.WriteHeader(rec.status)
	_, err = w.Write(rec.body.Bytes())
	return err
}

func (d *idempotency) replay(ctx context.Context, w http.ResponseWriter, want idemRow) error {
	var got idemRow
	if err := d.db.NewSelect().Model(&got).Where("tenant_id = ?", want.Tenant).Where("user_id = ?", want.User).
		Where("key = ?", want.Key).Scan(ctx); err != nil {
		// Released between our insert and this read: ask for a retry.
		return fmt.Errorf("%w: %w", errIdemInProgress, storage.Err(err))
	}
	if !bytes.Equal(got.RequestHash, want.RequestHash) {
		return errIdemMismatch
	}
	if got.Status == 0 {
		return errIdemInProgress
	}
	var hs map[string]string
	if err := json.Unmarshal([]byte(got.Headers), &hs); err != nil {
		return err
	}
	for k, v := range hs {
		w.Header().Set(k, v)
	}
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(got.Status)
	_, err := w.Write(got.Body)
	return err
}

// recorder keeps a handler's response to store it before sending it.
type recorder struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.body.Write(b)
}
