package blob

// The conformance suite and its helpers, for the tests of the bucket
// package's Store that live in this directory (package blob_test): the
// bucket package imports blob, so its Store can only be tested against the
// suite from an external test package.
var (
	TestStore     = testStore
	ListAll       = listAll
	TestKey       = testKey
	NewEncryptedT = newEncrypted
)
