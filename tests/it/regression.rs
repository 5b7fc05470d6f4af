//! One test per bug found, named for the bug, so it stays fixed.
