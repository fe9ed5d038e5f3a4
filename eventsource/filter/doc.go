// Package filter implements Lambda's event filtering for Flint's event
// source mappings: it compiles the patterns of a mapping's FilterCriteria
// and decides which SQS-shaped records reach the function. A record that
// matches no pattern is acknowledged and dropped by the mapping.
//
// The rules are the ones Lambda documents in "Control which events Lambda
// sends to your function" (Filter rule syntax) and "Using event filtering
// with an Amazon SQS event source"
// (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html,
// https://docs.aws.amazon.com/lambda/latest/dg/with-sqs-filtering.html),
// which defer to Amazon EventBridge's event patterns.
//
// # Use
//
// Compile a mapping's patterns once, when the mapping is created or
// updated, and match each record against them:
//
//	c, err := filter.CompileCriteria(patterns) // err is a *filter.Error
//	...
//	if c.Match(recordJSON) { /* send it to the function */ }
//
// A record is the JSON of one record as the function receives it in the
// event's Records array: messageId, receiptHandle, body (a string),
// attributes, messageAttributes, md5OfBody, eventSource, eventSourceARN
// and awsRegion. Matching is safe from many goroutines at once, and in the
// steady state allocates nothing: the state of a match is pooled.
//
// # Patterns
//
// A pattern is a JSON object. Its keys name the record's fields; a key's
// value is either an object, whose keys name the fields inside that field,
// or an array of rules. A record matches a pattern when every key matches
// (AND); an array of rules matches when any one rule matches (OR). Fields
// of the record the pattern does not name are ignored. The rules are:
//
//	"Alice"                                  the string, exactly (no case folding or normalisation)
//	""                                       the empty string
//	100                                      the number, by value: 100, 100.0 and 1e2 are equal
//	true, false                              the boolean
//	null                                     JSON null (not an absent field)
//	{"prefix": "us-"}                        a string that starts with "us-"
//	{"suffix": ".png"}                       a string that ends with ".png"
//	{"equals-ignore-case": "alice"}          a string equal under Unicode case folding
//	{"prefix": {"equals-ignore-case": "x"}}  prefix, ignoring case; likewise suffix
//	{"anything-but": "x"}                    any value the operand does not match; the
//	                                         operand is a string, a number, an array of
//	                                         strings or of numbers, {"prefix": s},
//	                                         {"suffix": s} or {"equals-ignore-case": s or [s...]}
//	{"numeric": ["=", 100]}                  a number equal to 100
//	{"numeric": [">", 10, "<=", 20]}         a number in the range; one bound ([">=", 0]) is
//	                                         allowed, and a range has one lower (> >=) and
//	                                         one upper (< <=) bound with room between them
//	{"exists": true}                         the field is present
//	{"exists": false}                        the field is absent
//
// String rules match only strings, and number and numeric rules only JSON
// numbers: ["5"] does not match 5. Numbers are compared as exact decimals
// (an account number with 20 digits matches only itself), except that
// numbers written with an exponent above 10^15 in magnitude (1e1000000000000001)
// compare by their text;
// numeric ranges compare float64 values, a number beyond float64's range
// counting as ±infinity. When a field's list holds many exact strings or
// numbers, they are looked up in a set, not tried one by one. A "$or" key, at any level, takes an
// array of two or more pattern objects and matches when one of them does:
//
//	{"body": {"$or": [{"kind": ["order"]}, {"total": [{"numeric": [">", 100]}]}]}}
//
// EventBridge's "wildcard" and "cidr" operators are not supported: Lambda
// does not document them for event filtering, and Compile says so.
//
// # Absent fields, objects and arrays
//
// A field that is absent matches only {"exists": false}; every other rule,
// anything-but included, needs a value. A field whose value is an object
// counts as absent for rules (rules look at strings, numbers, booleans and
// null), and a nested pattern object under a field that is absent, or not
// an object, sees every one of its fields absent.
//
// When the record holds an array, a rule matches when it matches any
// element (arrays within the array are read as one flat list; an empty
// array is as if absent), and a nested pattern object matches when it
// matches any one element as a whole: {"items": {"sku": ["a"], "qty": [2]}}
// needs one element with both. anything-but is a rule like the others, so
// {"anything-but": "a"} matches ["a", "b"] through "b". A key that appears
// more than once in one JSON object counts as one field with every value.
//
// # The SQS body
//
// The record's body is a string. The pattern's top-level "body" key is
// matched as Lambda documents for SQS:
//
//   - when the body is a JSON object or array, it is read as JSON, and a
//     "body" pattern object matches inside it ({"body": {"status": ["ok"]}});
//     a "body" array of rules (a plain pattern) does not match it;
//   - otherwise the body is plain text, and a "body" array of rules matches
//     the text as one string ({"body": [{"prefix": "ERROR"}]}); a "body"
//     pattern object does not match it. A body that is a JSON string,
//     number, boolean or null is plain text too: ["42"] matches the body 42.
//
// A body nested more than MaxBodyDepth levels deep is plain text. A pattern
// without a "body" key does not look at the body. The other top-level keys
// match the record's own fields (messageId, attributes.SenderId,
// messageAttributes.name.stringValue, ...). Lambda's SQS documentation says
// that SQS mappings filter on the body key only; patterns on the other
// fields are a superset Flint allows.
//
// # Limits
//
// CompileCriteria takes at most MaxFilters patterns. Compile refuses a
// pattern longer than MaxPatternLength characters, nested more than
// MaxPatternDepth levels, not valid UTF-8, not a JSON object, or holding a
// duplicate key, an empty object or array of rules, an unknown operator,
// an operand of the wrong type, or a numeric range that is empty
// ([">", 5, "<", 1]). Every such error is a *Error whose message names the
// filter and the JSON path of the rule at fault. Compile's work is linear
// in the pattern's length, which the limit bounds.
//
// Matching reads the record once into a flat index, without recursion, so
// neither a record's size nor its depth can exhaust the stack; a record
// nested more than MaxBodyDepth levels matches nothing. The work of a
// match is linear in the record's size times the number of rules.
package filter
