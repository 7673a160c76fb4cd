//! Tether's integration tests, in one binary to keep link time down.

mod bad_input;
mod call;
mod host_objects;
mod linking;
mod serialize;
mod typed;
mod guest;
mod guest_typed;
mod article;
mod guest_resources;
mod handle_churn;
mod hostile;
mod bindgen;
