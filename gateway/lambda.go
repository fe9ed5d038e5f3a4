package gateway

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flintfaas/flint/engine"
	"github.com/valyala/fasthttp"
)

// lambdaAPI routes a request of the Lambda REST API.
func (g *Gateway) lambdaAPI(c *call) error {
	ctx := c.ctx
	method := string(ctx.Method())
	segs := strings.Split(strings.Trim(string(ctx.Path()), "/"), "/")
	if len(segs) < 2 || segs[1] != "functions" {
		return apiErr("UnknownOperationException", "unknown operation %s %s", method, ctx.Path())
	}
	apiVersion, rest := segs[0], segs[2:]
	if len(rest) == 0 {
		if apiVersion != "2015-03-31" {
			return unknownOp(c)
		}
		if err := c.requireAdmin(); err != nil {
			return err
		}
		switch method {
		case http.MethodGet:
			return g.listFunctions(c)
		case http.MethodPost:
			return g.createFunction(c)
		}
		return notAllowed(c)
	}
	name, qualifier, err := parseFunctionName(rest[0])
	if err != nil {
		return err
	}
	if q := query(ctx, "Qualifier"); q != "" {
		if qualifier != "" && qualifier != q {
			return invalidParam("the qualifier in the function name (%s) and the Qualifier parameter (%s) differ", qualifier, q)
		}
		qualifier = q
	}
	f := fnRef{name: name, qualifier: qualifier}
	sub := rest[1:]
	op := apiVersion + " " + strings.Join(sub, "/")
	if len(sub) >= 1 {
		op = apiVersion + " " + sub[0]
	}
	// Invoking is allowed to keys the function's invoke policy grants;
	// everything else needs an admin's key.
	if op == "2015-03-31 invocations" && method == http.MethodPost {
		return g.invoke(c, f)
	}
	if err := c.requireAdmin(); err != nil {
		return err
	}
	switch {
	case op == "2015-03-31 " && len(sub) == 0:
		switch method {
		case http.MethodGet:
			return g.getFunction(c, f)
		case http.MethodDelete:
			return g.deleteFunction(c, f)
		}
	case op == "2015-03-31 configuration" && len(sub) == 1:
		switch method {
		case http.MethodGet:
			return g.getConfiguration(c, f)
		case http.MethodPut:
			return g.updateConfiguration(c, f)
		}
	case op == "2015-03-31 code" && len(sub) == 1 && method == http.MethodPut:
		return g.updateCode(c, f)
	case op == "2015-03-31 versions" && len(sub) == 1:
		switch method {
		case http.MethodGet:
			return g.listVersions(c, f)
		case http.MethodPost:
			return g.publishVersion(c, f)
		}
	case op == "2015-03-31 aliases" && len(sub) == 1:
		switch method {
		case http.MethodGet:
			return g.listAliases(c, f)
		case http.MethodPost:
			return g.createAlias(c, f)
		}
	case op == "2015-03-31 aliases" && len(sub) == 2:
		switch method {
		case http.MethodGet:
			return g.getAlias(c, f, sub[1])
		case http.MethodPut:
			return g.updateAlias(c, f, sub[1])
		case http.MethodDelete:
			return g.deleteAlias(c, f, sub[1])
		}
	case op == "2015-03-31 policy" && len(sub) == 1:
		switch method {
		case http.MethodGet:
			return g.getPolicy(c, f)
		case http.MethodPost:
			return g.addPermission(c, f)
		}
	case op == "2015-03-31 policy" && len(sub) == 2 && method == http.MethodDelete:
		return g.removePermission(c, f, sub[1])
	case op == "2017-10-31 concurrency" && len(sub) == 1:
		switch method {
		case http.MethodPut:
			return g.putConcurrency(c, f)
		case http.MethodDelete:
			return g.deleteConcurrency(c, f)
		}
	case op == "2019-09-30 concurrency" && len(sub) == 1 && method == http.MethodGet:
		return g.getConcurrency(c, f)
	case op == "2019-09-30 provisioned-concurrency" && len(sub) == 1:
		switch method {
		case http.MethodPut:
			return g.putProvisioned(c, f)
		case http.MethodGet:
			return g.getProvisioned(c, f)
		case http.MethodDelete:
			return g.deleteProvisioned(c, f)
		}
	case op == "2019-09-25 event-invoke-config" && len(sub) == 1:
		switch method {
		case http.MethodPut, http.MethodPost:
			return g.putEventInvokeConfig(c, f, method == http.MethodPost)
		case http.MethodGet:
			return g.getEventInvokeConfig(c, f)
		case http.MethodDelete:
			return g.deleteEventInvokeConfig(c, f)
		}
	case op == "2021-10-31 url" && len(sub) == 1:
		switch method {
		case http.MethodPost:
			return g.createURL(c, f)
		case http.MethodGet:
			return g.getURL(c, f)
		case http.MethodPut:
			return g.updateURL(c, f)
		case http.MethodDelete:
			return g.deleteURL(c, f)
		}
	default:
		return unknownOp(c)
	}
	return notAllowed(c)
}

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
	if f.Handler != "" && strings.Contains(f.Handler, ".") && !strings.HasPrefix(f.Handler, "flint") {
		// A Lambda-style "file.function" handler names no export: use the default.
		f.Handler = ""
	}
	info, err := g.eng.Deploy(c.ctx, f)
	if err != nil {
		return err
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

func (g *Gateway) getFunction(c *call, f fnRef) error {
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
		"Tags": map[string]string{},
	}
	if info.MaxInstances > 0 {
		out["Concurrency"] = map[string]int{"ReservedConcurrentExecutions": info.MaxInstances}
	}
	writeJSON(c.ctx, http.StatusOK, out)
	return nil
}

