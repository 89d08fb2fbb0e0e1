//! The Lambda bootstraps (this package's binaries, and the cold-start bench's examples) are
//! linked as position-dependent executables (`-no-pie`).
//!
//! A position-independent bootstrap of ours carries about 54 000 relative relocations, most of
//! them pointers in constant data (string slices, panic locations, tracing's call sites,
//! vtables). The dynamic loader applies every one at each start and so writes to, and copies,
//! some 220 pages: measured at 1.2 ms of a 5.4 ms init (docs/performance.md, «Cold start»).
//! The trade-off (the executable's own code at a fixed address; the stack, heap and shared
//! libraries stay randomised) is in docs/security.md, «Beyond the six chapters». The
//! dependencies' code is still compiled position-independent; only the final link changes,
//! here and nowhere else in the workspace.

fn main() {
    println!("cargo::rustc-link-arg-bins=-no-pie");
    println!("cargo::rustc-link-arg-examples=-no-pie");
}
