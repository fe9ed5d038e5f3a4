package auth

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewKeys(t *testing.T) {
	tests := []struct {
		name    string
		keys    []Key
		wantErr error
		wantMsg string
	}{
		{name: "empty", keys: nil},
		{name: "two keys", keys: []Key{alice, bob}},
		{name: "shortest id and secret", keys: []Key{{AccessKeyID: "A123456789012345", SecretAccessKey: "0123456789abcdef"}}},
		{name: "longest id", keys: []Key{{AccessKeyID: strings.Repeat("A", 128), SecretAccessKey: alice.SecretAccessKey}}},
		{name: "id too short", keys: []Key{{AccessKeyID: "AKIA12345678901", SecretAccessKey: alice.SecretAccessKey}},
			wantErr: ErrInvalidKey, wantMsg: "16 to 128 characters long, not 15"},
		{name: "id too long", keys: []Key{{AccessKeyID: strings.Repeat("A", 129), SecretAccessKey: alice.SecretAccessKey}}, wantErr: ErrInvalidKey},
		{name: "id lower case", keys: []Key{{AccessKeyID: "akiaflintalice000001", SecretAccessKey: alice.SecretAccessKey}},
			wantErr: ErrInvalidKey, wantMsg: "A-Z and 0-9"},
		{name: "id with slash", keys: []Key{{AccessKeyID: "AKIAFLINT/LICE000001", SecretAccessKey: alice.SecretAccessKey}}, wantErr: ErrInvalidKey},
		{name: "no id", keys: []Key{{SecretAccessKey: alice.SecretAccessKey}}, wantErr: ErrInvalidKey},
		{name: "secret too short", keys: []Key{{AccessKeyID: alice.AccessKeyID, SecretAccessKey: "0123456789abcde"}}, wantErr: ErrInvalidKey},
		{name: "secret too long", keys: []Key{{AccessKeyID: alice.AccessKeyID, SecretAccessKey: strings.Repeat("s", 129)}}, wantErr: ErrInvalidKey},
		{name: "secret in the id field", keys: []Key{{AccessKeyID: alice.SecretAccessKey, SecretAccessKey: alice.AccessKeyID}},
			wantErr: ErrInvalidKey, wantMsg: "byte 0 does not"},
		{name: "secret with space", keys: []Key{{AccessKeyID: alice.AccessKeyID, SecretAccessKey: "0123456789 abcdefgh"}},
			wantErr: ErrInvalidKey, wantMsg: "byte 10"},
		{name: "secret not ascii", keys: []Key{{AccessKeyID: alice.AccessKeyID, SecretAccessKey: "0123456789abcdéfgh"}}, wantErr: ErrInvalidKey},
		{name: "duplicate id", keys: []Key{alice, bob, {AccessKeyID: alice.AccessKeyID, SecretAccessKey: bob.SecretAccessKey}},
			wantErr: ErrDuplicateKey, wantMsg: alice.AccessKeyID + " appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := NewKeys(tt.keys)
			if tt.wantErr == nil {
				require.NoError(t, err)
				assert.Equal(t, len(tt.keys), keys.Len())
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			assert.Contains(t, err.Error(), tt.wantMsg)
			for _, k := range tt.keys {
				if len(k.SecretAccessKey) >= 8 {
					assert.NotContains(t, err.Error(), k.SecretAccessKey, "an error must not quote a secret")
				}
			}
		})
	}
}

func TestKeyFormattingHidesSecret(t *testing.T) {
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, alice)
		assert.NotContains(t, out, alice.SecretAccessKey, verb)
		assert.Contains(t, out, alice.AccessKeyID, verb)
	}
	assert.NotContains(t, fmt.Sprintf("%v", []Key{alice}), alice.SecretAccessKey)
}

func TestKeysCopiedNotShared(t *testing.T) {
	in := []Key{alice}
	keys, err := NewKeys(in)
	require.NoError(t, err)
	in[0].Admin = false
	in[0].SecretAccessKey = "changed-after-the-fact"
	r := signWithSDK(t, sdkRequest{method: "GET", url: "http://127.0.0.1:9000/"})
	got, err := (&Verifier{Keys: keys, Now: fixedClock}).Verify(r)
	require.NoError(t, err)
	assert.True(t, got.Admin)
}

// TestSigningKeyCacheConcurrent verifies from many goroutines with scopes
// that evict each other from the cache, under -race.
func TestSigningKeyCacheConcurrent(t *testing.T) {
	v := newVerifier(t, signedAt)
	regions := []string{"us-east-1", "eu-west-3", "ap-south-1"}
	var reqs []Request
	for _, region := range regions {
		reqs = append(reqs, signWithSDK(t, sdkRequest{method: "GET", url: "http://127.0.0.1:9000/", region: region}))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8*100)
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				if _, err := v.Verify(reqs[(g+i)%len(reqs)]); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
}

