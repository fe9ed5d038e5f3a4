package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// sharedFiles are the AWS CLI's shared credentials and config files:
// $AWS_SHARED_CREDENTIALS_FILE and $AWS_CONFIG_FILE, else ~/.aws/credentials
// and ~/.aws/config.
func sharedFiles() (credentials, cfg string) {
	home, _ := os.UserHomeDir()
	credentials, cfg = os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), os.Getenv("AWS_CONFIG_FILE")
	if credentials == "" {
		credentials = filepath.Join(home, ".aws", "credentials")
	}
	if cfg == "" {
		cfg = filepath.Join(home, ".aws", "config")
	}
	return credentials, cfg
}

// profile is what a profile of the shared files gives a client: an access
// key (empty when the profile has none) and a region.
type profile struct {
	creds  aws.Credentials
	region string
}

// loadProfile reads profile name from the AWS CLI's shared files, as every
// AWS tool does. explicit says the user asked for it (--profile or
// AWS_PROFILE): then a missing profile, or one without a static access
// key, is an error; the implicit "default" profile may be absent. Flint's
// servers check their own access keys, so only a profile's
// aws_access_key_id and aws_secret_access_key (and aws_session_token) are
// used, not roles, SSO or credential processes.
func loadProfile(ctx context.Context, cmd, name string, explicit bool) (profile, error) {
	credsFile, cfgFile := sharedFiles()
	sc, err := config.LoadSharedConfigProfile(ctx, name, func(o *config.LoadSharedConfigOptions) {
		o.CredentialsFiles, o.ConfigFiles = []string{credsFile}, []string{cfgFile}
	})
	var missing config.SharedConfigProfileNotExistError
	switch {
	case errors.As(err, &missing) && !explicit:
		return profile{}, nil
	case errors.As(err, &missing):
		return profile{}, usageErrorf("%s: profile %q is not in %s or %s", cmd, name, credsFile, cfgFile)
	case err != nil:
		return profile{}, usageErrorf("%s: profile %q: %v", cmd, name, err)
	}
	p := profile{region: sc.Region}
	if sc.Credentials.HasKeys() {
		p.creds = sc.Credentials
	} else if explicit {
		return profile{}, usageErrorf("%s: profile %q has no aws_access_key_id and aws_secret_access_key: a Flint server takes its own access keys, not roles, SSO or credential processes", cmd, name)
	}
	return p, nil
}
