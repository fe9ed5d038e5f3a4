package auth

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// maxCredentialsFileSize bounds what LoadCredentialsFile reads: a file of
// key pairs is a few hundred bytes per key.
const maxCredentialsFileSize = 1 << 20

// Settings of a credentials file profile.
const (
	settingKeyID  = "aws_access_key_id"
	settingSecret = "aws_secret_access_key"
	settingAdmin  = "flint_admin"
)

// LoadCredentialsFile reads the access keys in the file at path. The file
// has the syntax of the AWS CLI's ~/.aws/credentials, so a profile can be
// copied between the two:
//
//	# Lines starting with # or ; are comments.
//	[alice]
//	aws_access_key_id     = AKIAFLINTALICE000001
//	aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
//	flint_admin           = true
//
//	[ci]
//	aws_access_key_id     = AKIAFLINTCI000000001
//	aws_secret_access_key = je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY
//
// Each [profile] is one key pair, named after the profile (Key.Name).
// aws_access_key_id and aws_secret_access_key are required;
// flint_admin (true or false, default false) makes the key an admin's.
// Setting names ignore case, values are the rest of the line with the
// spaces around them trimmed, and nothing else is allowed: no other
// settings (so a misspelt flint_admin is an error, not a silent
// non-admin), no inline comments, no continuation lines. A profile name
// or an access key id may appear only once. A file with no profile is an
// error, so that an empty file cannot be mistaken for "no keys".
//
// Errors name the file and line (*LineError, which unwraps to ErrSyntax,
// ErrInvalidKey or ErrDuplicateKey). The keys returned are valid for
// NewKeys.
func LoadCredentialsFile(path string) ([]Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("auth: reading credentials: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCredentialsFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("auth: reading credentials: %w", err)
	}
	if len(data) > maxCredentialsFileSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes; is it a credentials file?", ErrSyntax, path, maxCredentialsFileSize)
	}
	return parseCredentials(path, data)
}

// profile is a credentials file section being read.
type profile struct {
	name string
	line int // of the [name] header
	key  Key
	seen map[string]int // setting → line
}

// parseCredentials parses the contents of a credentials file named file.
func parseCredentials(file string, data []byte) ([]Key, error) {
	var (
		keys     []Key
		cur      *profile
		profiles = map[string]int{} // name → line
		ids      = map[string]int{} // access key id → line
	)
	lineErr := func(line int, sentinel error, format string, args ...any) error {
		return &LineError{File: file, Line: line, Msg: fmt.Sprintf(format, args...), err: sentinel}
	}
	finish := func() error {
		if cur == nil {
			return nil
		}
		for _, s := range []string{settingKeyID, settingSecret} {
			if _, ok := cur.seen[s]; !ok {
				return lineErr(cur.line, ErrSyntax, "profile [%s] has no %s", cur.name, s)
			}
		}
		keys = append(keys, cur.key)
		return nil
	}

	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 BOM some editors write
	for n, raw := range strings.Split(string(data), "\n") {
		line := n + 1
		text := strings.TrimSpace(raw)
		switch {
		case text == "" || text[0] == '#' || text[0] == ';':
			continue
		case raw[0] == ' ' || raw[0] == '\t':
			return nil, lineErr(line, ErrSyntax, "indented line: continuation lines and nested settings are not supported")
		case text[0] == '[':
			if !strings.HasSuffix(text, "]") {
				return nil, lineErr(line, ErrSyntax, "profile header %q does not end with ']'", text)
			}
			if err := finish(); err != nil {
				return nil, err
			}
			name := strings.TrimSpace(text[1 : len(text)-1])
			if name == "" || strings.ContainsAny(name, "[]") {
				return nil, lineErr(line, ErrSyntax, "profile header %q needs a name: [name]", text)
			}
			if first, dup := profiles[name]; dup {
				return nil, lineErr(line, ErrSyntax, "profile [%s] is already defined on line %d", name, first)
			}
			profiles[name] = line
			cur = &profile{name: name, line: line, key: Key{Name: name}, seen: map[string]int{}}
			continue
		}

		setting, value, ok := strings.Cut(text, "=")
		if !ok {
			return nil, lineErr(line, ErrSyntax, "expected a [profile] header or a setting \"name = value\"")
		}
		if cur == nil {
			return nil, lineErr(line, ErrSyntax, "setting outside a profile: start one with [name] first")
		}
		setting = strings.ToLower(strings.TrimSpace(setting))
		value = strings.TrimSpace(value)
		if first, dup := cur.seen[setting]; dup {
			return nil, lineErr(line, ErrSyntax, "%s is already set in profile [%s] on line %d", setting, cur.name, first)
		}
		switch setting {
		case settingKeyID:
			if err := checkKeyID(value); err != nil {
				return nil, lineErr(line, ErrInvalidKey, "%s", err)
			}
			if first, dup := ids[value]; dup {
				return nil, lineErr(line, ErrDuplicateKey, "access key id %s is already used on line %d; give each key pair its own id", value, first)
			}
			ids[value] = line
			cur.key.AccessKeyID = value
		case settingSecret:
			if err := checkSecret(value); err != nil {
				return nil, lineErr(line, ErrInvalidKey, "%s", err)
			}
			cur.key.SecretAccessKey = value
		case settingAdmin:
			admin, err := strconv.ParseBool(value)
			if err != nil {
				return nil, lineErr(line, ErrSyntax, "%s must be true or false, not %q", settingAdmin, truncate(value))
			}
			cur.key.Admin = admin
		default:
			return nil, lineErr(line, ErrSyntax, "unknown setting %q: a profile may set only %s, %s and %s", truncate(setting), settingKeyID, settingSecret, settingAdmin)
		}
		cur.seen[setting] = line
	}
	if err := finish(); err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: %s defines no key: add a [profile] with %s and %s", ErrSyntax, file, settingKeyID, settingSecret)
	}
	return keys, nil
}

// truncate shortens s for quoting in an error message, so that a secret
// pasted on a wrong line is not reproduced whole.
func truncate(s string) string {
	const max = 24
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
