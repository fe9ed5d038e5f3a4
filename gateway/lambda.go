package gateway

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/flintfaas/flint/internal/names"
)

func unknownOp(c *call) error {
	return apiErr("UnknownOperationException", "unknown operation %s %s", c.ctx.Method(), c.ctx.Path())
}

func notAllowed(c *call) error {
	return apiErr("MethodNotAllowedException", "%s is not allowed on %s", c.ctx.Method(), c.ctx.Path())
}

// fnRef is the function (and qualifier) a request names.
type fnRef struct{ name, qualifier string }

func (f fnRef) target() string {
	if f.qualifier == "" {
		return f.name
	}
	return f.name + ":" + f.qualifier
}

// extractModule returns the WebAssembly module in a deployment package: a
// zip holding exactly one .wasm file (read with a size cap, so a zip bomb
// stops at the cap), or the module itself.
func extractModule(pkg []byte, limit int) ([]byte, error) {
	switch {
	case len(pkg) == 0:
		return nil, invalidParam("Code.ZipFile is empty: send a zip holding the .wasm module, or the module itself")
	case bytes.HasPrefix(pkg, []byte("\x00asm")):
		return pkg, nil
	case !bytes.HasPrefix(pkg, []byte("PK")):
		return nil, invalidParam("Code.ZipFile is neither a zip file nor a WebAssembly module")
	}
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		return nil, invalidParam("Code.ZipFile: could not unzip: %v", err)
	}
	var wasm []*zip.File
	for _, f := range zr.File {
		if strings.HasSuffix(strings.ToLower(f.Name), ".wasm") && !f.FileInfo().IsDir() {
			wasm = append(wasm, f)
		}
	}
	if len(wasm) != 1 {
		return nil, invalidParam("Code.ZipFile holds %d .wasm files; it must hold exactly one", len(wasm))
	}
	if wasm[0].UncompressedSize64 > uint64(limit) {
		return nil, apiErr("RequestTooLargeException", "the module in Code.ZipFile is %d bytes unzipped, over the %d-byte limit", wasm[0].UncompressedSize64, limit)
	}
	rc, err := wasm[0].Open()
	if err != nil {
		return nil, invalidParam("Code.ZipFile: %v", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, int64(limit)+1))
	if err != nil {
		return nil, invalidParam("Code.ZipFile: %s: %v", wasm[0].Name, err)
	}
	if len(b) > limit {
		return nil, apiErr("RequestTooLargeException", "the module in Code.ZipFile unzips to more than the %d-byte limit", limit)
	}
	if len(b) == 0 {
		return nil, invalidParam("Code.ZipFile: %s is empty", wasm[0].Name)
	}
	return b, nil
}

// maxModule is the largest module the engine takes.
func (g *Gateway) maxModule() int { return engine.DefaultMaxModuleBytes }

func (g *Gateway) createFunction(c *call) error {
	var in createFunctionInput
	if err := readJSON(c.ctx, &in); err != nil {
		return err
	}
	name, q, err := parseFunctionName(in.FunctionName)
	if err != nil {
		return err
	}
	if q != "" {
		return invalidParam("FunctionName %q: create a function without a qualifier", in.FunctionName)
	}
	if in.PackageType != "" && in.PackageType != "Zip" {
		return invalidParam("PackageType %q: Flint runs WebAssembly modules, sent as Zip", in.PackageType)
	}
	if in.Code.S3Bucket != "" || in.Code.ImageURI != "" {
		return invalidParam("Code: send the module in Code.ZipFile; Flint does not read S3 or images")
	}
	// Deploy replaces an existing $LATEST: the name is held from the check
	// until Deploy returns, so that of two creates one fails.
	if _, busy := g.creating.LoadOrStore(name, struct{}{}); busy {
		return apiErr("ResourceConflictException", "Function already exist: %s", name)
	}
	defer g.creating.Delete(name)
	if _, err := g.eng.Function(name); err == nil {
		return apiErr("ResourceConflictException", "Function already exist: %s", name)
	}
	code, err := extractModule(in.Code.ZipFile, g.maxModule())
	if err != nil {
		return err
	}
	f := engine.Function{Name: name, Code: code, Handler: in.Handler, Description: in.Description}
	if err := g.applyConfig(&f, in.Role, in.Timeout, in.MemorySize, in.Environment); err != nil {
		return err
	}
	if err := applySnapStart(&f, in.SnapStart); err != nil {
		return err
	}
	if err := applyEphemeral(&f, in.Ephemeral); err != nil {
		return err
	}
	if f.Handler != "" && strings.Contains(f.Handler, ".") && !strings.HasPrefix(f.Handler, "flint") {
		// A Lambda-style "file.function" handler names no export: use the default.
		f.Handler = ""
	}
	info, err := g.eng.Deploy(c.ctx, f)
	if err != nil {
		return err
	}
	if len(in.Tags) > 0 {
		if _, err := g.eng.UpdateSettings(c.ctx, name, func(s *engine.Settings) error {
			s.Tags = in.Tags
			return nil
		}); err != nil {
			// The function must not stay without the tags it was asked
			// to have: the request fails as a whole.
			_ = g.eng.Remove(context.WithoutCancel(c.ctx), name)
			return err
		}
	}
	if in.Publish {
		if info, err = g.eng.PublishVersion(c.ctx, name, in.Description); err != nil {
			return err
		}
	}
	writeJSON(c.ctx, http.StatusCreated, g.configuration(*info))
	return nil
}

