// Package sandboxfs serves one host directory to a WebAssembly guest as a
// WASI file system that cannot be escaped and asks the function's policy
// before every operation.
//
// [New] returns a wazero experimental sys.FS; the engine mounts it with
// sysfs.FSConfig.WithSysFSMount at the guest path it was built for.
//
// # Confinement
//
// Every operation goes through an [os.Root] opened on the host directory, so
// ".." components and symbolic links that lead outside it fail, whatever
// happens to the tree concurrently. A name that leaves the mount lexically
// (such as "../secret") is refused before the policy is consulted, with
// EPERM, the errno os.Root's refusals are reported with too. Symbolic links
// inside the mount that stay inside it are followed; absolute links are
// never followed (os.Root refuses them). Guests cannot create links of either
// kind. Files that are neither regular nor directories (devices, FIFOs,
// sockets) cannot be opened.
//
// # Policy
//
// The check function is called with the guest-visible absolute path: the
// mount joined with the cleaned name the guest used ("/data/reports/q3.csv").
// When symbolic links make the operation touch another path, check is also
// called for that path, so a link cannot lend a granted name to a file the
// policy does not grant. Reads are: opening for reading, Stat, Lstat,
// listing a directory and Readlink. Writes are: opening with write access or
// with O_CREAT, O_TRUNC or O_APPEND, Mkdir, Chmod, Rename (both names),
// Rmdir, Unlink and Utimens. Opening for reading and writing asks both.
// A refusal reaches the guest as EACCES and nothing changes on disk.
//
// The mount's own root is the one exception, because wazero opens it itself
// to serve the preopen: opening it read-only is not checked; listing it is.
//
// Checks happen before the operation, on the tree as it is then: a host
// process that swaps a symbolic link in between can make an operation follow
// a link that was not checked (it still cannot leave the mount). Guests
// cannot race this way, since they cannot create links.
//
// # Errors the guest sees
//
//   - EACCES: the policy refused.
//   - EPERM: the name, or a link on the way, leads outside the mount; a link
//     is absolute; Link and Symlink (always); Readlink of a link whose target
//     is absolute or outside the mount.
//   - ELOOP: O_NOFOLLOW on a link, or more than 40 links on the way.
//   - ENOTSUP: opening a device, FIFO or socket.
//   - ENAMETOOLONG: a name longer than 4096 bytes.
//   - Otherwise the host's errno, as wazero maps it (ENOENT, EEXIST, ...).
//
// See RATIONALE.md beside this file for why it is built this way.
package sandboxfs
