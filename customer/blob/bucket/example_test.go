package bucket_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"gocloud.dev/blob/memblob"

	"github.com/kirokuhq/kiroku/customer/blob"
	"github.com/kirokuhq/kiroku/customer/blob/bucket"
)

// A program opens its bucket with the driver it needs (here memblob; in
// production s3blob, gcsblob, azureblob, …) and hands the Store to an
// engine, for example as contactlog.Config.Blobs.
func Example() {
	ctx := context.Background()
	b := memblob.OpenBucket(nil)
	defer b.Close()

	store, err := bucket.New(b, &bucket.Options{BufferSize: 8 << 20})
	if err != nil {
		panic(err)
	}
	if _, err := store.Put(ctx, "t/acme/a/1", strings.NewReader("手書きメモの写真")); err != nil {
		panic(err)
	}
	rc, err := store.Get(ctx, "t/acme/a/1")
	if err != nil {
		panic(err)
	}
	defer rc.Close()
	data, _ := io.ReadAll(rc)
	fmt.Println(string(data))

	// The bucket never holds an object under a key Kiroku would refuse.
	_, err = store.Put(ctx, "../secrets", strings.NewReader("x"))
	fmt.Println(err, errors.Is(err, blob.ErrInvalid))
	// Output:
	// 手書きメモの写真
	// blob: invalid key "../secrets": '.' or '..' segment: invalid true
}
