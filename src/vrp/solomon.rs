//! Reader of the Solomon / Gehring–Homberger VRPTW text format (see `../shared/vrp/README.md`).