// applyConfig sets the configuration fields a request gave.
func (g *Gateway) applyConfig(f *engine.Function, role string, timeout, memory *int, env *Environment) error {
	if role != "" {
		pol, err := g.roles.policyFor(role)
		if err != nil {
			return err
		}
		f.Role, f.Policy = role, pol
	}
	if timeout != nil {
		if *timeout < 1 || *timeout > 900 {
			return invalidParam("Timeout %d: must be between 1 and 900 seconds", *timeout)
		}
		f.Timeout = time.Duration(*timeout) * time.Second
	}
	if memory != nil {
		if *memory < 1 || *memory > engine.MaxMemoryMB {
			return invalidParam("MemorySize %d: must be between 1 and %d MB", *memory, engine.MaxMemoryMB)
		}
		f.MemoryMB = *memory
	}
	if env != nil {
		f.Env = env.Variables
	}
	return nil
}

func (g *Gateway) getFunction(c *call) error {
	f := c.fn
	info, err := g.eng.Function(f.target())
	if err != nil {
		return err
	}
	out := map[string]any{
		"Configuration": g.configuration(info),
		"Code": map[string]string{
			"RepositoryType": "Flint",
			"Location":       g.codeLocation(c, f.name, info.Version),
		},
	}
	s, err := g.eng.Settings(f.name)
	if err != nil {
		return err
	}
	out["Tags"] = s.Tags
	if s.Tags == nil {
		out["Tags"] = map[string]string{}
	}
	if r := s.ReservedConcurrency; r != nil {
		out["Concurrency"] = map[string]int{"ReservedConcurrentExecutions": *r}
	}
	writeJSON(c.ctx, http.StatusOK, out)
	return nil
}

func (g *Gateway) getConfiguration(c *call) error {
	f := c.fn
	info, err := g.eng.Function(f.target())
	if err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusOK, g.configuration(info))
	return nil
}

func (g *Gateway) listFunctions(c *call) error {
	max, err := queryInt(c.ctx, "MaxItems", 50, 1, 10000)
	if err != nil {
		return err
	}
	marker := query(c.ctx, "Marker")
	all := query(c.ctx, "FunctionVersion") == "ALL"
	var out []FunctionConfiguration
	for _, info := range g.eng.Functions() {
		if all {
			versions, err := g.eng.Versions(info.Name)
			if err != nil {
				continue
			}
			for _, v := range versions {
				out = append(out, g.configuration(v))
			}
			continue
		}
		out = append(out, g.configuration(info))
	}
	page, next := paginate(out, marker, max, func(fc FunctionConfiguration) string { return fc.FunctionArn })
	resp := map[string]any{"Functions": page}
	if next != "" {
		resp["NextMarker"] = next
	}
	writeJSON(c.ctx, http.StatusOK, resp)
	return nil
}

