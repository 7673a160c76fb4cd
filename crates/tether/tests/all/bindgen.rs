//! Hosts written only through `tether::bindgen!`: the article's world (`wit/article`) with the
//! Rust guest of `guests/article`, and `tests/all/bindgen/objects.wit` with a WAT guest that
//! passes host objects in every position and exports a resource of its own.
//!
//! The article's host never looks an object up in a table: constructors return values,
//! methods receive `&mut Response`, and the consuming `body` receives the `Response` itself.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tether::{Borrow, Component, Engine, Linker, Store, StoreContextMut};

/// The article's world, with `response` left to the `Host` trait's associated type.
mod article_bindings {
    ::tether::bindgen!({
        path: "../../wit/article",
        world: "article",
    });
}

/// The objects world, with `bucket` mapped to [`Bucket`] by `with`.
mod objects_bindings {
    ::tether::bindgen!({
        path: "tests/all/bindgen/objects.wit",
        world: "objects",
        with: { "tether:bindgen-test/buckets/bucket": super::Bucket },
    });
}

use article_bindings::Article;
use article_bindings::tether::article::http;
use objects_bindings::Objects;
use objects_bindings::exports::tether::bindgen_test::things::Thing;
use objects_bindings::tether::bindgen_test::buckets;

// ----- The article -----

/// The host's `response`. Counts its drops.
struct Response {
    status: u16,
    body: Vec<u8>,
    drops: Arc<AtomicUsize>,
}

impl Drop for Response {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

/// The store's data: the pages served, by URL.
struct Web {
    pages: HashMap<String, (u16, Vec<u8>)>,
    drops: Arc<AtomicUsize>,
    made: usize,
}

impl Web {
    fn new() -> Web {
        let mut pages = HashMap::new();
        pages.insert(
            "https://kflansburg.com".to_string(),
            (200, b"<h1>Hello</h1>".to_vec()),
        );
        pages.insert(
            "https://example.com/teapot".to_string(),
            (418, b"short and stout".to_vec()),
        );
        Web {
            pages,
            drops: Arc::new(AtomicUsize::new(0)),
            made: 0,
        }
    }

    fn response(&mut self, status: u16, body: Vec<u8>) -> Response {
        self.made += 1;
        Response {
            status,
            body,
            drops: self.drops.clone(),
        }
    }
}

impl http::Host for Web {
    type Response = Response;

    fn response_new(&mut self, body: Vec<u8>, status: u16) -> tether::Result<Response> {
        Ok(self.response(status, body))
    }

    fn response_status(&mut self, this: &mut Response) -> tether::Result<u16> {
        Ok(this.status)
    }

    fn response_body(&mut self, mut this: Response) -> tether::Result<Vec<u8>> {
        Ok(std::mem::take(&mut this.body))
    }

    fn response_not_found(&mut self) -> tether::Result<Response> {
        Ok(self.response(404, Vec::new()))
    }

    fn fetch(&mut self, url: String) -> tether::Result<Response> {
        let (status, body) = self.pages.get(&url).cloned().unwrap_or((404, Vec::new()));
        Ok(self.response(status, body))
    }
}

fn article() -> (Store<Web>, Article) {
    let engine = Engine::default();
    let bytes = std::fs::read(tether_test_programs::ARTICLE).expect("the article guest was built");
    let component = Component::new(&engine, bytes).unwrap();
    let mut linker = Linker::new(&engine);
    Article::add_to_linker(&mut linker).unwrap();
    let mut store = Store::new(&engine, Web::new());
    let article = Article::instantiate(&mut store, &component, &linker).unwrap();
    (store, article)
}

fn assert_all_dropped(store: &Store<Web>, what: &str) {
    assert_eq!(
        store.host_objects(),
        0,
        "{what}: the store still holds host objects"
    );
    assert_eq!(
        store.data().drops.load(Ordering::SeqCst),
        store.data().made,
        "{what}: a response was not dropped"
    );
    assert_eq!(
        store.handles_alive(),
        0,
        "{what}: the guest still holds handles"
    );
}

#[test]
fn the_article_guest_runs_against_a_generated_host() {
    let (mut store, article) = article();
    let run = article.run();
    assert_eq!(
        run.call_status_of(&mut store, "https://kflansburg.com".into())
            .unwrap(),
        200
    );
    assert_eq!(
        run.call_status_of(&mut store, "https://example.com/teapot".into())
            .unwrap(),
        418
    );
    assert_eq!(
        run.call_status_of(&mut store, "https://nowhere.example".into())
            .unwrap(),
        404
    );
    assert_all_dropped(&store, "status-of");

    assert_eq!(
        run.call_body_of(&mut store, "https://kflansburg.com".into())
            .unwrap(),
        b"<h1>Hello</h1>"
    );
    assert!(
        run.call_body_of(&mut store, "https://nowhere.example".into())
            .unwrap()
            .is_empty()
    );
    assert_all_dropped(&store, "body-of");

    let (status, body) = run
        .call_construct_and_read(&mut store, b"made by the guest".to_vec(), 201)
        .unwrap();
    assert_eq!((status, body.as_slice()), (201, &b"made by the guest"[..]));
    assert_all_dropped(&store, "construct-and-read");

    assert_eq!(run.call_not_found_status(&mut store).unwrap(), 404);
    assert_all_dropped(&store, "not-found-status");
    assert_eq!(store.data().made, 7);
}

// ----- Objects in every position, and a guest resource -----

/// The host's `bucket`, mapped by `with`.
#[derive(Debug)]
pub struct Bucket {
    size: u32,
}

/// The store's data: how many buckets the host made.
#[derive(Default)]
struct Buckets {
    made: u32,
}

impl buckets::Host for Buckets {
    fn bucket_new(&mut self, size: u32) -> tether::Result<Bucket> {
        self.made += 1;
        Ok(Bucket { size })
    }

