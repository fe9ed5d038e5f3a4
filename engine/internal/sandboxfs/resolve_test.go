package sandboxfs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
)

func TestResolve(t *testing.T) {
	fsys, _, root := newFS(t, &policy{})
	s := fsys.(*fileSystem)

	// A deep directory with links at the bottom that climb back up.
	deep := strings.Repeat("d/", 100) + "bottom"
	require.NoError(t, os.MkdirAll(filepath.Join(root, deep), 0o755))
	require.NoError(t, os.Symlink(strings.Repeat("../", 101)+"hello.txt", filepath.Join(root, deep, "up")))
	require.NoError(t, os.Symlink(strings.Repeat("../", 101)+"..", filepath.Join(root, deep, "out")))
	require.NoError(t, os.Symlink("loop-b", filepath.Join(root, "loop-a")))
	require.NoError(t, os.Symlink("loop-a", filepath.Join(root, "loop-b")))

	tests := []struct {
		name      string
		rel       string
		nofollow  bool
		want      string
		wantLink  bool
		wantErrno experimentalsys.Errno
	}{
		{name: "root", rel: ".", want: "."},
		{name: "file", rel: "hello.txt", want: "hello.txt"},
		{name: "missing", rel: "out/nope/deeper", want: "out/nope/deeper"},
		{name: "under a file", rel: "hello.txt/x", want: "hello.txt/x"},
		{name: "link", rel: "link-in", want: "hello.txt"},
		{name: "link not followed", rel: "link-in", nofollow: true, want: "link-in", wantLink: true},
		{name: "link in the middle is followed", rel: "link-dir/link-up", nofollow: true, want: "sub/link-up", wantLink: true},
		{name: "chain with dot dot", rel: "link-chain", want: "hello.txt"},
		{name: "dangling", rel: "link-dangling", want: "out/created.txt"},
		{name: "relative out", rel: "link-rel", wantErrno: experimentalsys.EPERM},
		{name: "parent", rel: "link-rel-dir/root/hello.txt", wantErrno: experimentalsys.EPERM},
		{name: "absolute", rel: "link-abs-in", wantErrno: experimentalsys.EPERM},
		{name: "loop", rel: "loop-a", wantErrno: experimentalsys.ELOOP},
		{name: "deep climb", rel: deep + "/up", want: "hello.txt"},
		{name: "deep climb out", rel: deep + "/out/secret.txt", wantErrno: experimentalsys.EPERM},
		{name: "deep plain", rel: deep, want: deep},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, link, errno := s.resolve(tc.rel, !tc.nofollow)
			assert.Equal(t, tc.wantErrno, errno, errno.Error())
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.wantLink, link)
		})
	}
}

func TestParseName(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      name
		wantErrno experimentalsys.Errno
	}{
		{name: "plain", in: "a/b", want: name{rel: "a/b"}},
		{name: "empty", in: "", want: name{rel: "."}},
		{name: "slash", in: "/", want: name{rel: ".", slash: true}},
		{name: "unclean", in: "a//./b/../c/", want: name{rel: "a/c", slash: true}},
		{name: "dot dot", in: "..", wantErrno: experimentalsys.EPERM},
		{name: "dot dot prefix", in: "a/../../b", wantErrno: experimentalsys.EPERM},
		{name: "dots are a name", in: "...", want: name{rel: "..."}},
		{name: "NUL", in: "a\x00b", wantErrno: experimentalsys.EINVAL},
		{name: "longest", in: strings.Repeat("a", maxNameLen), want: name{rel: strings.Repeat("a", maxNameLen)}},
		{name: "too long", in: strings.Repeat("a/", maxNameLen/2) + "a", wantErrno: experimentalsys.ENAMETOOLONG},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, errno := parseName(tc.in)
			assert.Equal(t, tc.wantErrno, errno, errno.Error())
			assert.Equal(t, tc.want, got)
		})
	}
}