func (g *Gateway) getConfiguration(c *call, f fnRef) error {
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

func (g *Gateway) updateCode(c *call, f fnRef) error {
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
	info, err := g.eng.UpdateCode(c.ctx, f.name, code)
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

func (g *Gateway) updateConfiguration(c *call, f fnRef) error {
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
	info, err := g.eng.UpdateConfig(c.ctx, f.name, func(fn *engine.Function) error {
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

func (g *Gateway) deleteFunction(c *call, f fnRef) error {
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

func (g *Gateway) publishVersion(c *call, f fnRef) error {
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

func (g *Gateway) listVersions(c *call, f fnRef) error {
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

func (g *Gateway) createAlias(c *call, f fnRef) error {
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

func (g *Gateway) getAlias(c *call, f fnRef, name string) error {
	a, err := g.eng.Alias(f.name, name)
	if err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusOK, g.aliasConfiguration(f.name, a))
	return nil
}

func (g *Gateway) updateAlias(c *call, f fnRef, name string) error {
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

func (g *Gateway) deleteAlias(c *call, f fnRef, name string) error {
	if err := g.eng.DeleteAlias(c.ctx, f.name, name); err != nil {
		return err
	}
	c.ctx.SetStatusCode(http.StatusNoContent)
	return nil
}

func (g *Gateway) listAliases(c *call, f fnRef) error {
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

func (g *Gateway) putConcurrency(c *call, f fnRef) error {
	var in concurrencyInput
	if err := readJSON(c.ctx, &in); err != nil {
		return err
	}
	if in.ReservedConcurrentExecutions == nil {
		return invalidParam("ReservedConcurrentExecutions is required")
	}
	if err := g.eng.SetReservedConcurrency(c.ctx, f.name, *in.ReservedConcurrentExecutions); err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusOK, map[string]int{"ReservedConcurrentExecutions": *in.ReservedConcurrentExecutions})
	return nil
}

func (g *Gateway) deleteConcurrency(c *call, f fnRef) error {
	if err := g.eng.SetReservedConcurrency(c.ctx, f.name, 0); err != nil {
		return err
	}
	c.ctx.SetStatusCode(http.StatusNoContent)
	return nil
}

func (g *Gateway) getConcurrency(c *call, f fnRef) error {
	info, err := g.eng.Function(f.name)
	if err != nil {
		return err
	}
	out := map[string]any{}
	if info.MaxInstances > 0 {
		out["ReservedConcurrentExecutions"] = info.MaxInstances
	}
	writeJSON(c.ctx, http.StatusOK, out)
	return nil
}

func (g *Gateway) putProvisioned(c *call, f fnRef) error {
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
	if err := g.eng.SetProvisionedConcurrency(c.ctx, f.name, f.qualifier, n); err != nil {
		return err
	}
	writeJSON(c.ctx, http.StatusAccepted, provisionedStatus(n))
	return nil
}

func provisionedStatus(n int) map[string]any {
	return map[string]any{
		"RequestedProvisionedConcurrentExecutions": n,
		"AllocatedProvisionedConcurrentExecutions": n,
		"AvailableProvisionedConcurrentExecutions": n,
		"Status":       "READY",
		"LastModified": lastModified(time.Now()),
	}
}

func (g *Gateway) getProvisioned(c *call, f fnRef) error {
	q := f.qualifier
	if q == "" {
		q = engine.LatestVersion
	}
	n, err := g.eng.ProvisionedConcurrency(f.name, q)
	if err != nil {
		return err
	}
	if n == 0 {
		return apiErr("ProvisionedConcurrencyConfigNotFoundException", "No Provisioned Concurrency Config found for this function")
	}
	writeJSON(c.ctx, http.StatusOK, provisionedStatus(n))
	return nil
}

func (g *Gateway) deleteProvisioned(c *call, f fnRef) error {
	if f.qualifier == "" {
		return invalidParam("Qualifier is required")
	}
	if err := g.eng.SetProvisionedConcurrency(c.ctx, f.name, f.qualifier, 0); err != nil {
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
	case strings.Contains(s, ":function:") || engine.ValidName(s):
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

func (g *Gateway) putEventInvokeConfig(c *call, f fnRef, update bool) error {
	var in eventInvokeConfig
	if err := readJSON(c.ctx, &in); err != nil {
		return err
	}
	cfg := engine.EventInvokeConfig{}
	if update {
		cur, err := g.eng.EventInvokeConfig(f.name)
		if err != nil {
			return err
		}
		cfg = cur
	}
	if in.MaximumRetryAttempts != nil {
		cfg.MaximumRetryAttempts = in.MaximumRetryAttempts
	}
	if in.MaximumEventAgeInSeconds != nil {
		cfg.MaximumEventAge = time.Duration(*in.MaximumEventAgeInSeconds) * time.Second
		if *in.MaximumEventAgeInSeconds == 0 {
			return invalidParam("MaximumEventAgeInSeconds 0: must be between 60 and 21600")
		}
	}
	if d := in.DestinationConfig; d != nil {
		var err error
		if cfg.OnSuccess, err = g.destinationIn(d.OnSuccess); err != nil {
			return err
		}
		if cfg.OnFailure, err = g.destinationIn(d.OnFailure); err != nil {
			return err
		}
	}
	if err := g.eng.SetEventInvokeConfig(c.ctx, f.name, cfg); err != nil {
		return err
	}
	return g.getEventInvokeConfig(c, f)
}

func (g *Gateway) getEventInvokeConfig(c *call, f fnRef) error {
	cfg, err := g.eng.EventInvokeConfig(f.name)
	if err != nil {
		return err
	}
	if cfg == (engine.EventInvokeConfig{}) {
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

func (g *Gateway) deleteEventInvokeConfig(c *call, f fnRef) error {
	if err := g.eng.SetEventInvokeConfig(c.ctx, f.name, engine.EventInvokeConfig{}); err != nil {
		return err
	}
	c.ctx.SetStatusCode(http.StatusNoContent)
	return nil
}

// baseURL is where clients reach this gateway.
func (g *Gateway) baseURL(ctx *fasthttp.RequestCtx) string {
	if g.cfg.PublicURL != "" {
		return strings.TrimSuffix(g.cfg.PublicURL, "/")
	}
	scheme := "http"
	if ctx.IsTLS() {
		scheme = "https"
	}
	return fmt.Sprintf("%s://%s", scheme, ctx.Host())
}
