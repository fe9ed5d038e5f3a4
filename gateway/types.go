package gateway

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/internal/names"
)

// The JSON shapes of the Lambda API (2015-03-31 and later), as the AWS SDKs
// send and expect them. Only the fields Flint uses or returns are declared;
// requests may not carry others (DisallowUnknownFields) except those listed
// as accepted and ignored.

// FunctionConfiguration is Lambda's description of a function version.
type FunctionConfiguration struct {
	FunctionName     string        `json:"FunctionName"`
	FunctionArn      string        `json:"FunctionArn"`
	Runtime          string        `json:"Runtime"`
	Role             string        `json:"Role"`
	Handler          string        `json:"Handler"`
	CodeSize         int64         `json:"CodeSize"`
	CodeSha256       string        `json:"CodeSha256"`
	Description      string        `json:"Description"`
	Timeout          int           `json:"Timeout"`
	MemorySize       int           `json:"MemorySize"`
	LastModified     string        `json:"LastModified"`
	Version          string        `json:"Version"`
	Environment      *Environment  `json:"Environment,omitempty"`
	RevisionID       string        `json:"RevisionId"`
	State            string        `json:"State"`
	LastUpdateStatus string        `json:"LastUpdateStatus"`
	PackageType      string        `json:"PackageType"`
	Architectures    []string      `json:"Architectures"`
	SnapStart        *snapStartOut `json:"SnapStart,omitempty"`
	EphemeralStorage *ephemeral    `json:"EphemeralStorage,omitempty"`
}

// ephemeral is Lambda's EphemeralStorage: the size of each instance's /tmp.
type ephemeral struct {
	Size int `json:"Size"` // MB, 512 to 10240
}

// applyEphemeral sets f.EphemeralStorageMB from a request's
// EphemeralStorage, if given.
func applyEphemeral(f *engine.Function, e *ephemeral) error {
	if e == nil {
		return nil
	}
	if e.Size < engine.DefaultEphemeralStorageMB || e.Size > engine.MaxEphemeralStorageMB {
		return invalidParam("EphemeralStorage.Size %d: must be between %d and %d MB", e.Size, engine.DefaultEphemeralStorageMB, engine.MaxEphemeralStorageMB)
	}
	f.EphemeralStorageMB = e.Size
	return nil
}

// snapStart is Lambda's SnapStart setting, which turns Flint's snapshots
// off ("None") or on ("PublishedVersions", which in Flint covers $LATEST
// too). Absent, snapshots are on: Flint's default, unlike Lambda's.
type snapStart struct {
	ApplyOn string `json:"ApplyOn"`
}

// snapStartOut is SnapStart in a configuration: whether snapshots apply.
type snapStartOut struct {
	ApplyOn            string `json:"ApplyOn"`
	OptimizationStatus string `json:"OptimizationStatus"`
}

// applySnapStart sets f.NoSnapshot from a request's SnapStart, if given.
func applySnapStart(f *engine.Function, s *snapStart) error {
	if s == nil {
		return nil
	}
	switch s.ApplyOn {
	case "None":
		f.NoSnapshot = true
	case "PublishedVersions":
		f.NoSnapshot = false
	default:
		return invalidParam("SnapStart.ApplyOn %q: use PublishedVersions or None", s.ApplyOn)
	}
	return nil
}

// Environment holds a function's environment variables.
type Environment struct {
	Variables map[string]string `json:"Variables"`
}

// FunctionCode is CreateFunction's and UpdateFunctionCode's code.
type FunctionCode struct {
	ZipFile []byte `json:"ZipFile"` // base64 in JSON: a zip holding the .wasm, or the module itself
	// Accepted and refused with a clear message: Flint stores code itself.
	S3Bucket        string `json:"S3Bucket,omitempty"`
	S3Key           string `json:"S3Key,omitempty"`
	S3ObjectVersion string `json:"S3ObjectVersion,omitempty"`
	ImageURI        string `json:"ImageUri,omitempty"`
}

// createFunctionInput is CreateFunction's body.
type createFunctionInput struct {
	FunctionName  string            `json:"FunctionName"`
	Role          string            `json:"Role"`
	Handler       string            `json:"Handler"`
	Code          FunctionCode      `json:"Code"`
	Description   string            `json:"Description"`
	Timeout       *int              `json:"Timeout"`
	MemorySize    *int              `json:"MemorySize"`
	Environment   *Environment      `json:"Environment"`
	Publish       bool              `json:"Publish"`
	Runtime       string            `json:"Runtime"`       // accepted, ignored
	PackageType   string            `json:"PackageType"`   // accepted: Zip only
	Architectures []string          `json:"Architectures"` // accepted, ignored
	Tags          map[string]string `json:"Tags"`
	SnapStart     *snapStart        `json:"SnapStart"`
	Ephemeral     *ephemeral        `json:"EphemeralStorage"`
}

type updateCodeInput struct {
	ZipFile       []byte   `json:"ZipFile"`
	Publish       bool     `json:"Publish"`
	RevisionID    string   `json:"RevisionId"`
	DryRun        bool     `json:"DryRun"`
	Architectures []string `json:"Architectures"`
	S3Bucket      string   `json:"S3Bucket"`
	S3Key         string   `json:"S3Key"`
	ImageURI      string   `json:"ImageUri"`
}

type updateConfigInput struct {
	Role        *string      `json:"Role"`
	Handler     *string      `json:"Handler"`
	Description *string      `json:"Description"`
	Timeout     *int         `json:"Timeout"`
	MemorySize  *int         `json:"MemorySize"`
	Environment *Environment `json:"Environment"`
	RevisionID  string       `json:"RevisionId"`
	Runtime     string       `json:"Runtime"` // accepted, ignored
	SnapStart   *snapStart   `json:"SnapStart"`
	Ephemeral   *ephemeral   `json:"EphemeralStorage"`
}