    fn bucket_size(&mut self, this: &mut Bucket) -> tether::Result<u32> {
        Ok(this.size)
    }

    fn bucket_same(
        store: StoreContextMut<'_, Self>,
        this: &mut Bucket,
        other: Borrow<Bucket>,
    ) -> tether::Result<bool> {
        // A borrow that is not the first parameter stays a handle: the one lookup this host
        // makes. When `other` is `this`, the object is in use and the lookup is refused.
        let other = store.get(&other)?;
        Ok(std::ptr::eq(this, other))
    }

    fn bucket_merge(&mut self, a: Bucket, b: Bucket) -> tether::Result<Bucket> {
        self.made += 1;
        Ok(Bucket {
            size: a.size + b.size,
        })
    }

    fn bucket_close(&mut self, this: Bucket) -> tether::Result<u32> {
        Ok(this.size)
    }

    fn bucket_open(&mut self, size: u32) -> tether::Result<Option<Bucket>> {
        if size == 0 {
            return Ok(None);
        }
        self.made += 1;
        Ok(Some(Bucket { size }))
    }

    fn count(
        store: StoreContextMut<'_, Self>,
        buckets: Vec<Borrow<Bucket>>,
    ) -> tether::Result<u32> {
        buckets.iter().map(|b| store.get(b).map(|b| b.size)).sum()
    }
}

/// A guest of `objects.wit`: the `run` functions use the host's buckets; `things` is the
/// resource of `guest_resources.rs`, in a nested component exported as an instance.
const GUEST: &str = r#"(component
  (import "tether:bindgen-test/buckets" (instance $objects
    (export "bucket" (type $b (sub resource)))
    (export "[constructor]bucket" (func (param "size" u32) (result (own $b))))
    (export "[method]bucket.size" (func (param "self" (borrow $b)) (result u32)))
    (export "[method]bucket.same" (func (param "self" (borrow $b)) (param "other" (borrow $b)) (result bool)))
    (export "[static]bucket.merge" (func (param "a" (own $b)) (param "b" (own $b)) (result (own $b))))
    (export "[static]bucket.close" (func (param "this" (own $b)) (result u32)))
    (export "[static]bucket.open" (func (param "size" u32) (result (option (own $b)))))
    (export "count" (func (param "buckets" (list (borrow $b))) (result u32)))))
  (alias export $objects "bucket" (type $bucket))
  (alias export $objects "[constructor]bucket" (func $new))
  (alias export $objects "[method]bucket.size" (func $size))
  (alias export $objects "[method]bucket.same" (func $same))
  (alias export $objects "[static]bucket.merge" (func $merge))
  (alias export $objects "[static]bucket.close" (func $close))
  (alias export $objects "[static]bucket.open" (func $open))
  (alias export $objects "count" (func $count))
  (core module $mem (memory (export "mem") 1))
  (core instance $mem (instantiate $mem))
  (alias core export $mem "mem" (core memory $memory))
  (core func $new (canon lower (func $new)))
  (core func $size (canon lower (func $size)))
  (core func $same (canon lower (func $same)))
  (core func $merge (canon lower (func $merge)))
  (core func $close (canon lower (func $close)))
  (core func $open (canon lower (func $open) (memory $memory)))
  (core func $count (canon lower (func $count) (memory $memory)))
  (core func $drop (canon resource.drop $bucket))
  (core module $m
    (import "" "mem" (memory 1))
    (import "" "new" (func $new (param i32) (result i32)))
    (import "" "size" (func $size (param i32) (result i32)))
    (import "" "same" (func $same (param i32 i32) (result i32)))
    (import "" "merge" (func $merge (param i32 i32) (result i32)))
    (import "" "close" (func $close (param i32) (result i32)))
    (import "" "open" (func $open (param i32 i32)))
    (import "" "count" (func $count (param i32 i32) (result i32)))
    (import "" "drop" (func $drop (param i32)))
    (func (export "merged-size") (result i32)
      (local $m i32)
      (local.set $m (call $merge (call $new (i32.const 3)) (call $new (i32.const 4))))
      (i32.add (call $size (local.get $m)) (call $close (local.get $m))))
    (func (export "same-twice") (result i32)
      (local $h i32) (local $r i32)
      (local.set $h (call $new (i32.const 1)))
      (local.set $r (call $same (local.get $h) (local.get $h)))
      (call $drop (local.get $h))
      (local.get $r))
    (func (export "same-two") (result i32)
      (local $a i32) (local $b i32) (local $r i32)
      (local.set $a (call $new (i32.const 1)))
      (local.set $b (call $new (i32.const 2)))
      (local.set $r (call $same (local.get $a) (local.get $b)))
      (call $drop (local.get $a))
      (call $drop (local.get $b))
      (local.get $r))
    (func (export "count-three") (result i32)
      (local $a i32) (local $b i32) (local $c i32) (local $n i32)
      (local.set $a (call $new (i32.const 1)))
      (local.set $b (call $new (i32.const 2)))
      (local.set $c (call $new (i32.const 3)))
      (i32.store (i32.const 0) (local.get $a))
      (i32.store (i32.const 4) (local.get $b))
      (i32.store (i32.const 8) (local.get $c))
      (local.set $n (call $count (i32.const 0) (i32.const 3)))
      (call $drop (local.get $a))
      (call $drop (local.get $b))
      (call $drop (local.get $c))
      (local.get $n))
    (func (export "open-size") (param $n i32) (result i32)
      (call $open (local.get $n) (i32.const 16))
      (if (result i32) (i32.load8_u (i32.const 16))
        (then (call $close (i32.load (i32.const 20))))
        (else (i32.const 0)))))
  (core instance $i (instantiate $m (with "" (instance
    (export "mem" (memory $memory))
    (export "new" (func $new)) (export "size" (func $size)) (export "same" (func $same))
    (export "merge" (func $merge)) (export "close" (func $close)) (export "open" (func $open))
    (export "count" (func $count)) (export "drop" (func $drop))))))
  (func $merged-size (result u32) (canon lift (core func $i "merged-size")))
  (func $same-twice (result bool) (canon lift (core func $i "same-twice")))
  (func $same-two (result bool) (canon lift (core func $i "same-two")))
  (func $count-three (result u32) (canon lift (core func $i "count-three")))
  (func $open-size (param "n" u32) (result u32) (canon lift (core func $i "open-size")))
  (instance $run
    (export "merged-size" (func $merged-size))
    (export "same-twice" (func $same-twice))
    (export "same-two" (func $same-two))
    (export "count-three" (func $count-three))
    (export "open-size" (func $open-size)))
  (export "tether:bindgen-test/run" (instance $run))

