// Command jsoncompat is the guest of engine's TestGuestJSONCompat: it
// decodes its event into a jsoncompat.Everything with guest.HandleJSON (so
// with the SDK's default JSON codec) and answers with it, encoded again.
package main

import (
	"github.com/flintfaas/flint/abi/guest"
	"github.com/flintfaas/flint/internal/jsoncompat"
)

func main() {}

func init() {
	guest.HandleJSON(func(_ guest.Context, ev jsoncompat.Everything) (jsoncompat.Everything, error) {
		return ev, nil
	})
}
