package store_test

import (
	"context"
	"fmt"
	"log"

	"github.com/dittofs/dittofs/store"
	"github.com/dittofs/dittofs/store/memory"
)

// Example builds a file system on the memory backends and uses it as a
// protocol server does: every call carries the caller's credential, and
// every change returns the attributes of what it changed just before and
// just after it, read in its one transaction (NFSv3 wcc_data, NFSv4
// change_info4).
func Example() {
	ctx := context.Background()
	fsys, err := store.NewFS(memory.NewMetadata(), memory.NewBlocks(), store.Options{RootMode: 0o777})
	if err != nil {
		log.Fatal(err)
	}
	defer fsys.Close()
	alice := &store.Cred{UID: 1000, GID: 1000}

	dir, _, wcc, err := fsys.Mkdir(ctx, alice, fsys.Root(), "docs", &store.SetAttr{Mask: store.SetMode, Mode: 0o755})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("root changed by MKDIR:", wcc.After.Change > wcc.Before.Change)

	f, _, _, err := fsys.Create(ctx, alice, dir, "hello.txt", store.CreateGuarded, nil, store.Verifier{})
	if err != nil {
		log.Fatal(err)
	}
	n, fw, err := fsys.WriteAt(ctx, alice, f, []byte("hello, world\n"), 0, store.FileSync)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("wrote", n, "bytes; size", fw.Before.Size, "->", fw.After.Size)

	buf := make([]byte, 64)
	n, eof, _, err := fsys.ReadAt(ctx, alice, f, buf, 0)
	fmt.Printf("read %q eof=%v err=%v\n", buf[:n], eof, err)

	bob := &store.Cred{UID: 1001, GID: 1001}
	_, _, err = fsys.WriteAt(ctx, bob, f, []byte("x"), 0, store.Unstable)
	fmt.Println("bob writes alice's file:", err)

	fsys.ReadDir(ctx, alice, dir, 0, store.Verifier{}, false, func(e *store.DirEntry) bool {
		fmt.Println("entry:", e.Name)
		return true
	})
	// Output:
	// root changed by MKDIR: true
	// wrote 13 bytes; size 0 -> 13
	// read "hello, world\n" eof=true err=<nil>
	// bob writes alice's file: store: permission denied
	// entry: hello.txt
}
