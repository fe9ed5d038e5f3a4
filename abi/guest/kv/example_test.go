package kv_test

import (
	"errors"

	"github.com/flintfaas/flint/abi/guest"
	"github.com/flintfaas/flint/abi/guest/kv"
)

func ExampleStore_Get() {
	sessions := kv.Open("sessions")
	v, err := sessions.Get("user-1")
	switch {
	case errors.Is(err, guest.ErrNotFound):
		v = []byte("{}") // a new session
	case err != nil:
		guest.Log(guest.LevelError, err.Error()) // a *guest.DeniedError names the missing permission
		return
	}
	_ = sessions.Put("user-1", v)
}

func ExampleStore_Keys() {
	for key, err := range kv.Open("sessions").Keys("user-") {
		if err != nil {
			guest.Log(guest.LevelError, err.Error())
			return
		}
		guest.Log(guest.LevelInfo, key)
	}
}
