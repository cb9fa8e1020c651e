package locking_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/dittofs/dittofs/locking"
)

// Example: an NLM client's lock conflicts with an NFSv4 client's on the
// same file, because both protocols use the share's one Manager.
func Example() {
	ctx := context.Background()
	m, err := locking.Open(ctx, locking.Options{Grace: -1}) // in memory, no grace period
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()

	const file = 42 // store.Handle.ID of the file
	nlm := locking.Owner{Proto: locking.ProtoNLM, Client: "client-a", Key: "svid 7"}
	v4 := locking.Owner{Proto: locking.ProtoNFS4, Client: "client-b", Key: "lock-owner 1"}

	err = m.Lock(ctx, file, locking.Request{Owner: nlm, Range: locking.Range{Off: 0, Len: 100}, Exclusive: true})
	fmt.Println("NLM lock of bytes 0-99:", err)

	err = m.Lock(ctx, file, locking.Request{Owner: v4, Range: locking.Range{Off: 50, Len: 10}})
	var ce *locking.ConflictError
	if errors.As(err, &ce) {
		fmt.Println("NFSv4 lock of bytes 50-59: denied, held by", ce.Holder.Owner.Proto, ce.Holder.Owner.Client)
	}

	m.Unlock(ctx, file, nlm, locking.Range{Off: 0, Len: 100})
	err = m.Lock(ctx, file, locking.Request{Owner: v4, Range: locking.Range{Off: 50, Len: 10}})
	fmt.Println("after the NLM unlock:", err)
	// Output:
	// NLM lock of bytes 0-99: <nil>
	// NFSv4 lock of bytes 50-59: denied, held by nlm client-a
	// after the NLM unlock: <nil>
}