type publishVersionInput struct {
	CodeSha256  string `json:"CodeSha256"`
	Description string `json:"Description"`
	RevisionID  string `json:"RevisionId"`
}

// AliasConfiguration is Lambda's alias.
type AliasConfiguration struct {
	AliasArn        string              `json:"AliasArn"`
	Name            string              `json:"Name"`
	FunctionVersion string              `json:"FunctionVersion"`
	Description     string              `json:"Description"`
	RoutingConfig   *AliasRoutingConfig `json:"RoutingConfig,omitempty"`
	RevisionID      string              `json:"RevisionId"`
}

// AliasRoutingConfig routes a share of an alias's traffic to a second
// version.
type AliasRoutingConfig struct {
	AdditionalVersionWeights map[string]float64 `json:"AdditionalVersionWeights"`
}

type aliasInput struct {
	Name            string              `json:"Name"`
	FunctionVersion string              `json:"FunctionVersion"`
	Description     *string             `json:"Description"`
	RoutingConfig   *AliasRoutingConfig `json:"RoutingConfig"`
	RevisionID      string              `json:"RevisionId"`
}

type concurrencyInput struct {
	ReservedConcurrentExecutions *int `json:"ReservedConcurrentExecutions"`
}

type provisionedInput struct {
	ProvisionedConcurrentExecutions *int `json:"ProvisionedConcurrentExecutions"`
}

// eventInvokeConfig is PutFunctionEventInvokeConfig's body and
// GetFunctionEventInvokeConfig's answer.
type eventInvokeConfig struct {
	FunctionArn              string             `json:"FunctionArn,omitempty"`
	LastModified             float64            `json:"LastModified,omitempty"`
	MaximumRetryAttempts     *int               `json:"MaximumRetryAttempts,omitempty"`
	MaximumEventAgeInSeconds *int               `json:"MaximumEventAgeInSeconds,omitempty"`
	DestinationConfig        *destinationConfig `json:"DestinationConfig,omitempty"`
}

type destinationConfig struct {
	OnSuccess *destination `json:"OnSuccess,omitempty"`
	OnFailure *destination `json:"OnFailure,omitempty"`
}

type destination struct {
	Destination string `json:"Destination"`
}

// lastModified formats a time as Lambda does: 2026-11-28T14:39:11.123+0000.
func lastModified(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000-0700")
}

// codeSha256 turns the engine's hex digest into Lambda's base64.
func codeSha256(hexDigest string) string {
	b, err := hex.DecodeString(hexDigest)
	if err != nil {
		return hexDigest
	}
	return base64.StdEncoding.EncodeToString(b)
}

func (g *Gateway) functionArn(name, qualifier string) string {
	arn := "arn:aws:lambda:" + g.cfg.Region + ":" + g.cfg.AccountID + ":function:" + name
	if qualifier != "" {
		arn += ":" + qualifier
	}
	return arn
}

func (g *Gateway) configuration(info engine.FunctionInfo) FunctionConfiguration {
	qualifier := ""
	if info.Version != engine.LatestVersion {
		qualifier = info.Version
	}
	c := FunctionConfiguration{
		FunctionName: info.Name, FunctionArn: g.functionArn(info.Name, qualifier),
		Runtime: "provided.wasm", Role: info.Role, Handler: info.Handler,
		CodeSize: int64(info.CodeSize), CodeSha256: codeSha256(info.CodeSHA256),
		Description: info.Description, Timeout: int(info.Timeout / time.Second), MemorySize: info.MemoryMB,
		LastModified: lastModified(info.LastModified), Version: info.Version, RevisionID: info.RevisionID,
		State: "Active", LastUpdateStatus: "Successful", PackageType: "Zip", Architectures: []string{"wasm32"},
	}
	if info.Timeout%time.Second != 0 || c.Timeout == 0 {
		c.Timeout = int((info.Timeout + time.Second - 1) / time.Second)
	}
	if len(info.Env) > 0 {
		c.Environment = &Environment{Variables: info.Env}
	}
	if info.NoSnapshot {
		c.SnapStart = &snapStartOut{ApplyOn: "None", OptimizationStatus: "Off"}
	} else {
		c.SnapStart = &snapStartOut{ApplyOn: "PublishedVersions", OptimizationStatus: "On"}
	}
	if info.EphemeralStorageMB > 0 {
		c.EphemeralStorage = &ephemeral{Size: info.EphemeralStorageMB}
	}
	return c
}

// parseFunctionName accepts the forms Lambda does: NAME, NAME:QUALIFIER,
// ACCOUNT:function:NAME[:QUALIFIER] and the full ARN.
func parseFunctionName(s string) (name, qualifier string, err error) {
	parts := strings.Split(s, ":")
	switch {
	case len(parts) >= 7 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function":
		parts = parts[6:]
	case len(parts) >= 3 && parts[1] == "function":
		parts = parts[2:]
	}
	switch len(parts) {
	case 1:
		name = parts[0]
	case 2:
		name, qualifier = parts[0], parts[1]
		if qualifier == "" {
			return "", "", invalidParam("function name %q has an empty qualifier", s)
		}
	default:
		return "", "", invalidParam("%q is not a function name, NAME:QUALIFIER or a function ARN", s)
	}
	if !names.Function(name) {
		return "", "", invalidParam("function name %q: use 1 to 64 letters, digits, hyphens or underscores", name)
	}
	return name, qualifier, nil
}
