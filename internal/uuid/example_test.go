package uuid_test

import (
	"fmt"

	"github.com/flintfaas/flint/internal/uuid"
)

func ExampleNew() {
	id := uuid.New()
	fmt.Println(len(id), id[14:15]) // 36 characters, version 4
	// Output: 36 4
}

func ExampleDerived() {
	a := uuid.Derived("arn:aws:scheduler:us-east-1:000000000000:schedule/default/nightly@2026-03-01T03:00:00Z")
	b := uuid.Derived("arn:aws:scheduler:us-east-1:000000000000:schedule/default/nightly@2026-03-01T03:00:00Z")
	fmt.Println(a == b, a[14:15]) // the same id for the same name, version 8
	// Output: true 8
}
