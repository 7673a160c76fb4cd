//! The guest of the article "WIT Resources", written the way the article writes it: the
//! host's `response` is a first-class object in the guest, whose body is copied into guest
//! memory only when the guest asks for it.

wit_bindgen::generate!({
    path: "../../wit/article",
    world: "article",
});

use exports::tether::article::run::Guest;
use tether::article::http::{self, fetch};

struct Article;

impl Guest for Article {
    fn status_of(url: String) -> u16 {
        let response = fetch(&url);
        // A borrow: `response` lives on, and is dropped (in the host too) at the end of scope.
        response.status()
    }

    fn body_of(url: String) -> Vec<u8> {
        let response = fetch(&url);
        // Consumes `response`: the host moves the body out and drops the object.
        http::Response::body(response)
    }

    fn construct_and_read(body: Vec<u8>, status: u16) -> (u16, Vec<u8>) {
        let response = http::Response::new(&body, status);
        let status = response.status();
        let body = http::Response::body(response);
        (status, body)
    }

    fn not_found_status() -> u16 {
        http::Response::not_found().status()
    }
}

export!(Article);
