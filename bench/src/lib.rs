//! Benchmark workloads of aoai-meter, generated deterministically so that every run and
//! every tool (the criterion benches, the whole-process script and the Python comparison)
//! measures the same data.

pub mod compare;
pub mod data;
pub mod envelope;
pub mod page;
pub mod process;
pub mod query;
pub mod random;
pub mod workload;
