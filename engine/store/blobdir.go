package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// tempPrefix starts the names of blob files being written; a crash can
// leave them behind, and openBlobs removes them.
const tempPrefix = ".tmp-"

// dirBlobs is Blobs as files: root/<first two hex digits>/<digest>, where
// root is <data dir>/blobs/sha256. A blob is written to a temporary file,
// fsynced, renamed into place and its directory fsynced, so that after a
// crash a blob is either whole or absent.
type dirBlobs struct {
	root   string
	closed <-chan struct{}
}

var _ Blobs = (*dirBlobs)(nil)

// openBlobs creates the blob directory dir/sha256 if needed and removes
// what interrupted writes left in it.
func openBlobs(dir string, closed <-chan struct{}) (*dirBlobs, error) {
	root := filepath.Join(dir, "sha256")
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("store: create blob directory: %w", err)
	}
	fans, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("store: read blob directory: %w", err)
	}
	for _, fan := range fans {
		if !fan.IsDir() {
			continue
		}
		files, err := os.ReadDir(filepath.Join(root, fan.Name()))
		if err != nil {
			return nil, fmt.Errorf("store: read blob directory: %w", err)
		}
		for _, f := range files {
			if strings.HasPrefix(f.Name(), tempPrefix) {
				if err := os.Remove(filepath.Join(root, fan.Name(), f.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return nil, fmt.Errorf("store: remove interrupted blob write: %w", err)
				}
			}
		}
	}
	return &dirBlobs{root: root, closed: closed}, nil
}

// path is where the blob with the digest lives. The digest must have
// passed CheckDigest: that is what keeps it inside root.
func (d *dirBlobs) path(digest string) string {
	return filepath.Join(d.root, digest[:2], digest)
}

// Put implements Blobs. A blob already there is kept if it is intact, and
// written again if not.
func (d *dirBlobs) Put(ctx context.Context, data []byte) (string, error) {
	if err := checkOpen(ctx, d.closed); err != nil {
		return "", err
	}
	digest := digestOf(data)
	path := d.path(digest)
	if have, err := os.ReadFile(path); err == nil && bytes.Equal(have, data) {
		return digest, nil
	}
	fan := filepath.Dir(path)
	if _, err := os.Stat(fan); errors.Is(err, fs.ErrNotExist) {
		if err := os.Mkdir(fan, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("store: put blob %s: %w", digest, err)
		}
		if err := syncDir(d.root); err != nil {
			return "", fmt.Errorf("store: put blob %s: %w", digest, err)
		}
	}
	if err := writeFile(fan, path, data); err != nil {
		return "", fmt.Errorf("store: put blob %s: %w", digest, err)
	}
	return digest, nil
}

// writeFile writes data to path atomically and durably: a temporary file in
// dir (path's directory), fsynced, renamed to path, dir fsynced.
func writeFile(dir, path string, data []byte) (err error) {
	f, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir fsyncs a directory, making the creation, renaming or removal of
// its entries durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	return errors.Join(err, f.Close())
}

// Get implements Blobs: it reads the file and checks its digest.
func (d *dirBlobs) Get(ctx context.Context, digest string) ([]byte, error) {
	if err := checkOpen(ctx, d.closed); err != nil {
		return nil, err
	}
	if err := CheckDigest(digest); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(d.path(digest))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: blob %s", ErrNotFound, digest)
	}
	if err != nil {
		return nil, fmt.Errorf("store: get blob %s: %w", digest, err)
	}
	if got := digestOf(data); got != digest {
		return nil, fmt.Errorf("%w: blob %s hashes to %s; put it again or restore %s", ErrCorrupt, digest, got, d.path(digest))
	}
	return data, nil
}

// Delete implements Blobs.
func (d *dirBlobs) Delete(ctx context.Context, digest string) error {
	if err := checkOpen(ctx, d.closed); err != nil {
		return err
	}
	if err := CheckDigest(digest); err != nil {
		return err
	}
	if err := os.Remove(d.path(digest)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store: delete blob %s: %w", digest, err)
	}
	return nil
}
