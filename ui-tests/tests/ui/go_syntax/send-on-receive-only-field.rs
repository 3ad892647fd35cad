use gocsp::prelude::*;

struct Pipe {
    out: Receiver<i32>,
}

go_syntax! {
    fn feed(p: &Pipe) {
        p.out <- 1
    }
}

fn main() {}
