use gocsp::prelude::*;

go_syntax! {
    fn jump() {
        goto done
    }
}

fn main() {}
