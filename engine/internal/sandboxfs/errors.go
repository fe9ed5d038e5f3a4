package sandboxfs

import "errors"

// ErrInvalidMount is returned by New when the guest path to mount at is not
// an absolute, clean path such as "/data".
var ErrInvalidMount = errors.New("sandboxfs: invalid mount path")

// ErrNoCheck is returned by New when no check function is given: a mount
// without a policy would be served unchecked, so it is refused instead.
var ErrNoCheck = errors.New("sandboxfs: no check function")
