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
