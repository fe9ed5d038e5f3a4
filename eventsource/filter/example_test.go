package filter_test

import (
	"errors"
	"fmt"

	"github.com/flintfaas/flint/eventsource/filter"
)

// A mapping compiles its FilterCriteria once and matches every record
// against it; records that match no filter are dropped.
func Example() {
	criteria, err := filter.CompileCriteria([]string{
		`{"body": {"RequestCode": ["BBBB"], "RecordNumber": [{"numeric": [">", 9999]}]}}`,
		`{"body": [{"prefix": "URGENT"}]}`,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	records := []string{
		`{"messageId":"m1","body":"{\"RecordNumber\":12345,\"RequestCode\":\"BBBB\"}","eventSource":"aws:sqs"}`,
		`{"messageId":"m2","body":"{\"RecordNumber\":12,\"RequestCode\":\"BBBB\"}","eventSource":"aws:sqs"}`,
		`{"messageId":"m3","body":"URGENT: the tea is cold","eventSource":"aws:sqs"}`,
		`{"messageId":"m4","body":"{\"RequestCode\":\"URGENT\"}","eventSource":"aws:sqs"}`,
	}
	for i, r := range records {
		fmt.Printf("m%d %v\n", i+1, criteria.Match([]byte(r)))
	}
	// Output:
	// m1 true
	// m2 false
	// m3 true
	// m4 false
}

// A pattern Lambda would refuse is refused with a message that says where
// and why, fit for an InvalidParameterValueException.
func ExampleCompile_error() {
	_, err := filter.Compile(`{"body": {"price": [{"numeric": [">", 5, "<", 1]}]}}`)
	fmt.Println(err)
	var fe *filter.Error
	if errors.As(err, &fe) {
		fmt.Println(fe.Path)
	}
	fmt.Println(errors.Is(err, filter.ErrInvalidFilter))
	// Output:
	// filter pattern at $.body.price[0].numeric: the range is empty: no number is > 5 and < 1
	// $.body.price[0].numeric
	// true
}
