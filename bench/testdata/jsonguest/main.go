// Command jsonguest is the guest of bench's JSON benchmarks
// (BenchmarkGuestJSON): a guest.HandleJSON function whose event type
// covers an API Gateway HTTP API (payload 2.0) request and an SQS-shaped
// batch of records, so that events of 1 KB and 10 KB exercise the codec
// on the shapes Lambda functions receive. Built once per JSON codec.
package main

import (
	"strconv"

	"github.com/flintfaas/flint/abi/guest"
)

func main() {}

// Event is an API Gateway payload 2.0 request or a batch of records.
type Event struct {
	Version               string            `json:"version"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	RequestContext        RequestContext    `json:"requestContext"`
	Body                  string            `json:"body,omitempty"`
	IsBase64Encoded       bool              `json:"isBase64Encoded"`
	Records               []Record          `json:"Records,omitempty"`
}

// RequestContext is payload 2.0's requestContext.
type RequestContext struct {
	AccountID    string `json:"accountId"`
	APIID        string `json:"apiId"`
	DomainName   string `json:"domainName"`
	DomainPrefix string `json:"domainPrefix"`
	HTTP         struct {
		Method    string `json:"method"`
		Path      string `json:"path"`
		Protocol  string `json:"protocol"`
		SourceIP  string `json:"sourceIp"`
		UserAgent string `json:"userAgent"`
	} `json:"http"`
	RequestID string `json:"requestId"`
	Stage     string `json:"stage"`
	Time      string `json:"time"`
	TimeEpoch int64  `json:"timeEpoch"`
}

// Record is one message of a batch, shaped as SQS's.
type Record struct {
	MessageID         string            `json:"messageId"`
	ReceiptHandle     string            `json:"receiptHandle"`
	Body              string            `json:"body"`
	Attributes        map[string]string `json:"attributes"`
	MessageAttributes map[string]struct {
		StringValue string `json:"stringValue,omitempty"`
		DataType    string `json:"dataType"`
	} `json:"messageAttributes"`
	MD5OfBody      string `json:"md5OfBody"`
	EventSource    string `json:"eventSource"`
	EventSourceARN string `json:"eventSourceARN"`
	AWSRegion      string `json:"awsRegion"`
}

// Response is a payload 2.0 response, with a batch's failures when the
// event was a batch.
type Response struct {
	StatusCode        int               `json:"statusCode"`
	Headers           map[string]string `json:"headers,omitempty"`
	Body              string            `json:"body"`
	BatchItemFailures []Failure         `json:"batchItemFailures,omitempty"`
}

// Failure names a record of the batch that failed.
type Failure struct {
	ItemIdentifier string `json:"itemIdentifier"`
}

func init() {
	guest.HandleJSON(func(_ guest.Context, ev Event) (Response, error) {
		if len(ev.Records) > 0 {
			resp := Response{StatusCode: 200, Body: strconv.Itoa(len(ev.Records)) + " records"}
			for _, r := range ev.Records {
				if r.Body == "" {
					resp.BatchItemFailures = append(resp.BatchItemFailures, Failure{ItemIdentifier: r.MessageID})
				}
			}
			return resp, nil
		}
		return Response{
			StatusCode: 200,
			Headers:    map[string]string{"content-type": "text/plain"},
			Body:       ev.RequestContext.HTTP.Method + " " + ev.RawPath + " from " + ev.Headers["user-agent"],
		}, nil
	})
}
