package auth

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testSig = "3d12b79532990eb3a4d0bfa2721192cf6f32ef9288a32eff05ca3e5005b18b04"

func TestParseAuthorization(t *testing.T) {
	const cred = "AKIAFLINTALICE000001/20261128/us-east-1/lambda/aws4_request"
	valid := credential{accessKeyID: "AKIAFLINTALICE000001", date: "20261128", region: "us-east-1", service: "lambda",
		scope: "20261128/us-east-1/lambda/aws4_request"}
	tests := []struct {
		name    string
		header  string
		want    credential
		signed  string
		wantMsg string // empty: valid
	}{
		{name: "botocore", header: "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=host;x-amz-date, Signature=" + testSig,
			want: valid, signed: "host;x-amz-date"},
		{name: "no spaces", header: "AWS4-HMAC-SHA256 Credential=" + cred + ",SignedHeaders=host;x-amz-date,Signature=" + testSig,
			want: valid, signed: "host;x-amz-date"},
		{name: "other order, extra spaces", header: "AWS4-HMAC-SHA256   Signature=" + testSig + " ,  SignedHeaders=content-type;host ,Credential=" + cred,
			want: valid, signed: "content-type;host"},
		{name: "upper-case signature", header: "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=host, Signature=" + strings.ToUpper(testSig),
			want: valid, signed: "host"},
		{name: "empty", header: "", wantMsg: "requires the AWS4-HMAC-SHA256 algorithm"},
		{name: "bearer", header: "Bearer abc", wantMsg: "requires the AWS4-HMAC-SHA256 algorithm"},
		{name: "SigV2", header: "AWS AKIAFLINTALICE000001:sig", wantMsg: `Unsupported signing algorithm "AWS"`},
		{name: "SigV4a", header: "AWS4-ECDSA-P256-SHA256 Credential=" + cred, wantMsg: "Unsupported signing algorithm"},
		{name: "algorithm only", header: "AWS4-HMAC-SHA256", wantMsg: "Authorization header requires 'Credential' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires 'Signature' parameter."},
		{name: "no signature", header: "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=host",
			wantMsg: "Authorization header requires 'Signature' parameter."},
		{name: "component twice", header: "AWS4-HMAC-SHA256 Credential=" + cred + ", Credential=" + cred, wantMsg: "Credential component twice"},
		{name: "unknown component", header: "AWS4-HMAC-SHA256 Credential=" + cred + ", Date=x", wantMsg: `unknown component "Date"`},
		{name: "lower-case component", header: "AWS4-HMAC-SHA256 credential=" + cred, wantMsg: `unknown component "credential"`},
		{name: "trailing comma", header: "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=host, Signature=" + testSig + ",",
			wantMsg: "ends with ','"},
		{name: "component without =", header: "AWS4-HMAC-SHA256 Credential", wantMsg: "is not 'Name=Value'"},
		{name: "credential without scope", header: authz("AKIAFLINTALICE000001", "host", testSig), wantMsg: "it has no '/'"},
		{name: "credential short", header: authz("AKIAFLINTALICE000001/20261128/us-east-1/lambda", "host", testSig),
			wantMsg: "does not end with /aws4_request"},
		{name: "credential long", header: authz(cred+"/x", "host", testSig), wantMsg: "does not end with /aws4_request"},
		{name: "credential bad date", header: authz("AKIAFLINTALICE000001/2026-11-28/us-east-1/lambda/aws4_request", "host", testSig),
			wantMsg: "the date is not 8 digits"},
		{name: "credential empty region", header: authz("AKIAFLINTALICE000001/20261128//lambda/aws4_request", "host", testSig),
			wantMsg: "the region is empty"},
		{name: "credential region with space", header: authz("AKIAFLINTALICE000001/20261128/us east/lambda/aws4_request", "host", testSig),
			wantMsg: "the region"},
		{name: "credential empty id", header: authz("/20261128/us-east-1/lambda/aws4_request", "host", testSig),
			wantMsg: "the access key id is empty"},
		{name: "credential empty service", header: authz("AKIAFLINTALICE000001/20261128/us-east-1//aws4_request", "host", testSig),
			wantMsg: "the service is empty"},
		{name: "signed headers empty", header: authz(cred, "", testSig), wantMsg: "SignedHeaders is empty"},
		{name: "signed headers without host", header: authz(cred, "x-amz-date", testSig), wantMsg: "must include host"},
		{name: "signed headers unsorted", header: authz(cred, "x-amz-date;host", testSig), wantMsg: "must be sorted"},
		{name: "signed headers repeated", header: authz(cred, "host;host", testSig), wantMsg: "must be sorted"},
		{name: "signed headers upper case", header: authz(cred, "Host", testSig), wantMsg: "not a lower-case header name"},
		{name: "signed headers empty name", header: authz(cred, "a;;host", testSig), wantMsg: "not a lower-case header name"},
		{name: "signed headers trailing ;", header: authz(cred, "host;", testSig), wantMsg: "ends with ';'"},
		{name: "signed headers too many", header: authz(cred, manyHeaders(maxSignedHeaders+1), testSig), wantMsg: "more than 64"},
		{name: "signature short", header: authz(cred, "host", testSig[:63]), wantMsg: "64 hexadecimal digits, not 63"},
		{name: "signature not hex", header: authz(cred, "host", "z"+testSig[1:]), wantMsg: "64 hexadecimal digits"},
		{name: "too long", header: authz(cred, "host", testSig) + strings.Repeat(" ", maxAuthorizationLen), wantMsg: "at most 4096"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := parseAuthorization(tt.header)
			if tt.wantMsg != "" {
				require.ErrorIs(t, err, ErrMalformed)
				var ae *Error
				require.ErrorAs(t, err, &ae)
				assert.Equal(t, "IncompleteSignatureException", ae.Code)
				assert.Equal(t, 400, ae.Status)
				assert.Contains(t, ae.Message, tt.wantMsg)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, a.credential)
			assert.Equal(t, tt.signed, a.signedHeaders)
			assert.Equal(t, testSig, hex.EncodeToString(a.signature[:]))
		})
	}
}

func TestPrintable(t *testing.T) {
	assert.Equal(t, "a?b?", printable("a\nb\x00"))
	assert.Equal(t, strings.Repeat("x", 64)+"...", printable(strings.Repeat("x", 100)))
}

func authz(cred, signed, sig string) string {
	return "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=" + signed + ", Signature=" + sig
}

// manyHeaders returns a sorted SignedHeaders list of n names, host among
// them.
func manyHeaders(n int) string {
	names := []string{"host"}
	for i := 1; i < n; i++ {
		names = append(names, "x-"+strings.Repeat("a", 3)+string(rune('a'+i/26))+string(rune('a'+i%26)))
	}
	return strings.Join(names, ";")
}
