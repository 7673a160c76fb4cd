//! The snapshots of `tests/snapshots/` compile: each is included in a module of its own.
#![allow(dead_code)]

/// The Rust type `tests/wit/world.wit` maps its `logger` resource to.
pub struct Logger;

mod article {
    include!("snapshots/article.rs");
}
mod resources {
    include!("snapshots/resources.rs");
}
mod types {
    include!("snapshots/types.rs");
}
mod world {
    include!("snapshots/world.rs");
}

/// A host of the article snapshot's `http` interface.
struct Web;

impl article::tether::article::http::Host for Web {
    type Response = (u16, Vec<u8>);
    fn response_new(&mut self, body: Vec<u8>, status: u16) -> tether::Result<(u16, Vec<u8>)> {
        Ok((status, body))
    }
    fn response_status(&mut self, this: &mut (u16, Vec<u8>)) -> tether::Result<u16> {
        Ok(this.0)
    }
    fn response_body(&mut self, this: (u16, Vec<u8>)) -> tether::Result<Vec<u8>> {
        Ok(this.1)
    }
    fn response_not_found(&mut self) -> tether::Result<(u16, Vec<u8>)> {
        Ok((404, Vec::new()))
    }
    fn fetch(&mut self, _url: String) -> tether::Result<(u16, Vec<u8>)> {
        Ok((200, Vec::new()))
    }
}

#[test]
fn a_snapshot_links() {
    let engine = tether::Engine::default();
    let mut linker = tether::Linker::<Web>::new(&engine);
    article::Article::add_to_linker(&mut linker).unwrap();
}