// paginate returns the items after marker (a key of an item), at most max,
// and the marker of the next page ("" on the last).
func paginate[T any](items []T, marker string, max int, key func(T) string) ([]T, string) {
	start := 0
	if marker != "" {
		// The item the marker names, when it is still there: the listing
		// order need not be the keys' order ("f:1" comes before "f-2" in
		// a listing of versions, after it as a string).
		start = slices.IndexFunc(items, func(it T) bool { return key(it) == marker }) + 1
		if start == 0 {
			start = len(items)
			for i, it := range items {
				if key(it) > marker {
					start = i
					break
				}
			}
		}
	}
	end := min(start+max, len(items))
	page := items[start:end]
	if page == nil {
		page = []T{}
	}
	if end < len(items) {
		return page, key(items[end-1])
	}
	return page, ""
}

func (g *Gateway) updateCode(c *call) error {
	f := c.fn
	var in updateCodeInput
	if err := readJSON(c.ctx, &in); err != nil {
		return err
	}
	if f.qualifier != "" {
		return invalidParam("only $LATEST's code can be updated")
	}
	if in.S3Bucket != "" || in.ImageURI != "" {
		return invalidParam("send the module in ZipFile; Flint does not read S3 or images")
	}
	if err := g.checkRevision(f.name, in.RevisionID); err != nil {
		return err
	}
	code, err := extractModule(in.ZipFile, g.maxModule())
	if err != nil {
		return err
	}
	info, err := g.eng.Update(c.ctx, f.name, func(fn *engine.Function) error {
		fn.Code = code
		return nil
	})
	if err != nil {
		return err
	}
	if in.Publish {
		if info, err = g.eng.PublishVersion(c.ctx, f.name, ""); err != nil {
			return err
		}
	}
	writeJSON(c.ctx, http.StatusOK, g.configuration(*info))
	return nil
}

