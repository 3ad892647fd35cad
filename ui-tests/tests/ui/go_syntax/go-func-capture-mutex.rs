use gocsp::prelude::*;

go_syntax! {
    fn count() -> i32 {
        mu := gocsp::sync::Mutex::new(0)
        done := make(chan (), 1)
        go func() {
            *mu.lock() += 1
            done <- ()
        }()
        <-done
        let n = *mu.lock();
        n
    }
}

fn main() {
    count();
}
