//! A guest that exports a resource of its own: `shelf`, a list of strings that lives in the
//! guest, whose host sees it only through handles. Each shelf owns a `log`, a host resource,
//! and writes its changes to it; dropping a shelf drops its log, so the host sees the guest's
//! destructor run.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU32, Ordering};

wit_bindgen::generate!({
    path: "wit",
    world: "shelf-guest",
});

use exports::tether::shelves::shelves::{Guest, GuestShelf, Shelf as OwnShelf, ShelfBorrow};
use tether::shelves::log::Log;

/// How many shelves this instance has dropped.
static DROPPED: AtomicU32 = AtomicU32::new(0);

struct Shelf {
    name: String,
    items: RefCell<Vec<String>>,
    /// Dropped with the shelf, in the host too.
    log: Log,
    _counted: Counted,
}

/// Counts its drops in [`DROPPED`]: one per shelf.
struct Counted;

impl Drop for Counted {
    fn drop(&mut self) {
        DROPPED.fetch_add(1, Ordering::Relaxed);
    }
}

impl GuestShelf for Shelf {
    fn new(name: String, log: Log) -> Shelf {
        log.write(&format!("new {name}"));
        Shelf {
            name,
            items: RefCell::new(Vec::new()),
            log,
            _counted: Counted,
        }
    }

    fn name(&self) -> String {
        self.name.clone()
    }

    fn push(&self, item: String) {
        self.log.write(&format!("push {item}"));
        self.items.borrow_mut().push(item);
    }

    fn len(&self) -> u32 {
        self.items.borrow().len() as u32
    }

    fn items(&self) -> Vec<String> {
        self.items.borrow().clone()
    }

    fn merge(a: OwnShelf, b: OwnShelf) -> OwnShelf {
        let a: Shelf = a.into_inner();
        let b: Shelf = b.into_inner();
        let mut items = a.items.take();
        items.extend(b.items.take());
        let name = format!("{}+{}", a.name, b.name);
        a.log.write(&format!("merge {name}"));
        // `a`'s log goes on in the new shelf; `a` and `b` (with its log) are dropped.
        let Shelf { log, .. } = a;
        OwnShelf::new(Shelf {
            name,
            items: RefCell::new(items),
            log,
            _counted: Counted,
        })
    }

    fn take(this: OwnShelf) -> Vec<String> {
        let this: Shelf = this.into_inner();
        this.log.write("take");
        this.items.take()
    }
}

struct Shelves;

impl Guest for Shelves {
    type Shelf = Shelf;

    fn same(a: ShelfBorrow<'_>, b: ShelfBorrow<'_>) -> bool {
        *a.get::<Shelf>().items.borrow() == *b.get::<Shelf>().items.borrow()
    }

    fn dropped() -> u32 {
        DROPPED.load(Ordering::Relaxed)
    }
}

export!(Shelves);
