// Command hello is a Flint function that greets: JSON in, JSON out, with
// the greeting read from the GREETING environment variable.
//
//	{"name":"ana"} -> {"message":"Hello, ana!"}
package main

import (
	"os"

	"github.com/flintfaas/flint/abi/guest"
)

func main() {}

// Event is hello's input.
type Event struct {
	Name string `json:"name"`
}

// Response is hello's output.
type Response struct {
	Message string `json:"message"`
}

func init() {
	guest.HandleJSON(func(ctx guest.Context, ev Event) (Response, error) {
		greeting := os.Getenv("GREETING")
		if greeting == "" {
			greeting = "Hello"
		}
		name := ev.Name
		if name == "" {
			name = "world"
		}
		return Response{Message: greeting + ", " + name + "!"}, nil
	})
}
