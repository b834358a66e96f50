package blob_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kirokuhq/kiroku/customer/blob"
)

// An encrypted local store with an upload limit, as the example server wires
// it.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "kiroku-blob-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	local, err := blob.NewLocal(dir)
	if err != nil {
		panic(err)
	}
	defer local.Close()
	key := make([]byte, blob.KeySize) // from configuration in real use
	_, _ = rand.Read(key)
	store, err := blob.NewEncrypted(local, key)
	if err != nil {
		panic(err)
	}

	upload := strings.NewReader("photo bytes")
	size, err := store.Put(ctx, "t/1/a/1", blob.Limit(upload, blob.DefaultMaxSize))
	fmt.Println(size, err)

	_, err = store.Put(ctx, "t/1/a/2", blob.Limit(strings.NewReader("far too long"), 4))
	var tooLarge *blob.TooLargeError
	fmt.Println(errors.As(err, &tooLarge), tooLarge.Limit)

	rc, err := store.Get(ctx, "t/1/a/1")
	if err != nil {
		panic(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	fmt.Println(string(b))

	_, err = store.Get(ctx, "t/1/a/2")
	fmt.Println(errors.Is(err, blob.ErrNotFound))

	_, err = store.Get(ctx, "../../etc/passwd")
	fmt.Println(errors.Is(err, blob.ErrInvalid))

	for k, err := range store.List(ctx, "t/1/") {
		fmt.Println(k, err)
	}
	// Output:
	// 11 <nil>
	// true 4
	// photo bytes
	// true
	// true
	// t/1/a/1 <nil>
}
