use gocsp::prelude::*;
use std::cell::Cell;

struct Counter {
    hits: Cell<u32>,
}

impl Counter {
    fn hit(&self) {
        self.hits.set(self.hits.get() + 1);
    }
}

fn main() {
    let c = std::sync::Arc::new(Counter { hits: Cell::new(0) });
    go!(c.hit());
}
