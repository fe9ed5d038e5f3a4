package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// SnapshotMode says how instances start.
type SnapshotMode int

const (
	// SnapshotsDefault takes snapshots and maps their memory images
	// copy-on-write where the platform allows it (Linux), else copies them.
	SnapshotsDefault SnapshotMode = iota
	// SnapshotsCopy takes snapshots and starts instances by copying the
	// image (it becomes the module's data): the portable way.
	SnapshotsCopy
	// SnapshotsOff starts every instance by running its initializers.
	SnapshotsOff
)

// snapshot is a function version's state right after init: what a new
// instance starts from instead of running the module's start function and
// the language runtime's _initialize (and, when the function opts in, its
// flint_init).
//
// Taking one: instantiate the module, run its initializers with capability
// calls refused (what they did would be frozen into every instance), then
// capture the linear memory and every mutable global (wasmbin.Prepare
// exports them). Starting from one uses the same compiled module, whose
// data segments Prepare moved out: the instance's memory allocator presents
// the snapshot's memory instead of the module's initial image — mapped
// copy-on-write from a file (map mode: instantiation writes nothing, and
// idle instances share the image's pages until they write them) or copied
// (copy mode) — and the captured globals are set before the first call.
// No second module, so no second compilation.
type snapshot struct {
	memory       []byte     // copy mode: the image; nil in map mode
	file         *imageFile // map mode: the image file
	size         uint64     // the memory's size at the capture
	globals      []capturedGlobal
	includesInit bool   // flint_init ran before the capture
	initLogs     []byte // the lines the initializers logged
	took         time.Duration
}

// capturedGlobal is a mutable global's value at the capture.
type capturedGlobal struct {
	export string
	value  uint64
}

// snapshotMeta is what the engine keeps beside an image file, so that a
// restarted engine starts from the same snapshot without taking it again.
type snapshotMeta struct {
	Pages        uint32            `json:"pages"`
	Globals      map[uint32]uint64 `json:"globals"`
	ImageSHA256  string            `json:"imageSha256"`
	ImageSize    uint64            `json:"imageSize"`
	IncludesInit bool              `json:"includesInit"`
	InitLogs     []byte            `json:"initLogs,omitempty"`
	// Check is the SHA-256 of the metadata's JSON encoding with Check
	// empty: the image has its digest, and the rest (globals, the init
	// flag) must not be trusted unchecked either.
	Check string `json:"check"`
}

