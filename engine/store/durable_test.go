package store

import (
	"context"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/bbolt"
)

// openDir opens the durable Store in dir and closes it when the test ends.
func openDir(t *testing.T, dir string) Store {
	t.Helper()
	s, err := Open(dir, Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestDurableReopen(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := openDir(t, dir)

	b := bucket(t, s, "functions")
	require.NoError(t, b.Put(ctx, "hello", []byte("config")))
	require.NoError(t, b.Put(ctx, "gone", []byte("x")))
	require.NoError(t, b.Delete(ctx, "gone"))
	require.NoError(t, b.Update(ctx, "n", func([]byte, bool) ([]byte, error) { return []byte("1"), nil }))
	digest, err := s.Blobs().Put(ctx, []byte("module"))
	require.NoError(t, err)

	q := queueOf(t, s, "async")
	ready := enqueue(t, q, "ready", time.Time{})
	later := enqueue(t, q, "later", time.Now().Add(time.Hour))
	leasedMsg := enqueue(t, q, "leased", time.Time{})
	retried := enqueue(t, q, "retried", time.Time{})
	last := enqueue(t, q, "acked", time.Time{})
	require.NoError(t, q.Ack(ctx, last))
	// Take ready, leased and retried; give back ready and retried.
	var got []Message
	for range 3 {
		got = append(got, receive(t, q, time.Hour))
	}
	require.Equal(t, []string{ready, leasedMsg, retried}, []string{got[0].ID, got[1].ID, got[2].ID})
	require.NoError(t, q.Retry(ctx, ready, []byte("ready"), time.Time{}))
	require.NoError(t, q.Retry(ctx, retried, []byte("retried, attempt 2"), time.Now().Add(-time.Hour)))
	require.NoError(t, s.Close())

	s = openDir(t, dir)
	v, err := bucket(t, s, "functions").Get(ctx, "hello")
	require.NoError(t, err)
	assert.Equal(t, []byte("config"), v)
	_, err = bucket(t, s, "functions").Get(ctx, "gone")
	assert.ErrorIs(t, err, ErrNotFound)
	keys, _, err := bucket(t, s, "functions").List(ctx, "", "", 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"hello", "n"}, keys)
	data, err := s.Blobs().Get(ctx, digest)
	require.NoError(t, err)
	assert.Equal(t, []byte("module"), data)

	q = queueOf(t, s, "async")
	st, err := q.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, 4, st.Depth)
	assert.Zero(t, st.Leased, "no lease outlives the process that held it")

	// retried (due an hour ago), ready (due at its enqueue), leased (due at
	// the reopen); later stays where it is.
	m := receive(t, q, time.Hour)
	assert.Equal(t, retried, m.ID)
	assert.Equal(t, []byte("retried, attempt 2"), m.Body)
	assert.Equal(t, 2, m.Deliveries)
	m = receive(t, q, time.Hour)
	assert.Equal(t, ready, m.ID)
	assert.Equal(t, 2, m.Deliveries)
	m = receive(t, q, time.Hour)
	assert.Equal(t, leasedMsg, m.ID)
	assert.Equal(t, []byte("leased"), m.Body)
	assert.Equal(t, 2, m.Deliveries, "the delivery whose lease was lost counts")
	assert.Equal(t, got[1].Enqueued, m.Enqueued)
	assertEmpty(t, q)
	require.NoError(t, q.Ack(ctx, later))

	next := enqueue(t, q, "next", time.Time{})
	assert.Greater(t, next, last, "an acked message's ID is not given out again")
}

func TestDurableInUse(t *testing.T) {
	dir := t.TempDir()
	first := openDir(t, dir)

	start := time.Now()
	_, err := Open(dir, Options{LockTimeout: 50 * time.Millisecond})
	require.ErrorIs(t, err, ErrInUse)
	assert.Contains(t, err.Error(), dir)
	assert.Contains(t, err.Error(), "in use by another process")
	assert.Less(t, time.Since(start), 5*time.Second)

	require.NoError(t, first.Close())
	second, err := Open(dir, Options{LockTimeout: time.Second})
	require.NoError(t, err)
	require.NoError(t, second.Close())
}

func TestDurableLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "nested")
	s := openDir(t, dir)
	digest, err := s.Blobs().Put(t.Context(), []byte("module"))
	require.NoError(t, err)

	st, err := os.Stat(filepath.Join(dir, "flint.db"))
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), st.Mode().Perm())
	st, err = os.Stat(filepath.Join(dir, "blobs", "sha256", digest[:2], digest))
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), st.Mode().Perm())
	st, err = os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o700), st.Mode().Perm())
	assert.Empty(t, tempFiles(t, dir))
}

// tempFiles lists the unfinished blob writes under dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	var found []string
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), tempPrefix) {
			found = append(found, path)
		}
		return err
	}))
	return found
}

func TestDurableBlobCorrupt(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := openDir(t, dir)
	data := []byte("\x00asm\x01\x00\x00\x00 the module")
	digest, err := s.Blobs().Put(ctx, data)
	require.NoError(t, err)
	path := filepath.Join(dir, "blobs", "sha256", digest[:2], digest)

	for _, tc := range []struct {
		name   string
		tamper []byte
	}{
		{"flipped byte", []byte("\x00asm\x01\x00\x00\x00 the modulE")},
		{"truncated", data[:5]},
		{"empty", nil},
		{"appended", append(append([]byte{}, data...), '!')},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, os.WriteFile(path, tc.tamper, 0o600))
			_, err := s.Blobs().Get(ctx, digest)
			require.ErrorIs(t, err, ErrCorrupt)
			assert.Contains(t, err.Error(), digest)

			// Putting the blob again repairs it.
			again, err := s.Blobs().Put(ctx, data)
			require.NoError(t, err)
			assert.Equal(t, digest, again)
			got, err := s.Blobs().Get(ctx, digest)
			require.NoError(t, err)
			assert.Equal(t, data, got)
		})
	}
}

func TestDurableBlobLeftovers(t *testing.T) {
	dir := t.TempDir()
	fan := filepath.Join(dir, "blobs", "sha256", "ab")
	require.NoError(t, os.MkdirAll(fan, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(fan, tempPrefix+"123"), []byte("half a blob"), 0o600))
	keep := filepath.Join(fan, strings.Repeat("ab", 32))
	require.NoError(t, os.WriteFile(keep, []byte("not ours to judge"), 0o600))

	openDir(t, dir)
	assert.Empty(t, tempFiles(t, dir), "an interrupted write is cleaned up on open")
	assert.FileExists(t, keep)
}

func TestDurableHostileDigest(t *testing.T) {
	ctx := t.Context()
	root := t.TempDir()
	dir := filepath.Join(root, "data")
	s := openDir(t, dir)

	// Files where a digest used as a path would lead.
	var victims []string
	for _, p := range []string{
		filepath.Join(root, "passwd"),
		filepath.Join(root, "etc", "passwd"),
		filepath.Join(dir, "passwd"),
		filepath.Join(dir, "flint.db"),
		filepath.Join(dir, "blobs", "passwd"),
		filepath.Join(dir, "blobs", "sha256", "passwd"),
	} {
		if _, err := os.Stat(p); err != nil {
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o700))
			require.NoError(t, os.WriteFile(p, []byte("victim"), 0o600))
		}
		victims = append(victims, p)
	}
	before := listTree(t, root)

	digests := append([]string{
		"../../passwd",
		"../passwd",
		"../../../passwd",
		"../../../../etc/passwd",
		"../flint.db",
		"/etc/passwd",
	}, hostileDigests()...)
	for _, d := range digests {
		_, err := s.Blobs().Get(ctx, d)
		assert.ErrorIs(t, err, ErrInvalidDigest, "Get(%q)", d)
		assert.ErrorIs(t, s.Blobs().Delete(ctx, d), ErrInvalidDigest, "Delete(%q)", d)
	}
	for _, v := range victims {
		assert.FileExists(t, v)
	}
	assert.Equal(t, before, listTree(t, root), "nothing was created or removed")
}

