// Package policy is Flint's execution policy: the IAM-shaped JSON document
// that says what a function may reach through the host ABI (the equivalent
// of a Lambda execution role), parsed, validated, compiled and evaluated.
//
// A document lists statements. Each statement Allows or Denies a set of
// actions (kv:Get, http:Fetch, fn:Invoke, ...) on a set of resources
// (kv:sessions/*, https://api.example.com/v1/*, fn:resize, ...). Evaluation
// denies by default, an explicit Deny beats any Allow, and otherwise any
// matching Allow allows.
//
// [Parse] validates a document strictly and compiles it: per action, the
// Allow and Deny rules that apply, each resource pattern turned into the
// cheapest matcher that implements it (exact compare, prefix, suffix,
// contains, or an iterative glob). [Policy.Evaluate] then runs on every
// capability call without allocating. A nil *Policy denies everything.
//
// abi/POLICY.md is the reference for the document format, every action and
// its resource format, and the wildcard and evaluation rules.
package policy