// checksum returns what m.Check must be.
func (m snapshotMeta) checksum() string {
	m.Check = ""
	b, _ := json.Marshal(m)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// validDigest reports whether s is a SHA-256 in lowercase hex, as image
// file names are.
func validDigest(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// snapshotKey names a version's snapshot: it depends on the code and on
// everything the initializers could see.
func (v *version) snapshotKey() string {
	h := sha256.New()
	cfg, _ := json.Marshal(struct {
		Code, Name, Version, Handler string
		MemoryMB                     int
		Env                          map[string]string
		Init                         bool
		Mounts                       []Mount
		Tmp                          string // the last preopen: its descriptor is in the snapshot
	}{v.rev.CodeSHA256, v.name, v.version, v.cfg.Handler, v.cfg.MemoryMB, v.cfg.Env, v.cfg.SnapshotInit, v.engine.cfg.Mounts, tmpPath})
	h.Write(cfg)
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// prepareSnapshot gives v its snapshot, loading it from the snapshot
// directory or taking it. Snapshots fail closed: any doubt, and the
// version runs without one, its reason in v.snapStatus.
func (v *version) prepareSnapshot(ctx context.Context) {
	e := v.engine
	switch {
	case e.cfg.Snapshots == SnapshotsOff:
		v.snapStatus = "off: disabled in the engine's configuration"
		return
	case v.cfg.NoSnapshot:
		v.snapStatus = "off: disabled for this function"
		return
	case v.mod.snapshotBlocker != "":
		v.snapStatus = "off: the module " + v.mod.snapshotBlocker
		return
	case !v.mod.hasStart && !v.mod.hasReactorInit && !(v.mod.hasInit && v.cfg.SnapshotInit):
		// Nothing to skip: mapping an image would cost more than copying
		// the module's data.
		v.snapStatus = "off: the module has no initializer to skip"
		return
	}
	for _, g := range v.mod.globals {
		if g.Mutable && !g.Numeric() {
			v.snapStatus = fmt.Sprintf("off: global %d has a type a snapshot cannot keep", g.Index)
			return
		}
	}
	start := time.Now()
	snap, err := v.loadSnapshot(ctx)
	if err != nil {
		if !errors.Is(err, errNoSnapshot) {
			e.cfg.Logger.Info("snapshot refused, taking a new one", "function", v.name, "version", v.version, "err", err)
		}
		snap, err = v.takeSnapshot(ctx)
	}
	if err != nil {
		v.snapStatus = "off: " + err.Error()
		e.cfg.Logger.Warn("function runs without a snapshot", "function", v.name, "version", v.version, "err", err)
		return
	}
	snap.took = time.Since(start)
	v.snap = snap
	mode := "copied"
	if snap.file != nil {
		mode = "mapped"
	}
	v.snapStatus = fmt.Sprintf("ready: %d KiB of memory %s, taken in %v", snap.size>>10, mode, snap.took.Round(time.Microsecond))
}

// takeSnapshot runs the initializers once and captures the state.
func (v *version) takeSnapshot(ctx context.Context) (*snapshot, error) {
	in, err := v.makeInstance(ctx, nil, true)
	if err != nil {
		return nil, fmt.Errorf("init failed while taking the snapshot: %w", err)
	}
	defer in.destroy(true)
	if in.state.CalledCapability {
		return nil, errors.New("the initializers call capabilities, use mounted files or write to /tmp, whose effects a snapshot cannot repeat")
	}
	mem := in.mod.Memory()
	size := mem.Size()
	image, ok := mem.Read(0, size)
	if !ok {
		return nil, errors.New("could not read the memory")
	}
	meta := snapshotMeta{
		Pages:        size / 65536,
		Globals:      map[uint32]uint64{},
		IncludesInit: v.mod.hasInit && v.cfg.SnapshotInit,
		InitLogs:     in.logs.take(),
	}
	for _, g := range v.mod.globals {
		if !g.Mutable {
			continue
		}
		eg := in.mod.ExportedGlobal(g.Export)
		if eg == nil {
			return nil, fmt.Errorf("global %d is not exported", g.Index)
		}
		meta.Globals[g.Index] = eg.Get()
	}
	sum := sha256.Sum256(image)
	meta.ImageSHA256, meta.ImageSize = hex.EncodeToString(sum[:]), uint64(size)
	if err := v.saveSnapshot(meta, image); err != nil {
		v.engine.cfg.Logger.Warn("could not keep the snapshot on disk", "function", v.name, "err", err)
	}
	return v.restore(ctx, meta, image)
}

// restore makes the snapshot from its metadata and image.
func (v *version) restore(_ context.Context, meta snapshotMeta, image []byte) (*snapshot, error) {
	e := v.engine
	snap := &snapshot{size: meta.ImageSize, includesInit: meta.IncludesInit, initLogs: meta.InitLogs}
	for _, g := range v.mod.globals {
		if !g.Mutable {
			continue
		}
		val, ok := meta.Globals[g.Index]
		if !ok {
			return nil, fmt.Errorf("the snapshot lacks global %d", g.Index)
		}
		snap.globals = append(snap.globals, capturedGlobal{export: g.Export, value: val})
	}
	if len(meta.Globals) != len(snap.globals) {
		return nil, errors.New("the snapshot has globals the module does not")
	}
	if meta.ImageSize > uint64(v.cfg.MemoryMB)<<20 {
		return nil, errors.New("the snapshot's memory is over the function's memory limit")
	}
	if mappable && e.cfg.Snapshots == SnapshotsDefault {
		f, err := e.imageFile(meta.ImageSHA256, image)
		if err != nil {
			return nil, err
		}
		snap.file = f
	} else {
		snap.memory = bytes.Clone(image)
	}
	return snap, nil
}

// snapshotDir is where snapshot images and their metadata live.
func (e *Engine) snapshotDir() (string, error) {
	e.snapDirOnce.Do(func() {
		switch {
		case e.cfg.DataDir != "":
			e.snapDir = filepath.Join(e.cfg.DataDir, "snapshots")
			e.snapDirErr = os.MkdirAll(e.snapDir, 0o700)
		default:
			e.snapDir, e.snapDirErr = os.MkdirTemp("", "flint-snapshots-")
			e.snapDirTemp = true
		}
	})
	return e.snapDir, e.snapDirErr
}

// imageFile returns the image file for digest, writing it if needed. It
// is sparse: only non-zero pages take disk and page cache.
func (e *Engine) imageFile(digest string, image []byte) (*imageFile, error) {
	dir, err := e.snapshotDir()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, digest+".img")
	e.imagesMu.Lock()
	defer e.imagesMu.Unlock()
	if f, ok := e.images[path]; ok {
		return f, nil
	}
	// A file already there is used only if it holds exactly this image: a
	// damaged one (whose snapshot loadSnapshot refused) must be replaced,
	// not mapped.
	if !holds(path, image) {
		if err := writeSparse(path, image); err != nil {
			return nil, err
		}
	}
	img, err := openImage(path, uint64(len(image)))
	if err != nil {
		return nil, err
	}
	e.images[path] = img
	return img, nil
}

// holds reports whether the file at path contains exactly image.
func holds(path string, image []byte) bool {
	st, err := os.Stat(path)
	if err != nil || st.Size() != int64(len(image)) {
		return false
	}
	b, err := os.ReadFile(path)
	return err == nil && bytes.Equal(b, image)
}

// writeSparse writes image to path through a temporary file, leaving
// holes for its zero pages.
func writeSparse(path string, image []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Truncate(int64(len(image))); err != nil {
		tmp.Close()
		return err
	}
	const page = 4096
	for off := 0; off < len(image); off += page {
		end := min(off+page, len(image))
		if !allZero(image[off:end]) {
			if _, err := tmp.WriteAt(image[off:end], int64(off)); err != nil {
				tmp.Close()
				return err
			}
		}
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// saveSnapshot keeps a snapshot's metadata and image for a restarted
// engine. Only engines with a data directory keep them.
func (v *version) saveSnapshot(meta snapshotMeta, image []byte) error {
	if v.engine.cfg.DataDir == "" {
		return nil
	}
	dir, err := v.engine.snapshotDir()
	if err != nil {
		return err
	}
	if _, err := v.engine.imageFile(meta.ImageSHA256, image); err != nil {
		return err
	}
	meta.Check = meta.checksum()
	b, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, v.snapshotKey()+".json")
	tmp := path + "." + strconv.Itoa(os.Getpid()) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// loadSnapshot reads a kept snapshot, refusing one whose image does not
// match its metadata.
// errNoSnapshot says no snapshot is kept for a version yet: the usual
// case at deploy, not worth a log line.
var errNoSnapshot = errors.New("no snapshot kept")

func (v *version) loadSnapshot(ctx context.Context) (*snapshot, error) {
	if v.engine.cfg.DataDir == "" {
		return nil, errNoSnapshot
	}
	dir, err := v.engine.snapshotDir()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(dir, v.snapshotKey()+".json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNoSnapshot
	}
	if err != nil {
		return nil, err
	}
	var meta snapshotMeta
	if err := json.Unmarshal(b, &meta); err != nil {
		return nil, fmt.Errorf("snapshot metadata: %w", err)
	}
	if meta.Check != meta.checksum() {
		return nil, errors.New("snapshot metadata does not match its checksum")
	}
	if !validDigest(meta.ImageSHA256) {
		return nil, errors.New("snapshot metadata names no valid image digest")
	}
	image, err := os.ReadFile(filepath.Join(dir, meta.ImageSHA256+".img"))
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(image)
	if hex.EncodeToString(sum[:]) != meta.ImageSHA256 || uint64(len(image)) != meta.ImageSize ||
		uint64(meta.Pages)*65536 != meta.ImageSize {
		return nil, errors.New("snapshot image does not match its metadata")
	}
	return v.restore(ctx, meta, image)
}

// closeImages closes the engine's image files and removes a temporary
// snapshot directory.
func (e *Engine) closeImages() {
	e.imagesMu.Lock()
	defer e.imagesMu.Unlock()
	for _, f := range e.images {
		f.close()
	}
	e.images = map[string]*imageFile{}
	if e.snapDirTemp && e.snapDir != "" {
		_ = os.RemoveAll(e.snapDir)
	}
}