// listTree lists every path under root.
func listTree(t *testing.T, root string) []string {
	t.Helper()
	var paths []string
	require.NoError(t, filepath.WalkDir(root, func(path string, _ fs.DirEntry, err error) error {
		paths = append(paths, path)
		return err
	}))
	return paths
}

func TestDurableOpenErrors(t *testing.T) {
	_, err := Open("", Options{})
	assert.ErrorIs(t, err, ErrInvalidArgument)

	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	_, err = Open(file, Options{})
	assert.Error(t, err, "a data directory that is a file")

	notDB := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(notDB, "flint.db"), []byte(strings.Repeat("not a database", 1000)), 0o600))
	_, err = Open(notDB, Options{})
	assert.Error(t, err, "a flint.db that is not a database")
}

// editDB changes a closed data directory's database behind the Store's back.
func editDB(t *testing.T, dir string, fn func(tx *bbolt.Tx) error) {
	t.Helper()
	db, err := bbolt.Open(filepath.Join(dir, "flint.db"), 0o600, &bbolt.Options{Timeout: time.Second})
	require.NoError(t, err)
	require.NoError(t, db.Update(fn))
	require.NoError(t, db.Close())
}

func TestDurableFormat(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value []byte
		want  error
	}{
		{"newer", binary.BigEndian.AppendUint32(nil, format+1), ErrUnsupportedFormat},
		{"garbled", []byte("v1"), ErrCorrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, openDir(t, dir).Close())
			editDB(t, dir, func(tx *bbolt.Tx) error {
				return tx.Bucket([]byte(rootMeta)).Put([]byte(keyFormat), tc.value)
			})
			_, err := Open(dir, Options{})
			assert.ErrorIs(t, err, tc.want)
			// A failed Open lets go of the directory.
			editDB(t, dir, func(*bbolt.Tx) error { return nil })
		})
	}
}

func TestDurableCorruptQueue(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir)
	id := enqueue(t, queueOf(t, s, "q"), "m", time.Time{})
	require.NoError(t, s.Close())
	seq, err := ParseID(id)
	require.NoError(t, err)
	editDB(t, dir, func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte(rootQueues)).Bucket([]byte("q")).Bucket([]byte(queueMeta)).Put(seqKey(seq), []byte("junk"))
	})
	s = openDir(t, dir)
	_, err = s.Queue("q")
	assert.ErrorIs(t, err, ErrCorrupt)
	assert.Contains(t, err.Error(), id)
	_, err = s.Queue("other")
	assert.NoError(t, err, "other queues are not affected")
}

// TestDurableWriterGroups checks that a write failing inside a group of
// writes fails alone.
func TestDurableWriterGroups(t *testing.T) {
	s := newDurable(t).(*durable)
	ctx := context.Background()
	errWrite := errors.New("write failed")
	errs := make(chan error, 64)
	for i := range cap(errs) {
		go func() {
			errs <- s.w.do(ctx, func(tx *bbolt.Tx) error {
				if i%8 == 0 {
					return errWrite
				}
				b, err := tx.CreateBucketIfNotExists([]byte("groups"))
				if err != nil {
					return err
				}
				return b.Put(binary.BigEndian.AppendUint32(nil, uint32(i)), nil)
			})
		}()
	}
	failed := 0
	for range cap(errs) {
		if err := <-errs; err != nil {
			assert.ErrorIs(t, err, errWrite)
			failed++
		}
	}
	assert.Equal(t, 8, failed)
	require.NoError(t, s.db.View(func(tx *bbolt.Tx) error {
		assert.Equal(t, 56, tx.Bucket([]byte("groups")).Stats().KeyN)
		return nil
	}))
}
