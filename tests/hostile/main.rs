//! The hostile suite: what a hostile or careless client file, option or signal must not do to
//! crmcast (docs/SECURITY.md is the threat model; each module below is one class of attack).
//! Every case runs the real binary and checks the exit code, the message, and what is (and is
//! not) on disk afterwards.

mod support;

mod crashes;
mod files_read;
mod files_written;
mod injection;
mod messages;
mod numbers;
mod shards;
mod signals;
mod work;
