// Package crashtest holds the crash test of the persistent backends: a
// child process writes through store.FS over store/badger and
// store/localfs and is killed with SIGKILL at random points; after every
// kill the parent reopens the store and checks that every acknowledged
// operation survived and that (*store.FS).Check finds nothing wrong.
// Stable writes are small (logged as intents and replayed by the reopen;
// the test fails if no kill ever left one to replay), larger than a
// quarter block (stored directly) and of whole blocks.
//
// TestCrashCachedS3 runs the same rounds with the blocks in store/cache
// over store/s3 (gofakes3 in the parent process, so that the bucket
// outlives the child, with slowed PUTs so that kills find uploads pending):
// after each kill nothing acknowledged is lost, and once the reopened
// cache has drained its uploads the bucket holds exactly the blocks the
// metadata references (none missing, none left over after GC). It fails
// if no kill ever left a block pending upload. It also runs store.FS's model-based test (store/internal/fsmodel) over the
// same pair of backends.
//
// The package has no API; run it with go test ./store/crashtest (add
// -short for fewer rounds).
package crashtest
