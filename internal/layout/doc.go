// Package layout holds no code: its test keeps the tree's layers as
// docs/RATIONALE.md describes them (no package imports one above it,
// nothing internal imports the engine, the flint binary links no
// benchmark peer).
package layout