func TestLoadCredentialsFile(t *testing.T) {
	const good = `# Flint access keys.
; also a comment

[alice]
aws_access_key_id     = AKIAFLINTALICE000001
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
flint_admin           = true

[ bob ]
AWS_ACCESS_KEY_ID=AKIAFLINTBOB00000002
Aws_Secret_Access_Key=je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY
flint_admin = FALSE
`
	tests := []struct {
		name     string
		content  string
		want     []Key
		wantErr  error
		wantLine int
		wantMsg  string
	}{
		{name: "two profiles", content: good, want: []Key{alice, bob}},
		{name: "CRLF and BOM", content: "\xef\xbb\xbf" + strings.ReplaceAll(good, "\n", "\r\n"), want: []Key{alice, bob}},
		{name: "admin defaults to false", content: "[ci]\naws_access_key_id=AKIAFLINTCI000000001\naws_secret_access_key=je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
			want: []Key{{AccessKeyID: "AKIAFLINTCI000000001", SecretAccessKey: "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY", Name: "ci"}}},
		{name: "empty", content: "", wantErr: ErrSyntax, wantMsg: "defines no key"},
		{name: "comments only", content: "# nothing\n\n", wantErr: ErrSyntax, wantMsg: "defines no key"},
		{name: "setting before a profile", content: "aws_access_key_id = AKIAFLINTALICE000001\n", wantErr: ErrSyntax, wantLine: 1,
			wantMsg: "setting outside a profile"},
		{name: "unterminated header", content: "[alice\n", wantErr: ErrSyntax, wantLine: 1, wantMsg: "does not end with ']'"},
		{name: "empty profile name", content: "# c\n[ ]\n", wantErr: ErrSyntax, wantLine: 2},
		{name: "duplicate profile", content: good + "\n[alice]\n", wantErr: ErrSyntax, wantLine: 14, wantMsg: "already defined on line 4"},
		{name: "line without =", content: "[a]\nwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", wantErr: ErrSyntax, wantLine: 2},
		{name: "unknown setting", content: "[a]\naws_access_key_id=AKIAFLINTALICE000001\nflint_admn=true\n", wantErr: ErrSyntax, wantLine: 3,
			wantMsg: `unknown setting "flint_admn"`},
		{name: "session token", content: "[a]\naws_session_token=x\n", wantErr: ErrSyntax, wantLine: 2},
		{name: "setting twice", content: "[a]\nflint_admin=true\nflint_admin=false\n", wantErr: ErrSyntax, wantLine: 3,
			wantMsg: "already set in profile [a] on line 2"},
		{name: "bad admin value", content: "[a]\nflint_admin=yes\n", wantErr: ErrSyntax, wantLine: 2, wantMsg: "true or false"},
		{name: "indented setting", content: "[a]\n  aws_access_key_id=AKIAFLINTALICE000001\n", wantErr: ErrSyntax, wantLine: 2},
		{name: "missing secret", content: "[a]\naws_access_key_id=AKIAFLINTALICE000001\n[b]\n", wantErr: ErrSyntax, wantLine: 1,
			wantMsg: "profile [a] has no aws_secret_access_key"},
		{name: "missing id at end", content: "[a]\naws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", wantErr: ErrSyntax, wantLine: 1,
			wantMsg: "has no aws_access_key_id"},
		{name: "bad id", content: "[a]\naws_access_key_id = akia-short\n", wantErr: ErrInvalidKey, wantLine: 2},
		{name: "bad secret", content: "[a]\naws_secret_access_key = wJalrXUtnFEMI # inline comment\n", wantErr: ErrInvalidKey, wantLine: 2},
		{name: "id used twice", content: good + "[carol]\naws_access_key_id=AKIAFLINTALICE000001\n", wantErr: ErrDuplicateKey, wantLine: 14,
			wantMsg: "already used on line 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "credentials")
			require.NoError(t, os.WriteFile(path, []byte(tt.content), 0o600))
			keys, err := LoadCredentialsFile(path)
			if tt.wantErr == nil {
				require.NoError(t, err)
				assert.Equal(t, tt.want, keys)
				_, err := NewKeys(keys)
				assert.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			assert.Contains(t, err.Error(), tt.wantMsg)
			assert.NotContains(t, err.Error(), "wJalrXUtnFEMI/K7MDENG", "an error must not quote a secret")
			if tt.wantLine > 0 {
				var le *LineError
				require.ErrorAs(t, err, &le)
				assert.Equal(t, path, le.File)
				assert.Equal(t, tt.wantLine, le.Line)
				assert.Contains(t, err.Error(), fmt.Sprintf("%s:%d: ", path, tt.wantLine))
			}
		})
	}
}

func TestLoadCredentialsFileErrors(t *testing.T) {
	_, err := LoadCredentialsFile(filepath.Join(t.TempDir(), "missing"))
	assert.ErrorIs(t, err, os.ErrNotExist)

	big := filepath.Join(t.TempDir(), "big")
	require.NoError(t, os.WriteFile(big, make([]byte, maxCredentialsFileSize+1), 0o600))
	_, err = LoadCredentialsFile(big)
	assert.ErrorIs(t, err, ErrSyntax)
}

func fixedClock() time.Time { return signedAt }

func TestCheck(t *testing.T) {
	keys, err := NewKeys([]Key{alice, bob})
	require.NoError(t, err)
	tests := []struct {
		name       string
		id, secret string
		want       Key
		wantErr    error
	}{
		{name: "right pair", id: alice.AccessKeyID, secret: alice.SecretAccessKey, want: Key{AccessKeyID: alice.AccessKeyID, Admin: alice.Admin, Name: alice.Name}},
		{name: "another key's secret", id: alice.AccessKeyID, secret: bob.SecretAccessKey, wantErr: ErrWrongSecret},
		{name: "secret with a byte more", id: alice.AccessKeyID, secret: alice.SecretAccessKey + "x", wantErr: ErrWrongSecret},
		{name: "secret with a byte less", id: alice.AccessKeyID, secret: alice.SecretAccessKey[1:], wantErr: ErrWrongSecret},
		{name: "empty secret", id: alice.AccessKeyID, wantErr: ErrWrongSecret},
		{name: "unknown id", id: "AKIAFLINTNOBODY00001", secret: alice.SecretAccessKey, wantErr: ErrUnknownKey},
		{name: "empty id", secret: alice.SecretAccessKey, wantErr: ErrUnknownKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := keys.Check(tt.id, tt.secret)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.NotContains(t, err.Error(), alice.SecretAccessKey)
				assert.Equal(t, Key{}, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got, "the key comes back without its secret")
		})
	}
}
