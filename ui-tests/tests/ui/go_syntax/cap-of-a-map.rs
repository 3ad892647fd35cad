use gocsp::prelude::*;
use std::collections::HashMap;

go_syntax! {
    fn room(m &HashMap<i32, i32>) -> usize {
        cap(m)
    }
}

fn main() {
    let _ = room(&HashMap::new());
}
