//! demarche: an event-sourced tracker of diplomatic timelines.
//!
//! Every fact (a statement, an action, an actor, an affiliation, a
//! correction) is an immutable, dated event in an append-only, hash-chained
//! log ([`store`]). Views (who said what when, timelines, the relationship
//! graph) are projections rebuilt from that log ([`projection`], [`query`]),
//! and exporters write them in the formats other tools read ([`export`]).
//! The command-line interface lives in the binary; this library has no
//! opinion about argument parsing.

pub mod canonical;
pub mod cores;
pub mod date;
pub mod error;
pub mod event;
pub mod export;
pub mod graph;
pub mod import;
pub mod projection;
pub mod query;
pub mod store;
pub mod timeline;
pub mod verify;
pub mod view;

pub use error::{Error, Result};

/// The model story: the BuzzFeed News article of 13 September 2017 in which
/// the Kremlin confirmed proposing a reset with the Trump administration,
/// encoded as events (see `events/story.jsonl`).
pub const STORY: &str = include_str!("../events/story.jsonl");
