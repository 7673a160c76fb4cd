//! Tether's integration tests, in one binary to keep link time down.

mod article;
mod bad_input;
mod bindgen;
mod call;
mod direct;
mod guest;
mod guest_resources;
mod guest_typed;
mod handle_churn;
mod host_objects;
mod hostile;
mod linking;
mod rng;
mod serialize;
mod typed;