  (component $things
    (core module $counter
      (global $dropped (mut i32) (i32.const 0))
      (func (export "dtor") (param i32)
        (global.set $dropped (i32.add (global.get $dropped) (i32.const 1))))
      (func (export "dropped") (result i32) (global.get $dropped)))
    (core instance $counter (instantiate $counter))
    (core func $dtor (alias core export $counter "dtor"))
    (type $thing (resource (rep i32) (dtor (core func $dtor))))
    (core func $new (canon resource.new $thing))
    (core func $rep (canon resource.rep $thing))
    (core func $drop (canon resource.drop $thing))
    (core module $m
      (import "" "new" (func $new (param i32) (result i32)))
      (import "" "rep" (func $rep (param i32) (result i32)))
      (import "" "drop" (func $drop (param i32)))
      (func (export "ctor") (param $v i32) (result i32) (call $new (local.get $v)))
      (func (export "get") (param $rep i32) (result i32) (local.get $rep))
      (func (export "make") (param $v i32) (result i32) (call $new (i32.mul (local.get $v) (i32.const 10))))
      (func (export "consume") (param $h i32) (result i32)
        (local $rep i32)
        (local.set $rep (call $rep (local.get $h)))
        (call $drop (local.get $h))
        (local.get $rep)))
    (core instance $i (instantiate $m (with "" (instance
      (export "new" (func $new)) (export "rep" (func $rep)) (export "drop" (func $drop))))))
    (export $t "thing" (type $thing))
    (func (export "[constructor]thing") (param "v" u32) (result (own $t)) (canon lift (core func $i "ctor")))
    (func (export "[method]thing.get") (param "self" (borrow $t)) (result u32) (canon lift (core func $i "get")))
    (func (export "[static]thing.make") (param "v" u32) (result (own $t)) (canon lift (core func $i "make")))
    (func (export "[static]thing.consume") (param "this" (own $t)) (result u32) (canon lift (core func $i "consume")))
    (func (export "dropped") (result u32) (canon lift (core func $counter "dropped"))))
  (instance $things (instantiate $things))
  (export "tether:bindgen-test/things" (instance $things)))"#;