// checkRevision enforces an optional RevisionId precondition on $LATEST.
func (g *Gateway) checkRevision(name, want string) error {
	if want == "" {
		return nil
	}
	info, err := g.eng.Function(name)
	if err != nil {
		return err
	}
	if info.RevisionID != want {
		return apiErr("PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
	}
	return nil
}

func (g *Gateway) updateConfiguration(c *call) error {
	f := c.fn
	var in updateConfigInput
	if err := readJSON(c.ctx, &in); err != nil {
		return err
	}
	if f.qualifier != "" {
		return invalidParam("only $LATEST's configuration can be updated")
	}
	if err := g.checkRevision(f.name, in.RevisionID); err != nil {
		return err
	}
	info, err := g.eng.Update(c.ctx, f.name, func(fn *engine.Function) error {
		role := ""
		if in.Role != nil {
			role = *in.Role
		}
		if err := g.applyConfig(fn, role, in.Timeout, in.MemorySize, in.Environment); err != nil {
			return err
		}
		if err := applySnapStart(fn, in.SnapStart); err != nil {
			return err
		}
		if err := applyEphemeral(fn, in.Ephemeral); err != nil {
			return err
		}
		if in.Handler != nil {
			fn.Handler = *in.Handler
		}
		if in.Description != nil {
			fn.Description = *in.Description
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusOK, g.configuration(*info))
	return nil
}

func (g *Gateway) deleteFunction(c *call) error {
	f := c.fn
	if f.qualifier != "" {
		if err := g.eng.DeleteVersion(c.ctx, f.name, f.qualifier); err != nil {
			return err
		}
	} else if err := g.eng.Remove(c.ctx, f.name); err != nil {
		return err
	}
	c.ctx.SetStatusCode(http.StatusNoContent)
	return nil
}

func (g *Gateway) publishVersion(c *call) error {
	f := c.fn
	var in publishVersionInput
	if err := readJSON(c.ctx, &in); err != nil {
		return err
	}
	if err := g.checkRevision(f.name, in.RevisionID); err != nil {
		return err
	}
	if in.CodeSha256 != "" {
		info, err := g.eng.Function(f.name)
		if err != nil {
			return err
		}
		if codeSha256(info.CodeSHA256) != in.CodeSha256 {
			return apiErr("InvalidParameterValueException", "CodeSha256 %s does not match the function's code (%s)", in.CodeSha256, codeSha256(info.CodeSHA256))
		}
	}
	info, err := g.eng.PublishVersion(c.ctx, f.name, in.Description)
	if err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusCreated, g.configuration(*info))
	return nil
}

func (g *Gateway) listVersions(c *call) error {
	f := c.fn
	max, err := queryInt(c.ctx, "MaxItems", 50, 1, 10000)
	if err != nil {
		return err
	}
	versions, err := g.eng.Versions(f.name)
	if err != nil {
		return err
	}
	out := make([]FunctionConfiguration, len(versions))
	for i, v := range versions {
		out[i] = g.configuration(v)
	}
	// $LATEST first, then versions in order: the marker is a position.
	page, next := paginateIndex(out, query(c.ctx, "Marker"), max)
	resp := map[string]any{"Versions": page}
	if next != "" {
		resp["NextMarker"] = next
	}
	writeJSON(c.ctx, http.StatusOK, resp)
	return nil
}

// paginateIndex pages by position; the marker is the index to start at.
func paginateIndex[T any](items []T, marker string, max int) ([]T, string) {
	start := 0
	if marker != "" {
		n, err := strconv.Atoi(marker)
		if err == nil && n >= 0 {
			start = min(n, len(items))
		}
	}
	end := min(start+max, len(items))
	page := slices.Clone(items[start:end])
	if page == nil {
		page = []T{}
	}
	if end < len(items) {
		return page, strconv.Itoa(end)
	}
	return page, ""
}

func (g *Gateway) aliasConfiguration(function string, a engine.Alias) AliasConfiguration {
	out := AliasConfiguration{
		AliasArn: g.functionArn(function, a.Name), Name: a.Name, FunctionVersion: a.FunctionVersion,
		Description: a.Description, RevisionID: a.RevisionID,
	}
	if a.AdditionalVersion != "" {
		out.RoutingConfig = &AliasRoutingConfig{AdditionalVersionWeights: map[string]float64{a.AdditionalVersion: a.AdditionalWeight}}
	}
	return out
}

func routing(rc *AliasRoutingConfig) (string, float64, error) {
	if rc == nil || len(rc.AdditionalVersionWeights) == 0 {
		return "", 0, nil
	}
	if len(rc.AdditionalVersionWeights) > 1 {
		return "", 0, invalidParam("RoutingConfig: at most one additional version")
	}
	for v, w := range rc.AdditionalVersionWeights {
		return v, w, nil
	}
	return "", 0, nil
}

func (g *Gateway) createAlias(c *call) error {
	f := c.fn
	var in aliasInput
	if err := readJSON(c.ctx, &in); err != nil {
		return err
	}
	if _, err := g.eng.Alias(f.name, in.Name); err == nil {
		return apiErr("ResourceConflictException", "Alias already exists: %s", g.functionArn(f.name, in.Name))
	}
	return g.setAlias(c, f.name, in, http.StatusCreated)
}

func (g *Gateway) setAlias(c *call, function string, in aliasInput, status int) error {
	if in.FunctionVersion == "" {
		return invalidParam("FunctionVersion is required")
	}
	add, weight, err := routing(in.RoutingConfig)
	if err != nil {
		return err
	}
	a := engine.Alias{Name: in.Name, FunctionVersion: in.FunctionVersion, AdditionalVersion: add, AdditionalWeight: weight}
	if in.Description != nil {
		a.Description = *in.Description
	}
	a, err = g.eng.SetAlias(c.ctx, function, a)
	if err != nil {
		return err
	}
	writeJSON(c.ctx, status, g.aliasConfiguration(function, a))
	return nil
}

func (g *Gateway) getAlias(c *call) error {
	f, name := c.fn, c.params.get("alias")
	a, err := g.eng.Alias(f.name, name)
	if err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusOK, g.aliasConfiguration(f.name, a))
	return nil
}

func (g *Gateway) updateAlias(c *call) error {
	f, name := c.fn, c.params.get("alias")
	var in aliasInput
	if err := readJSON(c.ctx, &in); err != nil {
		return err
	}
	cur, err := g.eng.Alias(f.name, name)
	if err != nil {
		return err
	}
	if in.RevisionID != "" && in.RevisionID != cur.RevisionID {
		return apiErr("PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetAlias API to retrieve the latest Revision Id")
	}
	in.Name = name
	if in.FunctionVersion == "" {
		in.FunctionVersion = cur.FunctionVersion
	}
	if in.Description == nil {
		in.Description = &cur.Description
	}
	if in.RoutingConfig == nil && cur.AdditionalVersion != "" {
		in.RoutingConfig = &AliasRoutingConfig{AdditionalVersionWeights: map[string]float64{cur.AdditionalVersion: cur.AdditionalWeight}}
	}
	return g.setAlias(c, f.name, in, http.StatusOK)
}

func (g *Gateway) deleteAlias(c *call) error {
	f, name := c.fn, c.params.get("alias")
	if err := g.eng.DeleteAlias(c.ctx, f.name, name); err != nil {
		return err
	}
	c.ctx.SetStatusCode(http.StatusNoContent)
	return nil
}

func (g *Gateway) listAliases(c *call) error {
	f := c.fn
	max, err := queryInt(c.ctx, "MaxItems", 50, 1, 10000)
	if err != nil {
		return err
	}
	aliases, err := g.eng.Aliases(f.name)
	if err != nil {
		return err
	}
	version := query(c.ctx, "FunctionVersion")
	var out []AliasConfiguration
	for _, a := range aliases {
		if version == "" || a.FunctionVersion == version {
			out = append(out, g.aliasConfiguration(f.name, a))
		}
	}
	page, next := paginate(out, query(c.ctx, "Marker"), max, func(a AliasConfiguration) string { return a.Name })
	resp := map[string]any{"Aliases": page}
	if next != "" {
		resp["NextMarker"] = next
	}
	writeJSON(c.ctx, http.StatusOK, resp)
	return nil
}

func (g *Gateway) putConcurrency(c *call) error {
	f := c.fn
	var in concurrencyInput
	if err := readJSON(c.ctx, &in); err != nil {
		return err
	}
	if in.ReservedConcurrentExecutions == nil {
		return invalidParam("ReservedConcurrentExecutions is required")
	}
	_, err := g.eng.UpdateSettings(c.ctx, f.name, func(s *engine.Settings) error {
		s.ReservedConcurrency = in.ReservedConcurrentExecutions
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusOK, map[string]int{"ReservedConcurrentExecutions": *in.ReservedConcurrentExecutions})
	return nil
}

func (g *Gateway) deleteConcurrency(c *call) error {
	f := c.fn
	_, err := g.eng.UpdateSettings(c.ctx, f.name, func(s *engine.Settings) error {
		s.ReservedConcurrency = nil
		return nil
	})
	if err != nil {
		return err
	}
	c.ctx.SetStatusCode(http.StatusNoContent)
	return nil
}

func (g *Gateway) getConcurrency(c *call) error {
	f := c.fn
	s, err := g.eng.Settings(f.name)
	if err != nil {
		return err
	}
	out := map[string]any{}
	if r := s.ReservedConcurrency; r != nil {
		out["ReservedConcurrentExecutions"] = *r
	}
	writeJSON(c.ctx, http.StatusOK, out)
	return nil
}

func (g *Gateway) putProvisioned(c *call) error {
	f := c.fn
	var in provisionedInput
	if err := readJSON(c.ctx, &in); err != nil {
		return err
	}
	if f.qualifier == "" || f.qualifier == engine.LatestVersion {
		return invalidParam("provisioned concurrency needs a published version or an alias as Qualifier")
	}
	if in.ProvisionedConcurrentExecutions == nil || *in.ProvisionedConcurrentExecutions < 1 {
		return invalidParam("ProvisionedConcurrentExecutions must be at least 1")
	}
	n := *in.ProvisionedConcurrentExecutions
	err := g.setProvisioned(c, n)
	if errors.Is(err, engine.ErrInitFailed) {
		// Saved, but the instances cannot be made: Lambda's FAILED status.
		out := provisionedStatus(n, "FAILED")
		out["AllocatedProvisionedConcurrentExecutions"] = 0
		out["AvailableProvisionedConcurrentExecutions"] = 0
		out["StatusReason"] = err.Error()
		writeJSON(c.ctx, http.StatusAccepted, out)
		return nil
	}
	if err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusAccepted, provisionedStatus(n, "READY"))
	return nil
}

// setProvisioned sets the provisioned concurrency of the qualifier a call
// names (0 removes it), and returns once the instances are ready.
func (g *Gateway) setProvisioned(c *call, n int) error {
	f := c.fn
	_, err := g.eng.UpdateSettings(c.ctx, f.name, func(s *engine.Settings) error {
		if s.ProvisionedConcurrency == nil {
			s.ProvisionedConcurrency = map[string]int{}
		}
		s.ProvisionedConcurrency[f.qualifier] = n
		return nil
	})
	return err
}

func provisionedStatus(n int, status string) map[string]any {
	return map[string]any{
		"RequestedProvisionedConcurrentExecutions": n,
		"AllocatedProvisionedConcurrentExecutions": n,
		"AvailableProvisionedConcurrentExecutions": n,
		"Status":       status,
		"LastModified": lastModified(time.Now()),
	}
}

func (g *Gateway) getProvisioned(c *call) error {
	f := c.fn
	if query(c.ctx, "List") == "ALL" {
		return g.listProvisioned(c)
	}
	q := f.qualifier
	if q == "" {
		q = engine.LatestVersion
	}
	if _, err := g.eng.Function(f.name + ":" + q); err != nil {
		return err
	}
	s, err := g.eng.Settings(f.name)
	if err != nil {
		return err
	}
	n := s.ProvisionedConcurrency[q]
	if n == 0 {
		return apiErr("ProvisionedConcurrencyConfigNotFoundException", "No Provisioned Concurrency Config found for this function")
	}
	writeJSON(c.ctx, http.StatusOK, provisionedStatus(n, "READY"))
	return nil
}

// listProvisioned serves ListProvisionedConcurrencyConfigs, which shares
// GetProvisionedConcurrencyConfig's path and tells itself apart by List=ALL.
func (g *Gateway) listProvisioned(c *call) error {
	f := c.fn
	max, err := queryInt(c.ctx, "MaxItems", 50, 1, 50)
	if err != nil {
		return err
	}
	s, err := g.eng.Settings(f.name)
	if err != nil {
		return err
	}
	items := make([]map[string]any, 0, len(s.ProvisionedConcurrency))
	for _, q := range slices.Sorted(maps.Keys(s.ProvisionedConcurrency)) {
		n := s.ProvisionedConcurrency[q]
		if n == 0 {
			continue
		}
		item := provisionedStatus(n, "READY")
		item["FunctionArn"] = g.functionArn(f.name, q)
		items = append(items, item)
	}
	page, next := paginateIndex(items, query(c.ctx, "Marker"), max)
	out := map[string]any{"ProvisionedConcurrencyConfigs": page}
	if next != "" {
		out["NextMarker"] = next
	}
	writeJSON(c.ctx, http.StatusOK, out)
	return nil
}

func (g *Gateway) deleteProvisioned(c *call) error {
	f := c.fn
	if f.qualifier == "" {
		return invalidParam("Qualifier is required")
	}
	if err := g.setProvisioned(c, 0); err != nil {
		return err
	}
	c.ctx.SetStatusCode(http.StatusNoContent)
	return nil
}

// destinationIn turns a Lambda destination ARN into the engine's form:
// a function ARN becomes "function:NAME[:QUALIFIER]"; Flint's dead-letter
// store is "flint:dead-letter" (or "dead-letter").
func (g *Gateway) destinationIn(d *destination) (string, error) {
	if d == nil || d.Destination == "" {
		return "", nil
	}
	s := d.Destination
	switch {
	case s == engine.DeadLetterDestination || s == "flint:dead-letter":
		return engine.DeadLetterDestination, nil
	case strings.Contains(s, ":function:") || names.Function(s):
		name, q, err := parseFunctionName(s)
		if err != nil {
			return "", err
		}
		t := engine.FunctionDestinationPrefix + name
		if q != "" {
			t += ":" + q
		}
		return t, nil
	}
	return "", invalidParam("destination %q: use a function ARN or \"flint:dead-letter\" (SQS, SNS and EventBridge are not available)", s)
}

func (g *Gateway) destinationOut(s string) *destination {
	switch {
	case s == "":
		return nil
	case s == engine.DeadLetterDestination:
		return &destination{Destination: "flint:dead-letter"}
	}
	name, q, _ := strings.Cut(strings.TrimPrefix(s, engine.FunctionDestinationPrefix), ":")
	return &destination{Destination: g.functionArn(name, q)}
}

func (g *Gateway) putEventInvokeConfig(c *call) error { return g.setEventInvokeConfig(c, false) }

func (g *Gateway) updateEventInvokeConfig(c *call) error { return g.setEventInvokeConfig(c, true) }

// setEventInvokeConfig serves PutFunctionEventInvokeConfig, which replaces
// the configuration, and, with update, UpdateFunctionEventInvokeConfig,
// which changes the fields given.
func (g *Gateway) setEventInvokeConfig(c *call, update bool) error {
	f := c.fn
	var in eventInvokeConfig
	if err := readJSON(c.ctx, &in); err != nil {
		return err
	}
	if in.MaximumEventAgeInSeconds != nil && *in.MaximumEventAgeInSeconds == 0 {
		return invalidParam("MaximumEventAgeInSeconds 0: must be between 60 and 21600")
	}
	var onSuccess, onFailure string
	if d := in.DestinationConfig; d != nil {
		var err error
		if onSuccess, err = g.destinationIn(d.OnSuccess); err != nil {
			return err
		}
		if onFailure, err = g.destinationIn(d.OnFailure); err != nil {
			return err
		}
	}
	_, err := g.eng.UpdateSettings(c.ctx, f.name, func(s *engine.Settings) error {
		cfg := engine.EventInvokeConfig{}
		if update {
			cfg = s.EventInvokeConfig
		}
		if in.MaximumRetryAttempts != nil {
			cfg.MaximumRetryAttempts = in.MaximumRetryAttempts
		}
		if in.MaximumEventAgeInSeconds != nil {
			cfg.MaximumEventAge = time.Duration(*in.MaximumEventAgeInSeconds) * time.Second
		}
		if in.DestinationConfig != nil {
			cfg.OnSuccess, cfg.OnFailure = onSuccess, onFailure
		}
		s.EventInvokeConfig = cfg
		return nil
	})
	if err != nil {
		return err
	}
	return g.getEventInvokeConfig(c)
}

func (g *Gateway) getEventInvokeConfig(c *call) error {
	f := c.fn
	s, err := g.eng.Settings(f.name)
	if err != nil {
		return err
	}
	cfg := s.EventInvokeConfig
	if cfg.IsZero() {
		return apiErr("ResourceNotFoundException", "The function %s doesn't have an EventInvokeConfig", g.functionArn(f.name, f.qualifier))
	}
	out := eventInvokeConfig{
		FunctionArn:          g.functionArn(f.name, f.qualifier),
		LastModified:         float64(time.Now().Unix()),
		MaximumRetryAttempts: cfg.MaximumRetryAttempts,
	}
	if cfg.MaximumEventAge > 0 {
		s := int(cfg.MaximumEventAge / time.Second)
		out.MaximumEventAgeInSeconds = &s
	}
	if cfg.OnSuccess != "" || cfg.OnFailure != "" {
		out.DestinationConfig = &destinationConfig{OnSuccess: g.destinationOut(cfg.OnSuccess), OnFailure: g.destinationOut(cfg.OnFailure)}
	}
	writeJSON(c.ctx, http.StatusOK, out)
	return nil
}

func (g *Gateway) deleteEventInvokeConfig(c *call) error {
	f := c.fn
	_, err := g.eng.UpdateSettings(c.ctx, f.name, func(s *engine.Settings) error {
		s.EventInvokeConfig = engine.EventInvokeConfig{}
		return nil
	})
	if err != nil {
		return err
	}
	c.ctx.SetStatusCode(http.StatusNoContent)
	return nil
}

// baseURL is where clients reach this gateway.
func (g *Gateway) baseURL(c *call) string {
	if g.cfg.PublicURL != "" {
		return strings.TrimSuffix(g.cfg.PublicURL, "/")
	}
	scheme := "http"
	if c.ctx.IsTLS() || c.ctx.UserValue(tlsKey{}) != nil {
		scheme = "https"
	}
	return scheme + "://" + string(c.ctx.Host())
}