fn objects() -> (Store<Buckets>, Objects) {
    let engine = Engine::default();
    let component = Component::new(&engine, GUEST).unwrap();
    let mut linker = Linker::new(&engine);
    Objects::add_to_linker(&mut linker).unwrap();
    let mut store = Store::new(&engine, Buckets::default());
    let objects = Objects::instantiate(&mut store, &component, &linker).unwrap();
    (store, objects)
}

#[test]
fn constructors_methods_and_consuming_functions_move_objects() {
    let (mut store, objects) = objects();
    let run = objects.run();
    assert_eq!(run.call_merged_size(&mut store).unwrap(), 14);
    assert_eq!(store.data().made, 3);
    assert_eq!(
        store.host_objects(),
        0,
        "merge consumed two buckets and close the third"
    );
    assert_eq!(
        run.call_open_size(&mut store, 5).unwrap(),
        5,
        "an `option<bucket>` result"
    );
    assert_eq!(run.call_open_size(&mut store, 0).unwrap(), 0);
    assert_eq!(store.host_objects(), 0);
}

#[test]
fn borrows_in_a_list_reach_the_objects() {
    let (mut store, objects) = objects();
    assert_eq!(objects.run().call_count_three(&mut store).unwrap(), 6);
    assert_eq!(store.host_objects(), 0, "the guest dropped its buckets");
    assert!(
        !objects.run().call_same_two(&mut store).unwrap(),
        "two buckets are not the same"
    );
    assert_eq!(store.host_objects(), 0);
}

#[test]
fn the_same_object_borrowed_twice_through_the_bindings_is_refused() {
    let (mut store, objects) = objects();
    let err = objects.run().call_same_twice(&mut store).unwrap_err();
    assert!(
        format!("{err:#}").contains("already borrowed mutably"),
        "{err:#}"
    );
}

#[test]
fn a_guest_resource_through_its_typed_handle() {
    let (mut store, objects) = objects();
    let things = objects.things();
    let thing = Thing::new(&mut store, things, 5).unwrap();
    assert_eq!(thing.get(&mut store, things).unwrap(), 5);
    assert_eq!(
        things.call_thing_get(&mut store, &thing).unwrap(),
        5,
        "the same call through `Guest`"
    );
    let made = Thing::make(&mut store, things, 4).unwrap();
    assert_eq!(made.get(&mut store, things).unwrap(), 40);
    assert_eq!(store.host_handles(), 2);

    // `consume` takes `own<thing>` first: a method taking `self`.
    assert_eq!(thing.consume(&mut store, things).unwrap(), 5);
    assert_eq!(
        things.call_dropped(&mut store).unwrap(),
        1,
        "the guest's destructor ran"
    );
    made.resource_drop(&mut store).unwrap();
    assert_eq!(things.call_dropped(&mut store).unwrap(), 2);
    assert_eq!((store.host_handles(), store.handles_alive()), (0, 0));
}

#[test]
fn a_component_missing_an_export_is_refused_by_name() {
    let engine = Engine::default();
    let component = Component::new(&engine, "(component)").unwrap();
    let mut linker = Linker::new(&engine);
    Objects::add_to_linker(&mut linker).unwrap();
    let mut store = Store::new(&engine, Buckets::default());
    let err = Objects::instantiate(&mut store, &component, &linker)
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "the component exports no function `tether:bindgen-test/run#merged-size`"
    );
}
